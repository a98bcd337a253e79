/**
 * @module commands/serve
 * `sotto serve`: the server with its embedded SQLite database.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { environment } from '../option-values.js';
import { serveSettings, type ServeOptions } from './serve-settings.js';

/**
 * The built web app shipped beside the CLI (packages/web/dist/app), found by resolving the
 * package's location only: the CLI never imports the web app's code.
 */
function defaultWebRoot(): string | undefined {
  try {
    const root = join(dirname(fileURLToPath(import.meta.resolve('@sotto/web/package.json'))), 'dist', 'app');
    return existsSync(join(root, 'index.html')) ? root : undefined;
  } catch {
    return undefined;
  }
}

function webRoot(option: string | boolean | undefined): { webRoot?: string } {
  if (option === false) return {};
  if (typeof option === 'string') return { webRoot: option };
  const found = defaultWebRoot();
  return found ? { webRoot: found } : {};
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the Sotto server (HTTP + WebSocket) on embedded SQLite')
    .option('--host <host>', 'interface to listen on', environment('SOTTO_HOST') ?? '127.0.0.1')
    .option('--port <port>', 'TCP port (0 = any free port)', environment('SOTTO_PORT') ?? '8080')
    .option('--data <dir>', 'directory for the SQLite database', environment('SOTTO_DATA') ?? './sotto-data')
    .option('--db <url>', 'postgres:// URL: keep everything in PostgreSQL (several nodes can share it)', environment('SOTTO_DB'))
    .option('--bus <url>', 'nats:// URL: route between nodes over NATS', environment('SOTTO_BUS'))
    .option('--no-bus-entries', 'mail notifications on the bus only announce, never carry the message: while a cluster still runs nodes of an older version')
    .option('--invite-only', 'registration needs an invite code (sotto admin invite)', false)
    .option('--retention-days <days>', 'delete undelivered messages (and files) after this many days', '30')
    .option('--max-file-mb <mib>', 'largest file one member may send, in MiB (1-4096; stored encrypted)', '100')
    .option('--file-quota-mb <mib>', 'encrypted files one account may keep on the server at once, in MiB', '1024')
    .option('--log-level <level>', 'fatal, error, warn, info, debug or silent', 'info')
    .option('--sync <mode>', 'SQLite fsync policy: FULL (power-loss safe) or NORMAL (crash safe)', 'FULL')
    .option('--rate-limit <frames>', 'frames per second each connection may send (bursts of ten times that)', '200')
    .option('--rings-per-minute <n>', 'calls each account may place per minute (rings and call requests)', '6')
    .option('--no-rate-limits', 'turn off the per-account/device/address limits (benchmarks, or a limiting proxy in front)')
    .option('--trust-proxy', 'believe X-Forwarded-For from a reverse proxy on this machine (for per-address limits)', false)
    .option('--operator-contact <text>', 'how members reach you, shown in threat notifications (e.g. security@example.org)', environment('SOTTO_OPERATOR_CONTACT'))
    .option('--fresh-account-hours <hours>', 'accounts younger than this count as new when correlating attacks', '48')
    .option('--turn-url <url...>', 'TURN server URL(s) handed to clients for calls, e.g. turn:turn.example.org:3478', environment('SOTTO_TURN_URL')?.split(','))
    .option('--turn-secret-file <file>', 'file holding the secret shared with the TURN server (coturn static-auth-secret); or set SOTTO_TURN_SECRET')
    .option('--turn-ttl <seconds>', 'lifetime of the TURN credentials handed out', '3600')
    .option('--sfu <url>', 'ws:// URL of the Janus SFU (VideoRoom) for group calls, or several comma-separated (each room on one); without it group calls are refused', environment('SOTTO_SFU'))
    .option('--sfu-secret-file <file>', "file holding the secret shared with Janus (its api_secret, token_auth_secret and VideoRoom admin_key); or set SOTTO_SFU_SECRET")
    .option('--sfu-public-url <url>', 'wss:// URL members reach Janus at (through your TLS proxy), one per --sfu URL in the same order; default: the --sfu URL', environment('SOTTO_SFU_PUBLIC_URL'))
    .option('--max-connections-per-address <n>', 'connections one client address may hold (behind --trust-proxy, the forwarded address); raise it for many members behind one NAT', '256')
    .option('--web <dir>', 'directory of the built web app to serve at / (default: the bundled one)')
    .option('--no-web', 'serve no web app (API, health and metrics only)')
    .option('--push-subject <url>', 'mailto: or https: URL push services can reach you at (VAPID subject; default: --operator-contact when it is an email address)', environment('SOTTO_PUSH_SUBJECT'))
    .option('--push-endpoints <hosts>', 'push service hosts pushes may go to, comma-separated, *. for any host under one (default: FCM, Mozilla, Windows, Apple)', environment('SOTTO_PUSH_ENDPOINTS'))
    .option('--push-allow-loopback', 'also accept push endpoints on 127.0.0.1/localhost, http: included (tests with a local receiver only)', false)
    .option('--no-push', 'send no Web Push notifications (the web app then learns of new messages only while open)')
    .action(async (opts: ServeOptions, command: Command) => {
      const { config, framesPerSecond } = serveSettings(opts, command, webRoot(opts.web));
      // Loaded now, not at CLI start-up: only `serve` needs the server's dependencies.
      const { startServer } = await import('@sotto/server');
      const server = await startServer(config, { rateLimit: { perSecond: framesPerSecond, burst: framesPerSecond * 10 } });
      process.stdout.write(`sotto listening on ${server.url}\n`);
      if (server.config.webRoot === undefined) process.stdout.write('no web app served (build it with "npm run build", or see --web)\n');
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        server.close().then(() => process.exit(0), () => process.exit(1));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
}

/**
 * @module test/support/coturn
 * Debian's coturn as a TURN relay for a scenario: loopback only, a shared secret (the REST API
 * credentials `sotto serve --turn-secret-file` hands out), loopback peers allowed, its log kept.
 * `haveCoturn` is false when it is not installed: a loud skip, or a failure under CI=true.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { freePort } from './server-process.js';

const TURNSERVER = '/usr/bin/turnserver';

export const haveCoturn = spawnSync(TURNSERVER, ['--version']).status === 0;

/** Throws under CI=true when coturn is missing; elsewhere warns once, for `scenario`. */
export function requireCoturn(scenario: string): void {
  if (haveCoturn) return;
  const why = `coturn is not installed (${TURNSERVER}): apt-get install -y coturn`;
  if (process.env.CI === 'true') throw new Error(`CI=true but ${why}`);
  console.warn(`\n*** SKIPPING ${scenario}: ${why} ***\n`);
}

export class Coturn {
  log = '';

  private constructor(
    private readonly child: ChildProcess,
    /** `sotto serve --turn-url` and `--turn-secret-file` for this relay. */
    readonly serverArgs: string[],
  ) {
    child.stdout!.on('data', (c: Buffer) => (this.log += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (this.log += c.toString()));
  }

  /**
   * `minPort`: the first of the relay ports it may use (800 of them). `relayOnInterface` relays
   * from this machine's first non-loopback IPv4 address instead of 127.0.0.1: a peer that gathers
   * only there (Janus) cannot answer a loopback source.
   */
  static async start(dir: string, minPort: number, options: { relayOnInterface?: boolean } = {}): Promise<Coturn> {
    const port = await freePort();
    const relayIp = options.relayOnInterface ? (firstInterfaceAddress() ?? '127.0.0.1') : '127.0.0.1';
    const secret = `relay-test-secret-${Math.random().toString(36).slice(2)}`;
    const child = spawn(TURNSERVER, [
      '-n', '--listening-ip=127.0.0.1', `--relay-ip=${relayIp}`, `--listening-port=${port}`,
      `--min-port=${minPort}`, `--max-port=${minPort + 799}`, '--use-auth-secret', `--static-auth-secret=${secret}`,
      '--realm=sotto.test', '--no-tls', '--no-dtls', '--no-cli', '--allow-loopback-peers',
      '--log-file=stdout', '--simple-log', '--verbose', `--pidfile=${join(dir, 'turn.pid')}`,
      `--userdb=${join(dir, 'turndb')}`,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    const secretFile = join(dir, 'turn-secret');
    writeFileSync(secretFile, secret, { mode: 0o600 });
    const turn = new Coturn(child, ['--turn-url', `turn:127.0.0.1:${port}?transport=udp`, '--turn-secret-file', secretFile]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    return turn;
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}

function firstInterfaceAddress(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  return undefined;
}

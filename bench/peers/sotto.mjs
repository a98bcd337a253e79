// Starts a private `sotto serve` (the built CLI, embedded SQLite in a temp dir, fsync on every
// commit as in production) for the side-by-side benchmarks, and registers the accounts u0..u{n-1}
// over the wire before any figure is taken, as the peers' users are made before theirs.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canConnect, freePort, LOOPBACK, mapLimit, sleep, startServerProcess } from './common.mjs';
import { SottoClient } from './sotto-client.mjs';

const CLI = new URL('../../packages/cli/dist/bin.js', import.meta.url).pathname;
const REGISTER_CONCURRENCY = 50;
/** Extra Node flags for the server, e.g. `--cpu-prof --cpu-prof-dir=DIR` (bench/profile.mjs). */
const NODE_FLAGS = process.env.SOTTO_BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];

/**
 * What differs from `sotto serve`'s defaults, and why:
 * - no per-account/device/address action limits and a per-connection frame limit far above any
 *   rate here: the limits would be what is measured (docs/SECURITY.md rule 6), as the peers run
 *   without theirs;
 * - no web app served: the peers serve none;
 * - log level warn: the peers log errors and warnings only.
 */
export const SOTTO_SETTINGS = { storage: 'SQLite (better-sqlite3), WAL, synchronous=FULL: an fsync before every acknowledgement', rateLimits: 'off (--no-rate-limits, --rate-limit 1000000)', web: 'off (--no-web)', log: 'warn' };

export function sottoVersion() {
  const version = (path) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')).version;
  return { sotto: version('../../packages/server/package.json'), betterSqlite3: version('../../node_modules/better-sqlite3/package.json'), ws: version('../../node_modules/ws/package.json') };
}

/**
 * Starts Sotto pinned to `cpu` when given, with `users` registered accounts, on embedded SQLite or,
 * given `db` (a postgres:// URL), on that PostgreSQL schema (bench/knee-pg.mjs). Returns { pid, wsUrl,
 * accounts, stop() }. The accounts are registered over the wire by a first server process, which
 * then stops; the one measured starts on the same data, so its memory and caches hold nothing of
 * the registration (as Prosody and Mosquitto start with their users already on disk).
 */
export async function startSotto({ users, cpu, db }) {
  const dir = mkdtempSync(join(tmpdir(), 'sotto-bench-sotto-'));
  const port = await freePort();
  const start = (keepDir) => startServerProcess({
    name: 'sotto', cpu, command: process.execPath, dir, logFile: join(dir, 'none.log'), keepDir,
    args: [...NODE_FLAGS, CLI, 'serve', '--host', LOOPBACK, '--port', String(port), '--data', join(dir, 'data'), '--log-level', 'warn', '--no-web', '--no-rate-limits', '--rate-limit', '1000000', ...(db ? ['--db', db] : [])],
    isReady: () => canConnect(port),
  });
  const registrar = await start(true);
  const server = { pid: registrar.pid, dir, wsUrl: `ws://${LOOPBACK}:${port}/v1/ws`, password: '', accounts: new Map(), stop: registrar.stop };
  try {
    await mapLimit([...Array(users).keys()], REGISTER_CONCURRENCY, async (i) => {
      const user = `u${i}`;
      // Sotto usernames have at least 3 characters; the workloads' names are u0, u1, ...
      const username = `bench_${user}`;
      const key = generateKeyPairSync('ed25519');
      const client = new SottoClient(server);
      const deviceId = await client.register(user, username, key);
      server.accounts.set(user, { username, key, deviceId });
      await client.close();
    });
  } catch (error) {
    await registrar.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  await registrar.stop();
  while (await canConnect(port)) await sleep(20);
  const { pid, stop } = await start(false);
  return { ...server, pid, stop };
}

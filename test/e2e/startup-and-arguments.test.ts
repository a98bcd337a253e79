/**
 * Scenario (issue 15, holes 11 and 12): the real `sotto` binary refuses, at start-up and at
 * once, what it cannot use, and says which flag, path and cause.
 *
 * Hole 11: a SQLite file of another program, a database recording a migration from a newer
 * Sotto, a PostgreSQL schema of either kind, and every way the database file can be unusable
 * (a directory, not a database, truncated, not readable) each stop `sotto serve` with exit
 * code 1, a BAD_DATABASE line naming the path and the cause, and the file left byte for byte
 * as it was. A database from an earlier Sotto, made before the application id, still opens.
 *
 * Hole 12: numbers on the command line are decimal integers in range (`--port 0x1f90` is not
 * 8080), a bad value is a usage error (exit 2) naming the flag or environment variable rather
 * than an internal key, `--data` and `--turn-secret-file` problems name the path and the cause,
 * a `--data` under /proc or behind a dangling link fails at once instead of hanging, and
 * `--server` takes only http(s) and ws(s) URLs.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it times no media
 *   and restarts no shared service.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PostgresStore, SqliteStore } from '@sotto/server';
import { CLI, scratchDir } from '../support/paths.js';
import { ServerProcess } from '../support/server-process.js';
import { requirePostgres, TestDatabase } from '../support/services.js';

// Awaited before any test is declared: node:test may run the file's after hooks once the tests declared so far are done.
const postgres = await requirePostgres();
const dir = scratchDir('startup');
// Readable by others, so the permission case can run the CLI as another user when the tests run as root.
chmodSync(dir.path, 0o755);
after(() => dir.remove());

/** A failure to start is immediate; a start-up still silent after this long is a hang. */
const HANG_MS = 20_000;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** It printed "listening on": it accepted what it should have refused. It is stopped at once. */
  readonly started: boolean;
  readonly hung: boolean;
}

interface RunOptions {
  readonly env?: Record<string, string>;
  readonly user?: { uid: number; gid: number };
}

/** This process's environment without any SOTTO_* setting, so only what a case gives applies. */
function withoutSottoVariables(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SOTTO_')));
}

/** Runs the real `sotto --json ...`; a server that starts is stopped and reported as started. */
function sotto(args: string[], options: RunOptions = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, '--json', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...withoutSottoVariables(), ...options.env },
      ...(options.user ?? {}),
    });
    let stdout = '';
    let stderr = '';
    let started = false;
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, HANG_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!started && stdout.includes('listening on')) {
        started = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, started, hung });
    });
  });
}

/** `sotto serve` on a free port with everything else given. */
const serve = (args: string[], options: RunOptions = {}): Promise<Run> => sotto(['serve', '--port', '0', '--log-level', 'silent', ...args], options);

/** The one JSON error line the CLI printed, or a failure that shows everything it did print. */
function errorOf(run: Run): { code: string; message: string } {
  const line = run.stderr.trim().split('\n').pop() ?? '';
  try {
    return (JSON.parse(line) as { error: { code: string; message: string } }).error;
  } catch {
    throw new Error(`no JSON error line (exit ${run.code}, started ${run.started}, hung ${run.hung}):\n${run.stdout}\n${run.stderr}`);
  }
}

/** Asserts a refusal: no hang, not started, this exit code and error code, a message matching every pattern. */
function assertRefused(run: Run, exitCode: number, code: string, ...patterns: (RegExp | string)[]): string {
  assert.equal(run.hung, false, `start-up must not hang: ${run.stderr}`);
  assert.equal(run.started, false, `it must not start: ${run.stdout}`);
  const error = errorOf(run);
  assert.equal(error.code, code, error.message);
  assert.equal(run.code, exitCode, error.message);
  for (const pattern of patterns) {
    if (typeof pattern === 'string') assert.ok(error.message.includes(pattern), `"${error.message}" should name ${pattern}`);
    else assert.match(error.message, pattern);
  }
  return error.message;
}

/** Runs the cases two at a time (the CLI's start-up is mostly CPU, and CI has two cores), keeping their order. */
async function inPairs<T, R>(cases: readonly T[], run: (c: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < cases.length; i += 2) results.push(...(await Promise.all(cases.slice(i, i + 2).map(run))));
  return results;
}

/** How a refused value must appear in the message: as typed, and quoted when empty so it is seen. */
const shownValue = (value: string): string => (value === '' ? '""' : value);

/** Every entry of a directory with its kind and, for files, a hash of its bytes. */
function fingerprint(path: string): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const name of readdirSync(path)) {
    const full = join(path, name);
    entries[name] = statSync(full).isFile() ? createHash('sha256').update(readFileSync(full)).digest('hex') : 'directory';
  }
  return entries;
}

function tableNames(file: string): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  } finally {
    db.close();
  }
}

/** A data directory holding a real Sotto database with a few accounts, as this version makes it. */
async function sottoDatabase(name: string): Promise<{ data: string; file: string }> {
  const data = join(dir.path, name);
  mkdirSync(data, { mode: 0o755 });
  const file = join(data, 'sotto.db');
  const store = new SqliteStore({ path: file });
  for (let i = 0; i < 40; i++) {
    await store.createAccount({ username: `member${i}`, deviceId: 'd1', identityKey: randomBytes(32), requireInvite: false, now: 1 });
  }
  await store.close();
  return { data, file };
}

describe('hole 11: databases start-up must refuse', () => {
  test('a SQLite file of another program is refused by serve and admin, and left byte for byte as it was', async () => {
    const data = join(dir.path, 'foreign');
    mkdirSync(data);
    const file = join(data, 'sotto.db');
    const other = new Database(file);
    other.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('kept')");
    other.close();
    const before = fingerprint(data);
    const tables = tableNames(file);

    const [served, administered] = await Promise.all([serve(['--data', data]), sotto(['admin', 'users', '--data', data])]);
    assertRefused(served!, 1, 'BAD_DATABASE', file, /not a Sotto database/);
    assertRefused(administered!, 1, 'BAD_DATABASE', file, /not a Sotto database/);

    assert.deepEqual(fingerprint(data), before, 'nothing in the directory changed');
    assert.deepEqual(tableNames(file), tables);
  });

  test('a database recording a migration from a newer Sotto is refused, naming the migration and that the server is older', async () => {
    const { data, file } = await sottoDatabase('newer');
    const db = new Database(file);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, ?, 1)').run('from-a-newer-sotto');
    db.close();
    const before = fingerprint(data);

    const [served, administered] = await Promise.all([serve(['--data', data]), sotto(['admin', 'users', '--data', data])]);
    const message = assertRefused(served!, 1, 'BAD_DATABASE', file, 'migration 999', /newer Sotto/, /older than the database/);
    assert.match(message, /knows migrations up to \d+/);
    assertRefused(administered!, 1, 'BAD_DATABASE', file, 'migration 999');
    assert.deepEqual(fingerprint(data), before);
  });

  test('a database from an earlier Sotto, made before the application id, still opens and is marked as Sotto', async () => {
    const { data, file } = await sottoDatabase('earlier');
    const db = new Database(file);
    db.pragma('application_id = 0');
    db.close();

    const server = await ServerProcess.start(data);
    await server.stop();

    const reopened = new Database(file, { readonly: true });
    const applicationId = reopened.pragma('application_id', { simple: true }) as number;
    reopened.close();
    assert.notEqual(applicationId, 0, 'the server marked the file as a Sotto database');
  });

  test('each way the database file can be unusable is named with its path, and nothing is changed', async () => {
    const directory = join(dir.path, 'db-is-a-directory');
    mkdirSync(join(directory, 'sotto.db'), { recursive: true });

    const garbage = join(dir.path, 'not-a-database');
    mkdirSync(garbage);
    writeFileSync(join(garbage, 'sotto.db'), randomBytes(20_000));

    const truncated = await sottoDatabase('truncated');
    truncateSync(truncated.file, Math.floor(statSync(truncated.file).size / 2));

    const cases: [string, RegExp][] = [
      [directory, /is a directory, not a database file/],
      [garbage, /damaged or not a SQLite database/],
      [truncated.data, /damaged or not a SQLite database/],
    ];
    const before = cases.map(([data]) => fingerprint(data));
    const runs = await inPairs(cases, ([data]) => serve(['--data', data]));
    cases.forEach(([data, cause], i) => {
      assertRefused(runs[i]!, 1, 'BAD_DATABASE', join(data, 'sotto.db'), cause);
      assert.deepEqual(fingerprint(data), before[i], data);
    });
  });

  test('a data directory or database the server may not write is named with its path and "permission denied"', async () => {
    const { data, file } = await sottoDatabase('unreadable');
    // Root reads and writes anything, so as root the CLI runs as nobody, who owns neither; as anyone else, modes are enough.
    const asRoot = process.getuid?.() === 0;
    const options: RunOptions = asRoot ? { user: { uid: 65_534, gid: 65_534 } } : {};
    try {
      chmodSync(data, 0o555);
      assertRefused(await serve(['--data', data], options), 1, 'BAD_CONFIG', data, /permission denied/);
      chmodSync(data, 0o777);
      chmodSync(file, asRoot ? 0o600 : 0o000);
      assertRefused(await serve(['--data', data], options), 1, 'BAD_DATABASE', file, /permission denied/);
    } finally {
      chmodSync(data, 0o755);
      chmodSync(file, 0o600);
    }
  });
});

describe('hole 11: PostgreSQL schemas start-up must refuse', { skip: postgres.skip }, () => {
  let database: TestDatabase | undefined;
  after(async () => database?.drop());

  async function schemaTables(url: string, schema: string): Promise<string[]> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const found = await client.query<{ tablename: string }>('SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename', [schema]);
      return found.rows.map((r) => r.tablename);
    } finally {
      await client.end();
    }
  }

  async function run(url: string, statement: string): Promise<void> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  }

  test('a schema recording a newer migration, or holding another program\'s tables, is refused and left as it was', async () => {
    database = await TestDatabase.create();
    const withSchema = (schema: string) => {
      const url = new URL(database!.url);
      url.searchParams.set('schema', schema);
      return url.toString();
    };

    const store = await PostgresStore.connect(withSchema('newer'));
    await store.close();
    await run(database.url, "INSERT INTO newer.schema_migrations (version, name, applied_at) VALUES (999, 'from-a-newer-sotto', 1)");
    const newerTables = await schemaTables(database.url, 'newer');
    assertRefused(await serve(['--db', withSchema('newer')]), 1, 'BAD_DATABASE', /PostgreSQL at 127\.0\.0\.1:5432/, /schema newer/, 'migration 999', /older than the database/);
    assert.deepEqual(await schemaTables(database.url, 'newer'), newerTables);

    await run(database.url, 'CREATE SCHEMA other; CREATE TABLE other.notes (id integer PRIMARY KEY, body text)');
    assertRefused(await serve(['--db', withSchema('other')]), 1, 'BAD_DATABASE', /schema other/, /not a Sotto database/);
    assert.deepEqual(await schemaTables(database.url, 'other'), ['notes'], 'no Sotto table was added');
  });
});

describe('hole 12: arguments', () => {
  test('the numbers of serve are decimal integers in range; a bad one is a usage error naming the flag', async () => {
    const bad: [string, string][] = [
      ['--port', ''],
      ['--port', '0x1f90'],
      ['--port', '1e3'],
      ['--port', '70000'],
      ['--retention-days', '1e3'],
      ['--rings-per-minute', '0x10'],
      ['--rate-limit', '8080.0'],
      ['--fresh-account-hours', ''],
      ['--turn-ttl', '59'],
      ['--max-connections-per-address', '0'],
      ['--max-connections-per-address', '1e3'],
    ];
    const runs = await inPairs(bad, ([flag, value]) => serve(['--data', join(dir.path, 'numbers'), flag, value]));
    bad.forEach(([flag, value], i) => assertRefused(runs[i]!, 2, 'INVALID_INPUT', flag, shownValue(value)));
  });

  test('an invalid environment default names the variable', async () => {
    const run = await sotto(['serve', '--data', join(dir.path, 'env'), '--log-level', 'silent'], { env: { SOTTO_PORT: '0x1f90' } });
    assertRefused(run, 2, 'INVALID_INPUT', 'SOTTO_PORT', '"0x1f90"');
  });

  test('every numeric flag given in plain decimal still starts', async () => {
    const data = join(dir.path, 'plain-numbers');
    const run = await serve([
      '--data', data, '--retention-days', '7', '--rings-per-minute', '10', '--rate-limit', '500',
      '--fresh-account-hours', '24', '--turn-ttl', '600', '--max-connections-per-address', '2000',
    ]);
    assert.equal(run.started, true, run.stderr);
  });

  test('other bad values name the flag, never an internal key', async () => {
    const cases: [string[], string][] = [
      [['--sync', 'OFF'], '--sync'],
      [['--log-level', 'loud'], '--log-level'],
      [['--turn-url', 'http://turn.example.org'], '--turn-url'],
      [['--turn-url', 'turn:turn.example.org:3478'], '--turn-secret-file'],
      [['--operator-contact', 'line\u0007bell'], '--operator-contact'],
    ];
    const runs = await inPairs(cases, ([args]) => serve(['--data', join(dir.path, 'others'), ...args]));
    cases.forEach(([, flag], i) => {
      const message = assertRefused(runs[i]!, 2, 'INVALID_INPUT', flag);
      assert.doesNotMatch(message, /\b(syncMode|logLevel|turnUrls|turnSecret|operatorContact)\b/);
    });
  });

  test('--data naming a file says it is a file', async () => {
    const file = join(dir.path, 'a-file');
    writeFileSync(file, 'not a directory');
    const [served, administered] = await Promise.all([serve(['--data', file]), sotto(['admin', 'users', '--data', file])]);
    assertRefused(served!, 1, 'BAD_CONFIG', file, /is a file, not a directory/);
    assertRefused(administered!, 1, 'BAD_CONFIG', file, /is a file, not a directory/);
  });

  test('--data under /proc fails at once, naming the filesystem, instead of hanging', { skip: existsSync('/proc/self') ? false : 'no /proc here' }, async () => {
    const [below, at] = await Promise.all([serve(['--data', '/proc/self/x']), serve(['--data', '/proc/self'])]);
    assertRefused(below!, 1, 'BAD_CONFIG', '/proc/self/x', /proc filesystem/);
    assertRefused(at!, 1, 'BAD_CONFIG', '/proc/self', /proc filesystem/);
  });

  test('--data below a link to nothing says so', async () => {
    const dangling = join(dir.path, 'dangling');
    symlinkSync(join(dir.path, 'no-such-target'), dangling);
    assertRefused(await serve(['--data', join(dangling, 'data')]), 1, 'BAD_CONFIG', dangling, /link to something that does not exist/);
  });

  test('a port already taken is BAD_CONFIG naming the address and the cause', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as AddressInfo).port;
      const run = await sotto(['serve', '--port', String(port), '--data', join(dir.path, 'taken'), '--log-level', 'silent']);
      assertRefused(run, 1, 'BAD_CONFIG', `127.0.0.1:${port}`, /the port is in use .*Choose another port with --port \(or SOTTO_PORT\)/);
    } finally {
      taken.close();
    }
  });

  test('a missing --turn-secret-file is BAD_CONFIG naming the flag and the path', async () => {
    const missing = join(dir.path, 'no-such-secret');
    const message = assertRefused(
      await serve(['--data', join(dir.path, 'turn'), '--turn-url', 'turn:turn.example.org:3478', '--turn-secret-file', missing]),
      1,
      'BAD_CONFIG',
      '--turn-secret-file',
      missing,
    );
    assert.doesNotMatch(message, /^ENOENT/);
  });

  test('--server takes only an http(s) or ws(s) URL, and a bad one is a usage error that touches nothing', async () => {
    const servers = ['ftp://x', 'not-a-url'];
    const profile = (server: string) => join(dir.path, `profile-${servers.indexOf(server)}`);
    const runs = await inPairs(servers, (server) => sotto(['--profile', profile(server), 'register', 'alice', '--server', server]));
    servers.forEach((server, i) => {
      assertRefused(runs[i]!, 2, 'INVALID_INPUT', '--server', JSON.stringify(server));
      assert.equal(existsSync(profile(server)), false, 'no profile was made');
    });
  });

  test('admin numbers are decimal integers in range, naming the flag', async () => {
    const { data } = await sottoDatabase('admin-numbers');
    const bad: [string, string, string][] = [
      ['invite', '--days', '1e3'],
      ['invite', '--days', '99999999999'],
      ['audit', '--limit', '-1'],
      ['audit', '--limit', 'abc'],
    ];
    const runs = await inPairs(bad, ([command, flag, value]) => sotto(['admin', command, '--data', data, flag, value]));
    bad.forEach(([, flag, value], i) => assertRefused(runs[i]!, 2, 'INVALID_INPUT', flag, shownValue(value)));
    const ok = await sotto(['admin', 'invite', '--data', data, '--days', '30']);
    assert.equal(ok.code, 0, ok.stderr);
  });
});

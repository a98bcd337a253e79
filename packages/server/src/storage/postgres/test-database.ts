/**
 * @module storage/postgres/test-database
 * The PostgreSQL that tests use (SOTTO_TEST_POSTGRES_URL, default
 * postgres://postgres@127.0.0.1:5432/test), a fresh schema per test run so
 * parallel runs never collide, and one rule when it is not there: skipped
 * loudly on a developer's machine, failed when CI=true.
 */
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import pg from 'pg';
import { parsePostgresUrl, reasonOf } from './connection.js';

export const TEST_POSTGRES_URL = process.env.SOTTO_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestSchema {
  readonly schema: string;
  /** The database URL with `?schema=`: give it to PostgresStore.connect or a server's `db` setting. */
  readonly url: string;
  /** Drops the schema and everything in it; safe to call twice. */
  drop(): Promise<void>;
}

let probe: Promise<string | undefined> | undefined;

/** Why PostgreSQL at TEST_POSTGRES_URL cannot be used, or undefined when it answers. Asked once per process. */
export function postgresUnavailable(): Promise<string | undefined> {
  probe ??= (async () => {
    const { connectionString, where } = parsePostgresUrl(TEST_POSTGRES_URL);
    const client = new pg.Client({ connectionString, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return undefined;
    } catch (error) {
      return `PostgreSQL at ${where} is unreachable (${reasonOf(error)}); set SOTTO_TEST_POSTGRES_URL or start it`;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return probe;
}

/**
 * Declares the tests in `declare` when PostgreSQL answers. Otherwise declares
 * one test named `name` instead: failing with the reason when CI=true (CI has
 * PostgreSQL, so its absence is a broken CI, not a reason to pass), and
 * skipped, with the reason printed, anywhere else.
 *
 * Await it before declaring any other test in the file: node:test runs the
 * file's `after` hooks once the tests declared so far have finished, so a
 * test declared after an await that outlasts them runs after its cleanup.
 */
export async function describeWithPostgres(name: string, declare: () => void): Promise<void> {
  const reason = await postgresUnavailable();
  if (reason === undefined) {
    declare();
    return;
  }
  if (process.env.CI === 'true') {
    test(name, () => {
      throw new Error(`${reason}. CI=true, so PostgreSQL is required and this fails instead of skipping.`);
    });
    return;
  }
  console.warn(`\n*** SKIPPING ${name}: ${reason}. These tests run in CI. ***\n`);
  test(name, { skip: reason }, () => undefined);
}

const PREFIX = 'sotto_test_';
/** Schemas older than this are left over from a run that crashed before dropping them. */
const STALE_MS = 6 * 60 * 60 * 1000;

/** Creates a uniquely named, empty schema in the test database (named after its creation time, for the janitor). */
export async function withTestSchema(): Promise<TestSchema> {
  const schema = `${PREFIX}${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const { connectionString } = parsePostgresUrl(TEST_POSTGRES_URL);
  await runAdmin(connectionString, `CREATE SCHEMA ${schema}`);
  janitor ??= dropStaleSchemas(connectionString).catch(() => undefined);
  await janitor;
  const url = new URL(TEST_POSTGRES_URL);
  url.searchParams.set('schema', schema);
  let dropped: Promise<void> | undefined;
  return {
    schema,
    url: url.toString(),
    drop: () => (dropped ??= runAdmin(connectionString, `DROP SCHEMA IF EXISTS ${schema} CASCADE`)),
  };
}

let janitor: Promise<void> | undefined;

/** Drops test schemas from crashed runs; another run dropping the same one at once is harmless. */
async function dropStaleSchemas(connectionString: string): Promise<void> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    const found = await client.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)', [PREFIX]);
    for (const { nspname } of found.rows) {
      const made = /^sotto_test_([0-9a-z]+)_[0-9a-f]{8}$/.exec(nspname);
      if (made && Date.now() - parseInt(made[1]!, 36) > STALE_MS) {
        await client.query(`DROP SCHEMA IF EXISTS ${nspname} CASCADE`).catch(() => undefined);
      }
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function runAdmin(connectionString: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query(statement);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A session on `schema` that sends its client the plan of every statement it runs, nested ones (a
 * function's) too, as notices: auto_explain at notice level. The migration tests read the plans
 * PostgreSQL ran with it.
 */
export async function planLoggingSession(schema: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: parsePostgresUrl(TEST_POSTGRES_URL).connectionString });
  await client.connect();
  await client.query(`SET search_path = ${schema}`);
  for (const setting of ["LOAD 'auto_explain'", 'SET auto_explain.log_min_duration = 0', 'SET auto_explain.log_nested_statements = on', 'SET auto_explain.log_level = notice']) await client.query(setting);
  return client;
}

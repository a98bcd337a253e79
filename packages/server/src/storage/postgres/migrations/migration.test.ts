/** @module storage/postgres/migrations/migration.test A schema of another program, or from a newer Sotto, is refused before anything is written. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { DatabaseRefusedError } from '../../../errors.js';
import { parsePostgresUrl } from '../connection.js';
import { PostgresStore } from '../postgres-store.js';
import { describeWithPostgres, TEST_POSTGRES_URL, withTestSchema, type TestSchema } from '../test-database.js';
import { migratePostgres, POSTGRES_MIGRATIONS } from './migration.js';

let client: pg.Client | undefined;
const schemas: TestSchema[] = [];
after(async () => {
  await client?.end();
  for (const schema of schemas) await schema.drop();
});

async function connected(): Promise<pg.Client> {
  if (!client) {
    client = new pg.Client({ connectionString: parsePostgresUrl(TEST_POSTGRES_URL).connectionString });
    await client.connect();
  }
  return client;
}

async function tablesOf(schema: string): Promise<string[]> {
  const found = await (await connected()).query<{ tablename: string }>('SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename', [schema]);
  return found.rows.map((row) => row.tablename);
}

await describeWithPostgres('postgres migrations refuse foreign and newer schemas', () => {
  test("a schema holding another program's tables is refused, and no Sotto table is added", async () => {
    const made = await withTestSchema();
    schemas.push(made);
    const c = await connected();
    await c.query(`CREATE TABLE ${made.schema}.notes (id integer PRIMARY KEY)`);
    await assert.rejects(migratePostgres(c, made.schema), (error: unknown) => error instanceof DatabaseRefusedError && error.problem === 'foreign');
    assert.deepEqual(await tablesOf(made.schema), ['notes']);
  });

  test('a schema recording a newer migration is refused by the store, naming host, port and schema, and left as it was', async () => {
    const made = await withTestSchema();
    schemas.push(made);
    const c = await connected();
    assert.deepEqual(await migratePostgres(c, made.schema), POSTGRES_MIGRATIONS.map((m) => m.version));
    await c.query(`INSERT INTO ${made.schema}.schema_migrations (version, name, applied_at) VALUES (99, 'from-the-future', 1)`);
    const before = await tablesOf(made.schema);
    const { where } = parsePostgresUrl(TEST_POSTGRES_URL);
    await assert.rejects(PostgresStore.connect(made.url), (error: unknown) => {
      assert.ok(error instanceof DatabaseRefusedError, String(error));
      assert.equal(error.problem, 'newer');
      assert.equal(error.message.startsWith(`PostgreSQL at ${where}, schema ${made.schema}, was written by a newer Sotto: it records migration 99`), true, error.message);
      return true;
    });
    assert.deepEqual(await tablesOf(made.schema), before);
    const versions = await c.query<{ version: number }>(`SELECT version FROM ${made.schema}.schema_migrations ORDER BY version`);
    assert.deepEqual(versions.rows.map((r) => r.version), [...POSTGRES_MIGRATIONS.map((m) => m.version), 99]);
  });

  test('an empty schema, and a Sotto schema at the current version, migrate as before', async () => {
    const made = await withTestSchema();
    schemas.push(made);
    const c = await connected();
    assert.deepEqual(await migratePostgres(c, made.schema), POSTGRES_MIGRATIONS.map((m) => m.version));
    assert.deepEqual(await migratePostgres(c, made.schema), []);
  });
});

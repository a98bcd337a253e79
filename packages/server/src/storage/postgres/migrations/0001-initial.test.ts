/** @module storage/postgres/migrations/0001-initial.test Applies 0001 to a fresh schema: once, atomically, and once only when nodes start together. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { parsePostgresUrl } from '../connection.js';
import { describeWithPostgres, TEST_POSTGRES_URL, withTestSchema, type TestSchema } from '../test-database.js';
import { migratePostgres } from './migration.js';
import { migration0001 } from './0001-initial.js';

const clients: pg.Client[] = [];
const schemas: TestSchema[] = [];
/** Schemas the migration runner created itself, dropped through the first client. */
const created: string[] = [];
after(async () => {
  for (const name of created) await clients[0]?.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
  for (const client of clients) await client.end();
  for (const schema of schemas) await schema.drop();
});

async function client(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: parsePostgresUrl(TEST_POSTGRES_URL).connectionString });
  await c.connect();
  clients.push(c);
  return c;
}

async function schema(): Promise<string> {
  const made = await withTestSchema();
  schemas.push(made);
  return made.schema;
}

async function tables(c: pg.Client, name: string): Promise<string[]> {
  const result = await c.query<{ table_name: string }>(
    'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
    [name],
  );
  return result.rows.map((row) => row.table_name);
}

await describeWithPostgres('postgres migration 0001', () => {
  test('0001 creates every table and is applied once', async () => {
    const c = await client();
    const name = await schema();
    assert.deepEqual(await migratePostgres(c, name, [migration0001]), [1]);
    assert.deepEqual(await migratePostgres(c, name, [migration0001]), []);
    assert.deepEqual(await tables(c, name), [
      'accounts', 'contacts', 'devices', 'group_members', 'groups', 'invites', 'key_packages', 'mailbox', 'schema_migrations', 'sent_ids', 'settings',
    ]);
    const key = await c.query<{ column_name: string }>(
      `SELECT a.attname AS column_name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
       WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
      [`${name}.mailbox`],
    );
    assert.deepEqual(key.rows.map((r) => r.column_name), ['device_pk', 'seq'], 'mailbox seqs are per device');
  });

  test('nodes starting together apply it once, into a schema they create', async () => {
    const name = `${await schema()}_new`;
    created.push(name);
    const applied = await Promise.all(Array.from({ length: 4 }, async () => migratePostgres(await client(), name, [migration0001])));
    assert.deepEqual(applied.flat(), [1]);
    assert.ok((await tables(clients[0]!, name)).includes('mailbox'));
  });

  test('a failing migration leaves nothing behind', async () => {
    const c = await client();
    const name = await schema();
    await migratePostgres(c, name, [migration0001]);
    await assert.rejects(
      migratePostgres(c, name, [migration0001, { version: 2, name: 'broken', up: 'CREATE TABLE t (x INTEGER); SELECT nope FROM missing;' }]),
      /missing/,
    );
    assert.ok(!(await tables(c, name)).includes('t'));
    const version = await c.query<{ v: number }>(`SELECT max(version) AS v FROM ${name}.schema_migrations`);
    assert.equal(version.rows[0]?.v, 1);
    // The connection is usable afterwards: the runner rolled back.
    assert.equal((await c.query('SELECT 1 AS one')).rows[0]?.one, 1);
  });
});

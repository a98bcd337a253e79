/** @module storage/postgres/migrations/0005-blobs.test Adds the blobs table and the chunk table that holds their bytes. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { parsePostgresUrl } from '../connection.js';
import { describeWithPostgres, TEST_POSTGRES_URL, withTestSchema, type TestSchema } from '../test-database.js';
import { migratePostgres } from './migration.js';
import { migration0001 } from './0001-initial.js';
import { migration0002 } from './0002-group-creator.js';
import { migration0003 } from './0003-defences.js';
import { migration0004 } from './0004-linked-devices.js';
import { migration0005 } from './0005-blobs.js';

let c: pg.Client | undefined;
let made: TestSchema | undefined;
after(async () => {
  await c?.end();
  await made?.drop();
});

async function columns(client: pg.Client, schema: string, table: string): Promise<string[]> {
  const result = await client.query<{ column_name: string }>(
    'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
    [schema, table],
  );
  return result.rows.map((row) => row.column_name);
}

await describeWithPostgres('postgres migration 0005', () => {
  test('0005 adds the blobs table and blob_chunks', async () => {
    made = await withTestSchema();
    const s = made.schema;
    c = new pg.Client({ connectionString: parsePostgresUrl(TEST_POSTGRES_URL).connectionString });
    await c.connect();
    const before = [migration0001, migration0002, migration0003, migration0004];
    await migratePostgres(c, s, before);
    await c.query(`INSERT INTO ${s}.accounts (id, username, created_at) VALUES (1, 'a', 1)`);
    assert.deepEqual(await migratePostgres(c, s, [...before, migration0005]), [5]);
    assert.deepEqual(await migratePostgres(c, s, [...before, migration0005]), []);
    assert.deepEqual(await columns(c, s, 'blobs'), ['blob_id', 'account_id', 'device_id', 'size', 'received', 'created_at', 'expires_at', 'completed_at']);
    assert.deepEqual(await columns(c, s, 'blob_chunks'), ['blob_id', 'start', 'data']);
    const insert = `INSERT INTO ${s}.blobs (blob_id, account_id, device_id, size, created_at, expires_at) VALUES ($1, $2, 'd1', 10, 1, 2)`;
    await c.query(insert, [Buffer.from('b1'), 1]);
    assert.deepEqual((await c.query(`SELECT received, completed_at FROM ${s}.blobs`)).rows, [{ received: '0', completed_at: null }]);
    await assert.rejects(c.query(insert, [Buffer.from('b1'), 1]), /duplicate key/);
    await assert.rejects(c.query(insert, [Buffer.from('b2'), 9]), /foreign key/);
    await c.query(`INSERT INTO ${s}.blob_chunks (blob_id, start, data) VALUES ('\\x01', 0, '\\x00')`);
    await assert.rejects(c.query(`INSERT INTO ${s}.blob_chunks (blob_id, start, data) VALUES ('\\x01', 0, '\\x01')`), /duplicate key/);
  });
});

/** @module storage/postgres/migrations/0004-linked-devices.test Lists every existing device and adds device links and lists. */
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

await describeWithPostgres('postgres migration 0004', () => {
  test('0004 lists every existing device and adds device links and lists', async () => {
    made = await withTestSchema();
    const s = made.schema;
    c = new pg.Client({ connectionString: parsePostgresUrl(TEST_POSTGRES_URL).connectionString });
    await c.connect();
    const before = [migration0001, migration0002, migration0003];
    await migratePostgres(c, s, before);
    await c.query(`INSERT INTO ${s}.accounts (id, username, created_at) VALUES (1, 'a', 1)`);
    await c.query(`INSERT INTO ${s}.devices (pk, account_id, device_id, identity_key, created_at) VALUES (1, 1, 'd1', '\\x00', 1)`);
    assert.deepEqual(await migratePostgres(c, s, [...before, migration0004]), [4]);
    assert.deepEqual(await migratePostgres(c, s, [...before, migration0004]), []);
    assert.deepEqual((await c.query(`SELECT listed FROM ${s}.devices`)).rows, [{ listed: true }]);
    assert.deepEqual(await columns(c, s, 'device_links'), ['link_id', 'account_id', 'creator_pk', 'created_at', 'expires_at', 'used_at', 'linked_pk', 'bundle_at']);
    assert.deepEqual(await columns(c, s, 'device_lists'), ['account_id', 'version', 'signed', 'stored_at']);
    await c.query(`INSERT INTO ${s}.device_lists (account_id, version, signed, stored_at) VALUES (1, 1, '\\x01', 1)`);
    await assert.rejects(c.query(`INSERT INTO ${s}.device_lists (account_id, version, signed, stored_at) VALUES (1, 1, '\\x02', 1)`), /duplicate key/);
    await assert.rejects(c.query(`INSERT INTO ${s}.device_links (link_id, account_id, creator_pk, created_at, expires_at) VALUES ('\\x01', 1, 9, 1, 2)`), /foreign key/);
  });
});

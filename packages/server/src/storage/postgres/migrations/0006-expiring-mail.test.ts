/** @module storage/postgres/migrations/0006-expiring-mail.test Gives mailbox entries an optional expiry, indexed for the sweep. */
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
import { migration0006 } from './0006-expiring-mail.js';

let c: pg.Client | undefined;
let made: TestSchema | undefined;
after(async () => {
  await c?.end();
  await made?.drop();
});

async function columns(client: pg.Client, schema: string, table: string): Promise<{ column_name: string; data_type: string; is_nullable: string }[]> {
  const result = await client.query<{ column_name: string; data_type: string; is_nullable: string }>(
    'SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
    [schema, table],
  );
  return result.rows;
}

await describeWithPostgres('postgres migration 0006', () => {
  test('0006 adds a nullable expires_at to the mailbox, null for existing entries, and a partial index for the sweep', async () => {
    made = await withTestSchema();
    const s = made.schema;
    c = new pg.Client({ connectionString: parsePostgresUrl(TEST_POSTGRES_URL).connectionString });
    await c.connect();
    const before = [migration0001, migration0002, migration0003, migration0004, migration0005];
    await migratePostgres(c, s, before);
    await c.query(`INSERT INTO ${s}.accounts (id, username, created_at) VALUES (1, 'a', 1)`);
    await c.query(`INSERT INTO ${s}.devices (pk, account_id, device_id, identity_key, created_at) VALUES (1, 1, 'd1', '\\x00', 1)`);
    const insert = `INSERT INTO ${s}.mailbox (device_pk, seq, kind, sender_username, sender_device_id, group_id, message_id, payload, epoch, stored_at)
                    VALUES (1, $1, 1, 'a', 'd1', '\\x00', '\\x00', '\\x01', 0, 1)`;
    await c.query(insert, [1]);
    assert.deepEqual(await migratePostgres(c, s, [...before, migration0006]), [6]);
    assert.deepEqual(await migratePostgres(c, s, [...before, migration0006]), []);
    assert.deepEqual((await columns(c, s, 'mailbox')).at(-1), { column_name: 'expires_at', data_type: 'bigint', is_nullable: 'YES' });
    assert.deepEqual((await c.query(`SELECT expires_at FROM ${s}.mailbox`)).rows, [{ expires_at: null }], 'an existing entry does not expire');
    await c.query(`INSERT INTO ${s}.mailbox (device_pk, seq, kind, sender_username, sender_device_id, group_id, message_id, payload, epoch, stored_at, expires_at)
                   VALUES (1, 2, 1, 'a', 'd1', '\\x00', '\\x00', '\\x01', 0, 1, 5000)`);
    assert.deepEqual((await c.query(`SELECT seq FROM ${s}.mailbox WHERE expires_at <= 6000`)).rows, [{ seq: '2' }]);
    const index = await c.query<{ indexdef: string }>("SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = 'mailbox_by_expiry'", [s]);
    assert.match(index.rows[0]?.indexdef ?? '', /\(expires_at\) WHERE \(expires_at IS NOT NULL\)/, 'mail without expiry stays out of the index');
  });
});

/** @module storage/postgres/migrations/0007-push-subscriptions.test Adds one push subscription per device, gone with its device. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { parsePostgresUrl } from '../connection.js';
import { describeWithPostgres, TEST_POSTGRES_URL, withTestSchema, type TestSchema } from '../test-database.js';
import { migratePostgres, POSTGRES_MIGRATIONS } from './migration.js';
import { migration0007 } from './0007-push-subscriptions.js';

let c: pg.Client | undefined;
let made: TestSchema | undefined;
after(async () => {
  await c?.end();
  await made?.drop();
});

await describeWithPostgres('postgres migration 0007', () => {
  test('0007 adds push_subscriptions keyed by device, with an empty tally, deleted with the device', async () => {
    made = await withTestSchema();
    const s = made.schema;
    c = new pg.Client({ connectionString: parsePostgresUrl(TEST_POSTGRES_URL).connectionString });
    await c.connect();
    const before = POSTGRES_MIGRATIONS.filter((m) => m.version < 7);
    await migratePostgres(c, s, before);
    await c.query(`INSERT INTO ${s}.accounts (id, username, created_at) VALUES (1, 'a', 1)`);
    await c.query(`INSERT INTO ${s}.devices (pk, account_id, device_id, identity_key, created_at) VALUES (1, 1, 'd1', '\\x00', 1)`);
    assert.deepEqual(await migratePostgres(c, s, [...before, migration0007]), [7]);
    assert.deepEqual(await migratePostgres(c, s, [...before, migration0007]), []);
    const insert = `INSERT INTO ${s}.push_subscriptions (device_pk, endpoint, p256dh, auth, created_at) VALUES ($1, 'https://push.example/x', '\\x04', '\\x00', 1)`;
    await c.query(insert, [1]);
    await assert.rejects(c.query(insert, [1]), /duplicate key/, 'one subscription per device');
    await assert.rejects(c.query(insert, [2]), /foreign key/, 'only for a device that exists');
    assert.deepEqual((await c.query(`SELECT last_push_at, window_start, window_count FROM ${s}.push_subscriptions`)).rows, [{ last_push_at: '0', window_start: '0', window_count: 0 }]);
    await c.query(`DELETE FROM ${s}.devices WHERE pk = 1`);
    assert.deepEqual((await c.query(`SELECT device_pk FROM ${s}.push_subscriptions`)).rows, [], 'gone with its device');
  });
});

/** @module storage/postgres/migrations/0008-group-admins.test Adds groups.admins; groups from before have none. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { parsePostgresUrl } from '../connection.js';
import { describeWithPostgres, TEST_POSTGRES_URL, withTestSchema, type TestSchema } from '../test-database.js';
import { migratePostgres, POSTGRES_MIGRATIONS } from './migration.js';
import { migration0008 } from './0008-group-admins.js';

let c: pg.Client | undefined;
let made: TestSchema | undefined;
after(async () => {
  await c?.end();
  await made?.drop();
});

await describeWithPostgres('postgres migration 0008', () => {
  test('0008 adds groups.admins; groups created before it have no admins', async () => {
    made = await withTestSchema();
    const s = made.schema;
    c = new pg.Client({ connectionString: parsePostgresUrl(TEST_POSTGRES_URL).connectionString });
    await c.connect();
    const before = POSTGRES_MIGRATIONS.filter((m) => m.version < 8);
    await migratePostgres(c, s, before);
    await c.query(`INSERT INTO ${s}.groups (group_id, epoch, created_at) VALUES ('\\x6f6c64', 3, 1)`);
    assert.deepEqual(await migratePostgres(c, s, [...before, migration0008]), [8]);
    assert.deepEqual(await migratePostgres(c, s, [...before, migration0008]), []);
    assert.deepEqual((await c.query(`SELECT epoch, admins FROM ${s}.groups`)).rows, [{ epoch: '3', admins: null }]);
    await c.query(`INSERT INTO ${s}.groups (group_id, epoch, created_at, admins) VALUES ('\\x6e6577', 1, 1, '["alice"]')`);
    assert.deepEqual((await c.query(`SELECT admins FROM ${s}.groups WHERE group_id = '\\x6e6577'`)).rows, [{ admins: '["alice"]' }]);
  });
});

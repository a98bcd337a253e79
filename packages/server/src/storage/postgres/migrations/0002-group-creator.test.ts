/** @module storage/postgres/migrations/0002-group-creator.test Adds groups.creator_pk; groups from before keep no creator. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { parsePostgresUrl } from '../connection.js';
import { describeWithPostgres, TEST_POSTGRES_URL, withTestSchema, type TestSchema } from '../test-database.js';
import { migratePostgres } from './migration.js';
import { migration0001 } from './0001-initial.js';
import { migration0002 } from './0002-group-creator.js';

let c: pg.Client | undefined;
let made: TestSchema | undefined;
after(async () => {
  await c?.end();
  await made?.drop();
});

await describeWithPostgres('postgres migration 0002', () => {
  test('0002 adds groups.creator_pk; groups created before it have no creator', async () => {
    made = await withTestSchema();
    const s = made.schema;
    c = new pg.Client({ connectionString: parsePostgresUrl(TEST_POSTGRES_URL).connectionString });
    await c.connect();
    await migratePostgres(c, s, [migration0001]);
    await c.query(`INSERT INTO ${s}.groups (group_id, epoch, created_at) VALUES ('\\x6f6c64', 3, 1)`);
    assert.deepEqual(await migratePostgres(c, s, [migration0001, migration0002]), [2]);
    assert.deepEqual(await migratePostgres(c, s, [migration0001, migration0002]), []);
    const old = await c.query<{ epoch: string; creator_pk: string | null }>(`SELECT epoch, creator_pk FROM ${s}.groups`);
    assert.deepEqual(old.rows, [{ epoch: '3', creator_pk: null }]);
    await c.query(`INSERT INTO ${s}.accounts (id, username, created_at) VALUES (1, 'a', 1)`);
    await c.query(`INSERT INTO ${s}.devices (pk, account_id, device_id, identity_key, created_at) VALUES (7, 1, 'd', '\\x00', 1)`);
    await c.query(`INSERT INTO ${s}.groups (group_id, epoch, created_at, creator_pk) VALUES ('\\x6e6577', 1, 1, 7)`);
    await assert.rejects(c.query(`INSERT INTO ${s}.groups (group_id, epoch, created_at, creator_pk) VALUES ('\\x626164', 1, 1, 99)`), /foreign key/);
  });
});

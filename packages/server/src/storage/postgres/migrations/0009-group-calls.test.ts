/** @module storage/postgres/migrations/0009-group-calls.test Adds the group_calls table, one record per group. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { parsePostgresUrl } from '../connection.js';
import { describeWithPostgres, TEST_POSTGRES_URL, withTestSchema, type TestSchema } from '../test-database.js';
import { migratePostgres, POSTGRES_MIGRATIONS } from './migration.js';
import { migration0009 } from './0009-group-calls.js';

let c: pg.Client | undefined;
let made: TestSchema | undefined;
after(async () => {
  await c?.end();
  await made?.drop();
});

await describeWithPostgres('postgres migration 0009', () => {
  test('0009 adds group_calls, one record per group', async () => {
    made = await withTestSchema();
    const s = made.schema;
    c = new pg.Client({ connectionString: parsePostgresUrl(TEST_POSTGRES_URL).connectionString });
    await c.connect();
    const before = POSTGRES_MIGRATIONS.filter((m) => m.version < 9);
    await migratePostgres(c, s, before);
    assert.deepEqual(await migratePostgres(c, s, [...before, migration0009]), [9]);
    assert.deepEqual(await migratePostgres(c, s, [...before, migration0009]), []);
    await c.query(`INSERT INTO ${s}.group_calls (group_id, record, updated_at) VALUES ('\\x67', '{}', 1)`);
    await assert.rejects(c.query(`INSERT INTO ${s}.group_calls (group_id, record, updated_at) VALUES ('\\x67', '{}', 2)`), /duplicate key/);
  });
});

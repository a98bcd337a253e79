/** @module storage/postgres/migrations/0010-send-batch-function.test Adds send_batch; an empty batch answers no rows, an unknown group is refused in words the server maps and names no copy. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { parsePostgresUrl } from '../connection.js';
import { describeWithPostgres, TEST_POSTGRES_URL, withTestSchema, type TestSchema } from '../test-database.js';
import { migratePostgres, POSTGRES_MIGRATIONS } from './migration.js';
import { migration0010 } from './0010-send-batch-function.js';

let c: pg.Client | undefined;
let made: TestSchema | undefined;
after(async () => {
  await c?.end();
  await made?.drop();
});

await describeWithPostgres('postgres migration 0010', () => {
  test('0010 adds send_batch: an empty batch answers nothing, a send to an unknown group is refused, nothing stored', async () => {
    made = await withTestSchema();
    const s = made.schema;
    c = new pg.Client({ connectionString: parsePostgresUrl(TEST_POSTGRES_URL).connectionString });
    await c.connect();
    const before = POSTGRES_MIGRATIONS.filter((m) => m.version < 10);
    await migratePostgres(c, s, before);
    assert.deepEqual(await migratePostgres(c, s, [...before, migration0010]), [10]);
    assert.deepEqual(await migratePostgres(c, s, [...before, migration0010]), []);
    const call = `SELECT ord, code, duplicate FROM ${s}.send_batch($1::text[], $2::text[], $3::bytea[], $4::bytea[], $5::int[], $6::bytea[], $7::bigint[], $8::bigint[], $9::bigint[])`;
    await c.query(`SET search_path = ${s}`);
    assert.deepEqual((await c.query(call, [[], [], [], [], [], [], [], [], []])).rows, []);
    const one = [['nobody'], ['d1'], [Buffer.from('g')], [Buffer.from('m')], [1], [Buffer.from('p')], [0], [1], [0]];
    assert.deepEqual((await c.query(call, one)).rows, [{ ord: '1', code: 'unknown_group', duplicate: false }]);
    assert.deepEqual((await c.query(call.replace('SELECT ord, code, duplicate', 'SELECT seqs'), one)).rows, [{ seqs: [] }], 'a refused send names no copy');
    assert.deepEqual((await c.query(`SELECT count(*)::int AS n FROM ${s}.mailbox`)).rows, [{ n: 0 }]);
  });
});

/** @module storage/postgres/migrations/0011-send-batch-seqs.test Replaces send_batch with one that also answers each copy's seq; an old call naming its columns still works. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { parsePostgresUrl } from '../connection.js';
import { describeWithPostgres, TEST_POSTGRES_URL, withTestSchema, type TestSchema } from '../test-database.js';
import { migratePostgres, POSTGRES_MIGRATIONS } from './migration.js';
import { migration0011 } from './0011-send-batch-seqs.js';

let c: pg.Client | undefined;
let made: TestSchema | undefined;
after(async () => {
  await c?.end();
  await made?.drop();
});

await describeWithPostgres('postgres migration 0011', () => {
  test('0011 gives send_batch a seqs column, once; a call naming 0010\'s columns still answers', async () => {
    made = await withTestSchema();
    const s = made.schema;
    c = new pg.Client({ connectionString: parsePostgresUrl(TEST_POSTGRES_URL).connectionString });
    await c.connect();
    const before = POSTGRES_MIGRATIONS.filter((m) => m.version < 11);
    await migratePostgres(c, s, before);
    assert.deepEqual(await migratePostgres(c, s, [...before, migration0011]), [11]);
    assert.deepEqual(await migratePostgres(c, s, [...before, migration0011]), []);
    await c.query(`SET search_path = ${s}`);
    const args = `($1::text[], $2::text[], $3::bytea[], $4::bytea[], $5::int[], $6::bytea[], $7::bigint[], $8::bigint[], $9::bigint[])`;
    const one = [['nobody'], ['d1'], [Buffer.from('g')], [Buffer.from('m')], [1], [Buffer.from('p')], [0], [1], [0]];
    assert.deepEqual((await c.query(`SELECT ord, code, seqs FROM ${s}.send_batch${args}`, one)).rows, [{ ord: '1', code: 'unknown_group', seqs: [] }]);
    // A node of the version before (during a rolling upgrade) names the columns it knows.
    assert.deepEqual((await c.query(`SELECT ord, code, duplicate, stored_at, usernames, device_ids FROM ${s}.send_batch${args}`, one)).rows.length, 1);
    assert.deepEqual((await c.query(`SELECT count(*)::int AS n FROM ${s}.mailbox`)).rows, [{ n: 0 }]);
  });
});

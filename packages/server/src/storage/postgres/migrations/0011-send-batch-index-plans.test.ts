/**
 * @module storage/postgres/migrations/0011-send-batch-index-plans.test
 * After 0011 no statement of send_batch scans a table whole: the plans of one call, each statement's
 * as PostgreSQL ran it (auto_explain, nested statements, sent to this session as notices), name
 * only index scans of the tables. Before it, with the same call, they scanned tables whole.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { describeWithPostgres, planLoggingSession, withTestSchema, type TestSchema } from '../test-database.js';
import { migratePostgres, POSTGRES_MIGRATIONS } from './migration.js';
import { migration0011 } from './0011-send-batch-index-plans.js';

let c: pg.Client | undefined;
let made: TestSchema | undefined;
after(async () => {
  await c?.end();
  await made?.drop();
});

/** The tables send_batch reads and writes. */
const TABLES = ['groups', 'accounts', 'devices', 'group_members', 'sent_ids', 'mailbox'];

/** The tables one call of send_batch scanned whole, from the plans of its statements. */
async function tablesScannedWhole(client: pg.Client, schema: string): Promise<string[]> {
  const plans: string[] = [];
  const collect = (notice: { message?: string }) => plans.push(notice.message ?? '');
  client.on('notice', collect);
  try {
    // A send to an unknown group: the function runs every statement all the same.
    await client.query(
      `SELECT * FROM ${schema}.send_batch($1::text[], $2::text[], $3::bytea[], $4::bytea[], $5::int[], $6::bytea[], $7::bigint[], $8::bigint[], $9::bigint[])`,
      [['nobody'], ['d1'], [Buffer.from('g')], [Buffer.from('m')], [1], [Buffer.from('p')], [0], [1], [0]],
    );
  } finally {
    client.off('notice', collect);
  }
  assert.ok(plans.filter((plan) => plan.includes('Query Text')).length >= 6, `the plans of the function's statements were logged: ${plans.length}`);
  return [...new Set(plans.flatMap((plan) => [...plan.matchAll(/Seq Scan on (\w+)/g)].map((match) => match[1]!)))].filter((table) => TABLES.includes(table)).sort();
}

await describeWithPostgres('postgres migration 0011', () => {
  test('0011: send_batch scans no table whole, where before it scanned several', async () => {
    made = await withTestSchema();
    const s = made.schema;
    c = await planLoggingSession(s);
    const before = POSTGRES_MIGRATIONS.filter((m) => m.version < 11);
    await migratePostgres(c, s, before);
    assert.notDeepEqual(await tablesScannedWhole(c, s), [], 'before 0011 the function scanned tables whole');
    assert.deepEqual(await migratePostgres(c, s, [...before, migration0011]), [11]);
    // A new session: the kept plans of the one before were made without the setting.
    await c.end();
    c = await planLoggingSession(s);
    assert.deepEqual(await tablesScannedWhole(c, s), []);
  });
});

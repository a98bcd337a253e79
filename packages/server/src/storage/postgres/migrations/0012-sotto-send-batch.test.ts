/**
 * @module storage/postgres/migrations/0012-sotto-send-batch.test
 * 0012 adds sotto_send_batch beside send_batch. The plans of one of its calls as PostgreSQL ran them
 * (auto_explain, nested statements, sent to this session as notices) join no two of its own common
 * table expressions as a nested loop, where send_batch's claim of the message ids did, and scan no
 * table whole (0011's setting, restated). It answers a batch of new ids, ids repeated within it and
 * ids stored by an earlier batch as send_batch would; send_batch, kept for the nodes of the version
 * before, still answers. That its answers match the statements' for random batches is
 * send-batch.test.ts's.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { DeliveryKind } from '@sotto/protocol';
import { packed } from '../group-writes.js';
import { describeWithPostgres, planLoggingSession, withTestSchema, type TestSchema } from '../test-database.js';
import { migratePostgres, POSTGRES_MIGRATIONS } from './migration.js';
import { migration0012 } from './0012-sotto-send-batch.js';

let c: pg.Client | undefined;
let made: TestSchema | undefined;
after(async () => {
  await c?.end();
  await made?.drop();
});

const ANSWER = 'SELECT ord, code, duplicate, stored_at, seqs';
const OLD_CALL = `${ANSWER} FROM send_batch($1::text[], $2::text[], $3::bytea[], $4::bytea[], $5::int[], $6::bytea[], $7::bigint[], $8::bigint[], $9::bigint[]) ORDER BY ord`;
const NEW_CALL = `${ANSWER} FROM sotto_send_batch($1::text[], $2::text[], $3::bytea, $4::int[], $5::bytea, $6::int[], $7::int[], $8::bytea, $9::int[], $10::bigint[], $11::bigint[], $12::bigint[]) ORDER BY ord`;
const group = new Uint8Array(32).fill(7);
const id = (n: number) => new Uint8Array(16).fill(n);

/** A batch from ann to the group, one send per message id stored at `now` + its place, as send_batch takes it. */
const oldBatch = (messageIds: readonly Uint8Array[], now: number) => [
  messageIds.map(() => 'ann'), messageIds.map(() => 'd1'), messageIds.map(() => group), messageIds, messageIds.map(() => DeliveryKind.MLS_MESSAGE),
  messageIds.map((_, i) => new Uint8Array(i + 1).fill(i)), messageIds.map(() => 0), messageIds.map((_, i) => now + i), messageIds.map(() => 0),
];
/** The same batch as sotto_send_batch takes it: the byte strings packed. */
const newBatch = (messageIds: readonly Uint8Array[], now: number) => {
  const [usernames, deviceIds, groupIds, ids, kinds, payloads, epochs, nows, expires] = oldBatch(messageIds, now);
  return [usernames, deviceIds, ...packed(groupIds as Uint8Array[]), ...packed(ids as Uint8Array[]), kinds, ...packed(payloads as Uint8Array[]), epochs, nows, expires];
};

/** The plans of one call, each statement's, and the call's answer. */
async function planned(client: pg.Client, call: string, values: unknown[]): Promise<{ plans: string[]; rows: unknown[] }> {
  const plans: string[] = [];
  const collect = (notice: { message?: string }) => plans.push(notice.message ?? '');
  client.on('notice', collect);
  try {
    const { rows } = await client.query(call, values);
    return { plans, rows };
  } finally {
    client.off('notice', collect);
  }
}

/** A nested loop (and its join filter, if any) whose two inputs are both scans of the statement's own common table expressions. */
const nestedLoopOverCtes = (plan: string) => /Nested Loop[^\n]*\n(?:[^\n]*Join Filter:[^\n]*\n)?\s*->\s+CTE Scan[^\n]*\n\s*->\s+CTE Scan/.test(plan);

await describeWithPostgres('postgres migration 0012', () => {
  test('0012: sotto_send_batch claims in one pass with index-only plans, answers as send_batch did, and send_batch stays', async () => {
    made = await withTestSchema();
    const s = made.schema;
    c = await planLoggingSession(s);
    const before = POSTGRES_MIGRATIONS.filter((m) => m.version < 12);
    await migratePostgres(c, s, before);
    // Ann and Bea, one device each, in one group (rows as the store writes them; the store itself would migrate to the latest).
    await c.query(`INSERT INTO accounts (username, created_at) VALUES ('ann', 1), ('bea', 1)`);
    await c.query(`INSERT INTO devices (account_id, device_id, identity_key, created_at) SELECT id, 'd1', '\\x00', 1 FROM accounts`);
    await c.query('INSERT INTO groups (group_id, epoch, created_at) VALUES ($1, 1, 1)', [group]);
    await c.query('INSERT INTO group_members (group_id, device_pk) SELECT $1, pk FROM devices', [group]);

    // Ids 1, 2 and 3 stored at 100, 101 and 103 (the second 1 is a repeat); Bea's copies are seqs 1-3.
    const old = await planned(c, OLD_CALL, oldBatch([id(1), id(2), id(1), id(3)], 100));
    assert.ok(old.plans.some(nestedLoopOverCtes), "send_batch's claim was a nested loop over two expressions");
    assert.deepEqual(await migratePostgres(c, s, [...before, migration0012]), [12]);

    // New ids (4, 5), one repeated within the batch (4), ids stored by the batch before (1, 3).
    const now = await planned(c, NEW_CALL, newBatch([id(4), id(1), id(5), id(4), id(3)], 200));
    assert.ok(now.plans.filter((plan) => plan.includes('Query Text')).length >= 6, `the plans of the function's statements were logged: ${now.plans.length}`);
    assert.equal(now.plans.filter(nestedLoopOverCtes).length, 0, 'no nested loop over two expressions');
    assert.deepEqual(now.plans.flatMap((plan) => [...plan.matchAll(/Seq Scan on (\w+)/g)].map((match) => match[1])), [], 'no table scanned whole');
    assert.deepEqual(now.rows, [
      { ord: '1', code: 'ok', duplicate: false, stored_at: '200', seqs: ['4'] },
      { ord: '2', code: 'ok', duplicate: true, stored_at: '100', seqs: [] },
      { ord: '3', code: 'ok', duplicate: false, stored_at: '202', seqs: ['5'] },
      { ord: '4', code: 'ok', duplicate: true, stored_at: '200', seqs: [] },
      { ord: '5', code: 'ok', duplicate: true, stored_at: '103', seqs: [] },
    ]);
    // Each copy holds its own send's bytes, unpacked from the packed lists.
    const copies = await c.query<{ message_id: Buffer; payload: Buffer; group_id: Buffer }>('SELECT message_id, payload, group_id FROM mailbox WHERE seq IN (4, 5) ORDER BY seq');
    assert.deepEqual(copies.rows.map((row) => [[...row.message_id], [...row.payload], row.group_id.equals(group)]), [[[...id(4)], [0], true], [[...id(5)], [2, 2, 2], true]]);

    // send_batch still answers, for a node of the version before: id 6 is new, id 5 was stored above.
    const kept = await c.query(OLD_CALL, oldBatch([id(6), id(5)], 300));
    assert.deepEqual(kept.rows.map((row: { duplicate: boolean; seqs: string[] }) => [row.duplicate, row.seqs]), [[false, ['6']], [true, []]]);
  });
});

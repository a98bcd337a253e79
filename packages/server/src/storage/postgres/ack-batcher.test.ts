/**
 * @module storage/postgres/ack-batcher.test
 * Acks asked for in one turn by several devices are one statement, each device told how many of its
 * own entries went; a seq of another device's, or of an unknown device, deletes nothing; requests
 * over MAX_ACKS_PER_BATCH seqs are split between statements without splitting a request; a failed
 * statement rejects the acks in it alone, and the next batch still runs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { DeliveryKind } from '@sotto/protocol';
import type { DeviceAddress, MailItem } from '../types.js';
import { AckBatcher, MAX_ACKS_PER_BATCH } from './ack-batcher.js';
import { PostgresStore } from './postgres-store.js';
import { describeWithPostgres, withTestSchema, type TestSchema } from './test-database.js';
import type { Sql } from './transaction.js';

const device = (username: string): DeviceAddress => ({ username, deviceId: 'd1' });
const sender = device('sender');
const recipients = ['r0', 'r1', 'r2', 'r3'].map(device);

/** `sql`, counting the statements it runs. */
function counted(sql: Sql): { sql: Sql; statements: () => number } {
  let n = 0;
  const counting = { query: (...args: unknown[]) => (n++, (sql.query as (...a: unknown[]) => Promise<pg.QueryResult>)(...args)) } as unknown as Sql;
  return { sql: counting, statements: () => n };
}

test('a failed statement rejects the acks in it; the next batch runs', async () => {
  let calls = 0;
  const flaky = {
    query: async () => {
      calls++;
      if (calls === 1) throw Object.assign(new Error('connection lost'), { code: '08006' });
      return { rows: [{ request: 0 }] };
    },
  } as unknown as Sql;
  const acks = new AckBatcher(flaky);
  const first = [acks.ack(recipients[0]!, [1n]), acks.ack(recipients[1]!, [1n])];
  for (const outcome of await Promise.allSettled(first)) assert.equal(outcome.status, 'rejected');
  assert.equal(await acks.ack(recipients[0]!, [1n]), 1);
  assert.equal(await acks.ack(recipients[0]!, []), 0, 'nothing to delete: no statement');
  assert.equal(calls, 2);
});

await describeWithPostgres('PostgreSQL acks gathered across devices', () => {
  let schema: TestSchema;
  let store: PostgresStore;
  let pool: pg.Pool;
  before(async () => {
    schema = await withTestSchema();
    store = await PostgresStore.connect(schema.url, { maxConnections: 2 });
    pool = new pg.Pool({ connectionString: schema.url.replace(/\?.*$/, ''), options: `-c search_path=${schema.schema}`, max: 2 });
    for (const who of [sender, ...recipients]) await store.createAccount({ ...who, identityKey: new Uint8Array(32), requireInvite: false, now: 1 });
    const groupId = new Uint8Array(32).fill(3);
    const item = (n: number, kind = DeliveryKind.MLS_MESSAGE): MailItem => ({ kind, sender, groupId, messageId: new Uint8Array(16).fill(n), payload: new Uint8Array([n]), epoch: 1n });
    await store.createGroup({ groupId, epoch: 1n, creator: sender, members: recipients, welcome: item(0, DeliveryKind.MLS_WELCOME), now: 2 });
    for (let n = 1; n <= 4; n++) await store.sendToGroup(item(n), 3);
  });
  after(async () => {
    await pool.end();
    await store.close();
    await schema.drop();
  });

  const seqsOf = async (who: DeviceAddress) => (await store.readMailbox(who, 0n, 100)).map((entry) => entry.seq);

  test('four devices ack in one turn: one statement, each told its own count; others\' seqs and unknown devices delete nothing', async () => {
    const { sql, statements } = counted(pool);
    const acks = new AckBatcher(sql);
    const [r0, r1, r2, r3] = await Promise.all(recipients.map(seqsOf));
    assert.deepEqual([r0, r1, r2, r3].map((seqs) => seqs!.length), [5, 5, 5, 5]);
    const answers = await Promise.all([
      acks.ack(recipients[0]!, r0!.slice(0, 2)),
      acks.ack(recipients[1]!, r1!),
      acks.ack(recipients[2]!, [r2![0]!, 999n]), // one of its own, one it never had
      acks.ack(device('nobody'), r3!),
    ]);
    assert.deepEqual(answers, [2, 5, 1, 0]);
    assert.equal(statements(), 1, 'one statement for every device');
    assert.deepEqual(await seqsOf(recipients[0]!), r0!.slice(2));
    assert.deepEqual(await seqsOf(recipients[1]!), []);
    assert.deepEqual(await seqsOf(recipients[2]!), r2!.slice(1));
    assert.deepEqual(await seqsOf(recipients[3]!), r3, "an unknown device's ack took nothing of r3's");
  });

  test('more seqs than a statement takes are split between statements, never inside a request', async () => {
    const { sql, statements } = counted(pool);
    const acks = new AckBatcher(sql);
    const big = Array.from({ length: MAX_ACKS_PER_BATCH - 1 }, (_, i) => BigInt(10_000 + i));
    const r3 = await seqsOf(recipients[3]!);
    const answers = await Promise.all([acks.ack(recipients[3]!, [...big, r3[0]!]), acks.ack(recipients[3]!, [r3[1]!]), acks.ack(recipients[3]!, r3.slice(2))]);
    assert.deepEqual(answers, [1, 1, r3.length - 2]);
    assert.equal(statements(), 2, 'the first request filled a statement; the other two shared the next');
    await acks.idle();
    assert.deepEqual(await seqsOf(recipients[3]!), []);
  });
});

/**
 * @module storage/postgres/ack-batcher.test
 * Acks asked for in one turn by several devices are one statement, each device told how many of its
 * own entries went; a seq of another device's, or of an unknown device, deletes nothing; requests
 * over MAX_ACKS_PER_BATCH seqs are split between statements without splitting a request. One
 * request cannot fail the others: a seq outside BIGINT (which failed the whole statement) is dropped,
 * and a batch PostgreSQL refuses is tried again request by request. An unreachable database
 * rejects the batch's acks as unavailable storage, a deadlock is retried, and the next batch still runs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { DeliveryKind } from '@sotto/protocol';
import type { DeviceAddress, MailItem } from '../types.js';
import { AckBatcher, MAX_ACKS_PER_BATCH } from './ack-batcher.js';
import { PostgresStore } from './postgres-store.js';
import { describeWithPostgres, withTestSchema, type TestSchema } from './test-database.js';
import { StorageUnavailableError } from '../../errors.js';
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

/** A stand-in database: each call is answered by `answer(call, usernames)`, an error to throw or every row deleted. */
function scripted(answer: (call: number, usernames: string[]) => Error | undefined): { sql: Sql; calls: () => number } {
  let calls = 0;
  const sql = {
    query: async (_text: string, values: unknown[]) => {
      const failure = answer(++calls, values[0] as string[]);
      if (failure) throw failure;
      return { rows: (values[3] as number[]).map((request) => ({ request })) };
    },
  } as unknown as Sql;
  return { sql, calls: () => calls };
}
/** An error as PostgreSQL's answer arrives (pg's DatabaseError carries the severity and the SQLSTATE). */
const pgError = (code: string) => Object.assign(new Error(`refused: ${code}`), { code, severity: 'ERROR' });

test('an unreachable database rejects every ack in the batch as unavailable storage, at once; the next batch runs', async () => {
  // A broken socket: a code, but no answer from the server.
  const db = scripted((call) => (call === 1 ? Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }) : undefined));
  const acks = new AckBatcher(db.sql);
  const first = await Promise.allSettled([acks.ack(recipients[0]!, [1n]), acks.ack(recipients[1]!, [1n])]);
  for (const outcome of first) assert.ok(outcome.status === 'rejected' && outcome.reason instanceof StorageUnavailableError, 'mapped to the store error');
  assert.equal(db.calls(), 1, 'not tried request by request');
  assert.equal(await acks.ack(recipients[0]!, [1n, 2n]), 2);
  assert.equal(await acks.ack(recipients[0]!, []), 0, 'nothing to delete: no statement');
  assert.equal(db.calls(), 2);
});

test('a database shutting down (57P01) also rejects the whole batch at once', async () => {
  const db = scripted(() => pgError('57P01'));
  const acks = new AckBatcher(db.sql);
  const outcomes = await Promise.allSettled([acks.ack(recipients[0]!, [1n]), acks.ack(recipients[1]!, [1n])]);
  assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected']);
  assert.equal(db.calls(), 1);
});

test('a deadlock with another node is retried, and the acks go through', async () => {
  const db = scripted((call) => (call === 1 ? pgError('40P01') : undefined));
  const acks = new AckBatcher(db.sql);
  assert.deepEqual(await Promise.all([acks.ack(recipients[0]!, [1n]), acks.ack(recipients[1]!, [1n, 2n])]), [1, 2]);
  assert.equal(db.calls(), 2);
});

test("a batch refused for one request's sake is tried request by request: only that one fails", async () => {
  const db = scripted((_call, usernames) => (usernames.includes('r1') ? pgError('22003') : undefined));
  const acks = new AckBatcher(db.sql);
  const outcomes = await Promise.allSettled([acks.ack(recipients[0]!, [1n]), acks.ack(recipients[1]!, [1n]), acks.ack(recipients[2]!, [1n, 2n])]);
  assert.deepEqual(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : 'rejected')), [1, 'rejected', 2]);
  assert.equal(db.calls(), 4, 'the batch, then each of its three requests');
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

  test("seqs no mailbox can hold (0, 2^63 and more) are dropped, not sent: another device's acks in the same statement go through", async () => {
    const acks = new AckBatcher(pool);
    const [r0, r2] = await Promise.all([seqsOf(recipients[0]!), seqsOf(recipients[2]!)]);
    const answers = await Promise.all([acks.ack(recipients[0]!, [0n, 2n ** 63n, 2n ** 64n - 1n, r0[0]!]), acks.ack(recipients[2]!, [r2[0]!])]);
    assert.deepEqual(answers, [1, 1]);
    assert.equal(await acks.ack(recipients[0]!, [2n ** 63n]), 0, 'nothing left to send: no statement');
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

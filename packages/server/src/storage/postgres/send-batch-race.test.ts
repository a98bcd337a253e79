/**
 * @module storage/postgres/send-batch-race.test
 * A recipient device deleted while a send is being stored (a device list published on another
 * node): the send's membership read still names the device, its lock then finds the row gone, and
 * it gets no mailbox row. Both ways of storing a batch answer the recipients and seqs of the rows
 * they wrote, aligned: before, the function paired the recipients it read with the seqs it wrote,
 * so the answer was shifted and ended in a NULL seq (the send failed after it had committed), and
 * the statements threw and rolled back the whole batch.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { DeliveryKind } from '@sotto/protocol';
import type { DeviceAddress, MailItem } from '../types.js';
import { deleteDevices } from './device-queries.js';
import { sendBatchByFunction, type BatchedSend, type SendOutcome } from './group-writes.js';
import { PostgresStore } from './postgres-store.js';
import { sendBatchByStatements } from './send-batch-statements.js';
import { describeWithPostgres, withTestSchema, type TestSchema } from './test-database.js';
import { inTransaction } from './transaction.js';

const device = (username: string): DeviceAddress => ({ username, deviceId: 'd1' });
const [ann, bea, cid, dov] = ['ann', 'bea', 'cid', 'dov'].map(device) as [DeviceAddress, DeviceAddress, DeviceAddress, DeviceAddress];
const groupId = new Uint8Array(32).fill(6);

await describeWithPostgres('a recipient deleted while a send is stored', () => {
  let schema: TestSchema;
  let store: PostgresStore;
  let pool: pg.Pool;
  before(async () => {
    schema = await withTestSchema();
    store = await PostgresStore.connect(schema.url, { maxConnections: 2 });
    pool = new pg.Pool({ connectionString: schema.url.replace(/\?.*$/, ''), options: `-c search_path=${schema.schema}`, max: 4 });
    for (const user of [ann, bea, cid, dov]) await store.createAccount({ ...user, identityKey: new Uint8Array(32), requireInvite: false, now: 1 });
    const welcome: MailItem = { kind: DeliveryKind.MLS_WELCOME, sender: ann, groupId, messageId: new Uint8Array(16), payload: new Uint8Array([1]), epoch: 1n };
    // Bea's pk sits between the others': her missing row would shift every pair after it.
    await store.createGroup({ groupId, epoch: 1n, creator: ann, members: [bea, cid, dov], welcome, now: 2 });
  });
  after(async () => {
    await pool.end();
    await store.close();
    await schema.drop();
  });

  async function pkOf(who: DeviceAddress): Promise<string> {
    const { rows } = await pool.query<{ pk: string }>('SELECT d.pk FROM devices d JOIN accounts a ON a.id = d.account_id WHERE a.username = $1', [who.username]);
    return rows[0]!.pk;
  }

  /** Deletes `who`'s device in a transaction held open while `store` runs, committed once the send waits for its lock. */
  async function raceDeletion(who: DeviceAddress, storing: () => Promise<SendOutcome[]>): Promise<SendOutcome[]> {
    const deleter = await pool.connect();
    try {
      await deleter.query('BEGIN');
      await deleteDevices(deleter, [await pkOf(who)]);
      const outcome = storing();
      outcome.catch(() => undefined);
      // The send has read the members (the deletion is not committed) and now waits for the device's lock.
      for (let waited = 0; ; waited += 20) {
        const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()");
        if (rows[0]!.n > 0) break;
        assert.ok(waited < 10_000, 'the send never waited for the deleted device');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await deleter.query('COMMIT');
      return await outcome;
    } finally {
      deleter.release();
    }
  }

  async function seqOf(who: DeviceAddress, messageId: Uint8Array): Promise<string | undefined> {
    const { rows } = await pool.query<{ seq: string }>(
      'SELECT m.seq FROM mailbox m JOIN devices d ON d.pk = m.device_pk JOIN accounts a ON a.id = d.account_id WHERE a.username = $1 AND m.message_id = $2',
      [who.username, messageId],
    );
    return rows[0]?.seq;
  }

  const ways: [string, DeviceAddress, (sends: BatchedSend[]) => Promise<SendOutcome[]>][] = [
    ['the function', bea, (sends) => sendBatchByFunction(pool, sends)],
    ['the statements', cid, (sends) => inTransaction(pool, (sql) => sendBatchByStatements(sql, sends))],
  ];
  const deletedSoFar = new Set<string>();
  for (const [way, deleted, storeBatch] of ways) {
    test(`${way}: the answer names the rows written, each with its own seq`, async () => {
      const messageId = new Uint8Array(16).fill(way.length);
      const send: BatchedSend = { now: 10, item: { kind: DeliveryKind.MLS_MESSAGE, sender: ann, groupId, messageId, payload: new Uint8Array([9]), epoch: 0n } };
      const [outcome] = await raceDeletion(deleted, () => storeBatch([send]));
      deletedSoFar.add(deleted.username);
      assert.ok(outcome?.ok, `the send was stored: ${outcome && !outcome.ok ? outcome.error.message : ''}`);
      const { recipients, seqs } = outcome.mail;
      assert.deepEqual(recipients.map((r) => r.username), [bea, cid, dov].map((d) => d.username).filter((name) => !deletedSoFar.has(name)));
      assert.deepEqual(seqs?.map(String), await Promise.all(recipients.map((r) => seqOf(r, messageId))), 'each seq is its own recipient\'s row');
    });
  }
});

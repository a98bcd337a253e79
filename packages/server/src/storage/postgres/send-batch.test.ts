/**
 * @module storage/postgres/send-batch.test
 * The two ways a batch of sends is stored on PostgreSQL, the server-side function (small batches,
 * one round trip) and the five statements from Node (large batches), give the same outcome for
 * every send and leave the same mailboxes: random batches (fast-check) of sends to two groups and
 * to a group of one and to no group, from members (one with two devices), a non-member, an
 * unknown account and an unknown device of a known account, of several kinds and epochs, with
 * message ids repeated within a batch and across batches, and some disappearing, go to two
 * identical schemas, one way each, and the answers (with the seq each copy got), the claimed ids
 * and the mailbox tables are compared after every batch, and each answer's seqs are checked against
 * the rows they name. (One batch at a time: how a batch meets a concurrent commit is the
 * storage contract's and postgres-store.test.ts's.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import pg from 'pg';
import { DeliveryKind, ErrorCode } from '@sotto/protocol';
import type { DeviceAddress, MailItem } from '../types.js';
import { sendBatchByFunction, type BatchedSend, type SendOutcome } from './group-writes.js';
import { PostgresStore } from './postgres-store.js';
import { sendBatchByStatements } from './send-batch-statements.js';
import { describeWithPostgres, withTestSchema, type TestSchema } from './test-database.js';
import { inTransaction } from './transaction.js';

const device = (username: string, deviceId = 'd1'): DeviceAddress => ({ username, deviceId });
const users = ['ann', 'bea', 'cid', 'dov', 'eli'].map((name) => device(name));
/** Ann's second device: a member of the first group beside her first. */
const ann2 = device('ann', 'd2');
const ghost = device('ghost'); // never registered
const strayDevice = device('bea', 'd9'); // a known account, an unknown device
/** The first two groups have others in them; the third only its creator (a send reaches nobody). */
const groups = [1, 2, 3].map((n) => Uint8Array.from({ length: 32 }, () => n));
const noGroup = Uint8Array.from({ length: 32 }, () => 9);
const ids = Array.from({ length: 60 }, (_, i) => Uint8Array.from({ length: 16 }, () => i + 1));

interface Side {
  readonly schema: TestSchema;
  readonly store: PostgresStore;
  readonly pool: pg.Pool;
}

/** Outcomes without the error objects' identity: what a client would be told, and each copy's seq (what a mail event carries). */
const told = (outcomes: readonly SendOutcome[]) =>
  outcomes.map((o) => (o.ok ? { stored: o.mail.storedAt, duplicate: o.mail.duplicate, to: o.mail.recipients.map((r, i) => `${r.username}/${r.deviceId}#${o.mail.seqs?.[i]}`) } : { refused: o.error.code }));

/** Every fresh send's seqs name its own copies: the row at (recipient, seq) holds the send's message id and payload. */
async function seqsMatchMailboxes(side: Side, batch: readonly BatchedSend[], outcomes: readonly SendOutcome[]): Promise<void> {
  for (const [i, outcome] of outcomes.entries()) {
    if (!outcome.ok || outcome.mail.duplicate) continue;
    assert.equal(outcome.mail.seqs?.length, outcome.mail.recipients.length, 'a seq for every recipient');
    for (const [k, recipient] of outcome.mail.recipients.entries()) {
      const found: pg.QueryResult<{ message_id: Buffer; payload: Buffer }> = await side.pool.query(
        `SELECT m.message_id, m.payload FROM mailbox m JOIN devices d ON d.pk = m.device_pk JOIN accounts a ON a.id = d.account_id
         WHERE a.username = $1 AND d.device_id = $2 AND m.seq = $3`,
        [recipient.username, recipient.deviceId, String(outcome.mail.seqs![k])],
      );
      assert.equal(found.rows.length, 1, 'the seq names a row');
      assert.deepEqual([new Uint8Array(found.rows[0]!.message_id), new Uint8Array(found.rows[0]!.payload)], [batch[i]!.item.messageId, batch[i]!.item.payload]);
    }
  }
}

async function mailboxes(side: Side): Promise<unknown[]> {
  const ids = await side.pool.query(
    `SELECT a.username, d.device_id, encode(s.message_id, 'hex') AS id, s.stored_at, s.recipients
     FROM sent_ids s JOIN devices d ON d.pk = s.sender_pk JOIN accounts a ON a.id = d.account_id ORDER BY 1, 2, 3`,
  );
  const { rows } = await side.pool.query(
    `SELECT a.username, d.device_id, m.seq, m.kind, m.sender_username, m.sender_device_id, encode(m.group_id, 'hex') AS g, encode(m.message_id, 'hex') AS id,
            encode(m.payload, 'hex') AS payload, m.epoch, m.stored_at, m.expires_at, d.next_seq
     FROM mailbox m JOIN devices d ON d.pk = m.device_pk JOIN accounts a ON a.id = d.account_id ORDER BY a.username, d.device_id, m.seq`,
  );
  return [...ids.rows, ...rows];
}

await describeWithPostgres('send batches: the function and the statements agree', () => {
  const sides: Side[] = [];

  before(async () => {
    for (let i = 0; i < 2; i++) {
      const schema = await withTestSchema();
      const store = await PostgresStore.connect(schema.url, { maxConnections: 2 });
      const pool = new pg.Pool({ connectionString: schema.url.replace(/\?.*$/, ''), options: `-c search_path=${schema.schema}`, max: 2 });
      for (const user of users) await store.createAccount({ ...user, identityKey: new Uint8Array(32), requireInvite: false, now: 1 });
      // A second device of Ann's, as linking one leaves it (the link's own steps are not what is tested here).
      await pool.query(`INSERT INTO devices (account_id, device_id, identity_key, created_at) SELECT id, $1, $2, 1 FROM accounts WHERE username = $3`, [ann2.deviceId, new Uint8Array(32), ann2.username]);
      const welcome = (groupId: Uint8Array): MailItem => ({ kind: DeliveryKind.MLS_WELCOME, sender: users[0]!, groupId, messageId: new Uint8Array(16).fill(200 + groupId[0]!), payload: new Uint8Array(8), epoch: 0n });
      await store.createGroup({ groupId: groups[0]!, epoch: 1n, creator: users[0]!, members: [ann2, users[1]!, users[2]!], welcome: welcome(groups[0]!), now: 2 });
      await store.createGroup({ groupId: groups[1]!, epoch: 1n, creator: users[2]!, members: [users[3]!], welcome: welcome(groups[1]!), now: 3 });
      await store.createGroup({ groupId: groups[2]!, epoch: 1n, creator: users[4]!, members: [], welcome: welcome(groups[2]!), now: 4 });
      sides.push({ schema, store, pool });
    }
  });
  after(async () => {
    for (const side of sides) {
      await side.pool.end();
      await side.store.close();
      await side.schema.drop();
    }
  });

  test('random batches: the same answers and the same mailboxes, batch after batch', async () => {
    let clock = 1_000;
    const seen = new Set<string>();
    const send = fc.record({
      sender: fc.constantFrom(...users, ann2, ghost, strayDevice),
      group: fc.constantFrom(groups[0]!, groups[0]!, groups[1]!, groups[2]!, noGroup),
      kind: fc.constantFrom(DeliveryKind.MLS_MESSAGE, DeliveryKind.MLS_COMMIT, DeliveryKind.MLS_WELCOME),
      epoch: fc.bigInt({ min: 0n, max: 2n ** 40n }),
      id: fc.constantFrom(...ids),
      payload: fc.uint8Array({ minLength: 1, maxLength: 24 }),
      disappearing: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(send, { minLength: 1, maxLength: 40 }), async (drawn) => {
        const batch: BatchedSend[] = drawn.map((d) => {
          clock += 1;
          return { now: clock, item: { kind: d.kind, sender: d.sender, groupId: d.group, messageId: d.id, payload: d.payload, epoch: d.epoch, ...(d.disappearing ? { expiresAt: clock + 60_000 } : {}) } };
        });
        const functionOutcomes = await sendBatchByFunction(sides[0]!.pool, batch);
        const statementOutcomes = await inTransaction(sides[1]!.pool, (sql) => sendBatchByStatements(sql, batch));
        const byFunction = told(functionOutcomes);
        assert.deepEqual(byFunction, told(statementOutcomes));
        await seqsMatchMailboxes(sides[0]!, batch, functionOutcomes);
        await seqsMatchMailboxes(sides[1]!, batch, statementOutcomes);
        for (const answer of byFunction) seen.add('refused' in answer ? String(answer.refused) : answer.duplicate ? 'duplicate' : 'stored');
        assert.deepEqual(await mailboxes(sides[0]!), await mailboxes(sides[1]!));
      }),
      { numRuns: 40 },
    );
    assert.deepEqual([...seen].sort(), ['duplicate', 'stored', String(ErrorCode.UNKNOWN_GROUP), String(ErrorCode.UNKNOWN_DEVICE), String(ErrorCode.NOT_A_MEMBER)].sort(), 'every answer was given at least once');
    const stored = (await mailboxes(sides[0]!)).length;
    assert.ok(stored > 40, `only ${stored} mailbox rows: the batches hardly delivered anything`);
  });
});

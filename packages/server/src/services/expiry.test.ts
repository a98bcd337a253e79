/** @module services/expiry.test Retention-based deletion of undelivered mail, and the frequent sweep of disappearing messages. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DeliveryKind } from '@sotto/protocol';
import { createLogger } from '../logger.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import { ExpiryTimer, MAIL_SWEEP_BATCHES } from './expiry.js';

const DAY = 86_400_000;

test('expiry deletes mailbox entries older than the retention period, and only those', async () => {
  const store = new SqliteStore({ path: ':memory:' });
  const a = { username: 'alice', deviceId: 'a1' };
  const b = { username: 'bob', deviceId: 'b1' };
  for (const d of [a, b]) await store.createAccount({ ...d, identityKey: new Uint8Array(32), requireInvite: false, now: 0 });
  const groupId = new Uint8Array(randomBytes(32));
  const item = (payload: number) => ({ kind: DeliveryKind.MLS_MESSAGE, sender: a, groupId, messageId: new Uint8Array(randomBytes(16)), payload: new Uint8Array([payload]), epoch: 0n });
  await store.createGroup({ groupId, epoch: 1n, creator: a, members: [b], welcome: { ...item(0), kind: DeliveryKind.MLS_WELCOME }, now: 0 });
  await store.sendToGroup(item(1), 10 * DAY);
  let now = 30 * DAY + 1;
  const expiry = new ExpiryTimer(store, { retentionDays: 30, now: () => now, log: createLogger('test', { level: 'silent' }) });
  assert.equal(await expiry.runOnce(), 1, 'the welcome stored at 0');
  assert.equal(await store.countMailbox(b), 1);
  now = 40 * DAY + 1;
  expiry.start();
  await expiry.stop();
  assert.equal(await store.countMailbox(b), 0, 'start runs once at once');
  await store.close();
});

test('the mail sweep deletes entries past their expiry, a bounded number per run, and never mail without expiry', async () => {
  const store = new SqliteStore({ path: ':memory:' });
  const a = { username: 'alice', deviceId: 'a1' };
  const b = { username: 'bob', deviceId: 'b1' };
  for (const d of [a, b]) await store.createAccount({ ...d, identityKey: new Uint8Array(32), requireInvite: false, now: 0 });
  const groupId = new Uint8Array(randomBytes(32));
  const item = (expiresAt?: number) => ({
    kind: DeliveryKind.MLS_MESSAGE, sender: a, groupId, messageId: new Uint8Array(randomBytes(16)), payload: new Uint8Array([1]), epoch: 0n, ...(expiresAt === undefined ? {} : { expiresAt }),
  });
  await store.createGroup({ groupId, epoch: 1n, creator: a, members: [b], welcome: { ...item(), kind: DeliveryKind.MLS_WELCOME }, now: 0 });
  const batch = 2;
  const expiring = batch * MAIL_SWEEP_BATCHES + 1;
  await Promise.all(Array.from({ length: expiring }, () => store.sendToGroup(item(1_000), 10)));
  await store.sendToGroup(item(5_000), 10);
  await store.sendToGroup(item(), 10);
  let now = 999;
  const expiry = new ExpiryTimer(store, { retentionDays: 30, now: () => now, log: createLogger('test', { level: 'silent' }), mailSweepBatch: batch });
  assert.equal(await expiry.sweepExpiredMail(), 0, 'nothing has expired yet');
  now = 1_000;
  assert.equal(await expiry.sweepExpiredMail(), batch * MAIL_SWEEP_BATCHES, 'one run stops at its bound');
  assert.equal(await expiry.sweepExpiredMail(), 1, 'the next run takes the rest');
  assert.equal(await store.countMailbox(b), 3, 'the welcome, the later expiry and the message without one');
  now = 5_000;
  expiry.start();
  await expiry.stop();
  assert.deepEqual((await store.readMailbox(b, 0n, 10)).map((e) => e.expiresAt), [0, 0], 'start sweeps at once; mail without expiry stays');
  await store.close();
});

/** @module services/expiry.test Retention-based deletion of undelivered mail. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DeliveryKind } from '@sotto/protocol';
import { createLogger } from '../logger.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import { ExpiryTimer } from './expiry.js';

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

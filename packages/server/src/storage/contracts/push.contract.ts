/**
 * @module storage/contracts/push.contract
 * The Web Push contract: one subscription per device (replaced, removed, removed only while it
 * is the named endpoint, gone with its device), the pacing of pushes (a gap, an hourly budget,
 * kept across re-subscribing, and claimed by one caller only when several race), and one VAPID
 * key pair for every node. Every backend runs it, each test on a fresh store.
 */
import { beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '@sotto/protocol';
import type { PushPacing, PushSubscriptionRecord, Store } from '../store.js';
import { assertCode, freshStorePerTest, type MakeStore, randomBytes } from './harness.js';

const NOW = 1_000_000_000_000;
const PACING: PushPacing = { minGapMs: 30_000, budget: 3, windowMs: 3_600_000 };

function subscription(endpoint = `https://push.example/${Math.random().toString(36).slice(2)}`): PushSubscriptionRecord {
  return { endpoint, p256dh: new Uint8Array([4, ...randomBytes(64)]), auth: randomBytes(16) };
}

export function runPushContract(name: string, makeStore: MakeStore): void {
  describe(`push contract: ${name}`, () => {
    const fresh = freshStorePerTest(makeStore);
    const { account } = fresh.helpers;
    let store: Store;
    beforeEach(() => {
      store = fresh.store();
    });

    test('a subscription round-trips, is replaced by the next one, and is removed', async () => {
      const a = await account();
      assert.equal(await store.getPushSubscription(a), undefined);
      const first = subscription();
      await store.setPushSubscription(a, first, NOW);
      assert.deepEqual(await store.getPushSubscription(a), first);
      const second = subscription();
      await store.setPushSubscription(a, second, NOW + 1);
      assert.deepEqual(await store.getPushSubscription(a), second, 'one subscription per device: the newest');
      assert.equal(await store.deletePushSubscription(a), true);
      assert.equal(await store.getPushSubscription(a), undefined);
      assert.equal(await store.deletePushSubscription(a), false, 'nothing left to remove');
    });

    test('removing by endpoint leaves a newer subscription alone', async () => {
      const a = await account();
      const old = subscription();
      const renewed = subscription();
      await store.setPushSubscription(a, old, NOW);
      await store.setPushSubscription(a, renewed, NOW + 1);
      assert.equal(await store.deletePushSubscription(a, old.endpoint), false);
      assert.deepEqual(await store.getPushSubscription(a), renewed);
      assert.equal(await store.deletePushSubscription(a, renewed.endpoint), true);
      assert.equal(await store.getPushSubscription(a), undefined);
    });

    test('subscribing needs a device that exists; devices do not see each other\'s subscription', async () => {
      const a = await account();
      const b = await account();
      await assertCode(store.setPushSubscription({ username: a.username, deviceId: 'nope' }, subscription(), NOW), ErrorCode.UNKNOWN_DEVICE);
      await store.setPushSubscription(a, subscription(), NOW);
      assert.equal(await store.getPushSubscription(b), undefined);
      assert.equal(await store.claimPush(b, NOW, PACING), undefined, 'no subscription, no push');
      assert.equal(await store.deletePushSubscription({ username: 'nobody', deviceId: 'x' }), false);
    });

    test('a device removed from its account takes its subscription with it', async () => {
      const a = await account();
      const identityKey = (await store.getDevice(a))!.identityKey;
      const linkId = randomBytes(16);
      await store.createDeviceLink(a, linkId, NOW + 60_000, NOW);
      const other = { username: a.username, deviceId: 'e0000000000000001' };
      await store.useDeviceLink(linkId, { deviceId: other.deviceId, identityKey: randomBytes(32) }, { messageId: randomBytes(16), payload: randomBytes(40) }, NOW + 1);
      await store.setPushSubscription(other, subscription(), NOW + 2);
      await store.setPushSubscription(a, subscription(), NOW + 2);
      const removed = await store.publishDeviceList({ username: a.username, version: 1n, signed: randomBytes(100), listed: [{ deviceId: a.deviceId, identityKey }], now: NOW + 3 });
      assert.deepEqual(removed, [other]);
      assert.equal(await store.getPushSubscription(other), undefined);
      assert.ok(await store.getPushSubscription(a), 'the listed device keeps its own');
    });

    test('pushes are paced: one per gap, at most the budget per window, kept across re-subscribing', async () => {
      const a = await account();
      const sub = subscription();
      await store.setPushSubscription(a, sub, NOW);
      assert.deepEqual(await store.claimPush(a, NOW, PACING), sub);
      assert.equal(await store.claimPush(a, NOW + PACING.minGapMs - 1, PACING), undefined, 'within the gap');
      await store.setPushSubscription(a, subscription(sub.endpoint), NOW + 1);
      assert.equal(await store.claimPush(a, NOW + PACING.minGapMs - 1, PACING), undefined, 'subscribing again does not reset the gap');
      assert.ok(await store.claimPush(a, NOW + PACING.minGapMs, PACING));
      assert.ok(await store.claimPush(a, NOW + 2 * PACING.minGapMs, PACING));
      assert.equal(await store.claimPush(a, NOW + 3 * PACING.minGapMs, PACING), undefined, 'the budget of 3 is spent');
      assert.ok(await store.claimPush(a, NOW + PACING.windowMs, PACING), 'a new window, a new budget');
    });

    test('of several callers claiming at once, exactly one gets the push', async () => {
      const a = await account();
      await store.setPushSubscription(a, subscription(), NOW);
      const claims = await Promise.all(Array.from({ length: 5 }, () => store.claimPush(a, NOW, PACING)));
      assert.equal(claims.filter((c) => c !== undefined).length, 1);
    });

    test('the VAPID key pair is stored once: later candidates get the first', async () => {
      const first = { publicKey: 'BPub1', privateKey: 'priv1' };
      assert.deepEqual(await store.vapidKeyPair(first), first);
      assert.deepEqual(await store.vapidKeyPair({ publicKey: 'BPub2', privateKey: 'priv2' }), first);
    });
  });
}

/**
 * @module storage/contracts/blobs.contract
 * The blobs contract: a reservation and its fields, the account's quota (exact at the edge,
 * decided once when two reservations race, incomplete blobs counted only until their token
 * ends), the acknowledged offset moved only from where it is and never past the size, completion,
 * what the sweep finds, deleting, and the token key stored once. Every backend runs it, each test
 * on a fresh store.
 */
import { beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '@sotto/protocol';
import type { NewUpload, Store } from '../store.js';
import type { DeviceAddress } from '../types.js';
import { assertCode, freshStorePerTest, type MakeStore, randomBytes } from './harness.js';

const NOW = 1_000_000_000_000;
const DAY = 86_400_000;
const QUOTA = 1000;

export function runBlobsContract(name: string, makeStore: MakeStore): void {
  describe(`blobs contract: ${name}`, () => {
    const fresh = freshStorePerTest(makeStore);
    const { account } = fresh.helpers;
    let store: Store;
    beforeEach(() => {
      store = fresh.store();
    });

    const upload = (owner: DeviceAddress, size: number, overrides: Partial<NewUpload> = {}): NewUpload => ({
      blobId: randomBytes(16),
      owner,
      size,
      expiresAt: NOW + DAY,
      now: NOW,
      quotaBytes: QUOTA,
      ...overrides,
    });

    test('a reservation is stored with its owner, size and token end, nothing received yet', async () => {
      const a = await account();
      const made = upload(a, 300);
      await store.createUpload(made);
      assert.deepEqual(await store.getBlob(made.blobId), {
        blobId: made.blobId,
        owner: a,
        size: 300,
        received: 0,
        createdAt: NOW,
        expiresAt: NOW + DAY,
        completedAt: null,
      });
      assert.equal(await store.getBlob(randomBytes(16)), undefined);
      assert.equal(await store.blobUsage(a.username, NOW), 300);
      assert.equal(await store.blobUsage('nobody-here', NOW), 0);
    });

    test('an unknown device cannot reserve', async () => {
      const a = await account();
      await assertCode(store.createUpload(upload({ username: a.username, deviceId: 'nope' }, 10)), ErrorCode.UNKNOWN_DEVICE);
      await assertCode(store.createUpload(upload({ username: 'nobody-here', deviceId: 'd' }, 10)), ErrorCode.UNKNOWN_DEVICE);
    });

    test('the quota: up to it exactly is fine, one byte over is QUOTA_EXCEEDED and stores nothing', async () => {
      const a = await account();
      const b = await account();
      await store.createUpload(upload(a, 600));
      await store.createUpload(upload(a, 400));
      const refused = upload(a, 1);
      await assertCode(store.createUpload(refused), ErrorCode.QUOTA_EXCEEDED, /quota/);
      assert.equal(await store.getBlob(refused.blobId), undefined);
      assert.equal(await store.blobUsage(a.username, NOW), QUOTA);
      // Another account's quota is its own.
      await store.createUpload(upload(b, QUOTA));
    });

    test('two reservations racing for the last free bytes: exactly one wins', async () => {
      const a = await account();
      await store.createUpload(upload(a, 500));
      const results = await Promise.allSettled([store.createUpload(upload(a, 400)), store.createUpload(upload(a, 400)), store.createUpload(upload(a, 400))]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      assert.equal(await store.blobUsage(a.username, NOW), 900);
    });

    test('an incomplete blob counts until its token ends; a complete one until it is deleted', async () => {
      const a = await account();
      const incomplete = upload(a, 600, { expiresAt: NOW + 10 });
      const complete = upload(a, 300, { expiresAt: NOW + 10 });
      await store.createUpload(incomplete);
      await store.createUpload(complete);
      assert.ok(await store.advanceBlob(complete.blobId, 0, 300, NOW + 1));
      assert.equal(await store.blobUsage(a.username, NOW + 5), 900);
      assert.equal(await store.blobUsage(a.username, NOW + 10), 300);
      await store.createUpload(upload(a, 700, { now: NOW + 10 }));
      await assertCode(store.createUpload(upload(a, 1, { now: NOW + 10 })), ErrorCode.QUOTA_EXCEEDED);
    });

    test('the offset moves only from where it is, never backwards or past the size; at the size the blob is complete', async () => {
      const a = await account();
      const made = upload(a, 100);
      await store.createUpload(made);
      assert.equal(await store.advanceBlob(made.blobId, 10, 20, NOW), undefined, 'not from the stored offset');
      assert.equal(await store.advanceBlob(made.blobId, 0, 101, NOW), undefined, 'past the size');
      assert.equal(await store.advanceBlob(made.blobId, 0, 0, NOW), undefined, 'not forward');
      const first = await store.advanceBlob(made.blobId, 0, 40, NOW + 1);
      assert.equal(first?.received, 40);
      assert.equal(first?.completedAt, null);
      assert.equal(await store.advanceBlob(made.blobId, 0, 60, NOW + 2), undefined, 'a stale offset');
      const done = await store.advanceBlob(made.blobId, 40, 100, NOW + 3);
      assert.equal(done?.received, 100);
      assert.equal(done?.completedAt, NOW + 3);
      assert.deepEqual(await store.getBlob(made.blobId), done);
      assert.equal(await store.advanceBlob(made.blobId, 100, 100, NOW + 4), undefined, 'complete');
      assert.equal(await store.advanceBlob(randomBytes(16), 0, 1, NOW), undefined, 'unknown');
    });

    test('two moves from the same offset: exactly one wins', async () => {
      const a = await account();
      const made = upload(a, 100);
      await store.createUpload(made);
      const results = await Promise.all([store.advanceBlob(made.blobId, 0, 50, NOW), store.advanceBlob(made.blobId, 0, 60, NOW)]);
      assert.equal(results.filter((r) => r !== undefined).length, 1);
    });

    test('the sweep finds incomplete blobs past their token and complete ones past retention, then deletes them', async () => {
      const a = await account();
      const stale = upload(a, 10, { expiresAt: NOW + 10 });
      const pending = upload(a, 10, { expiresAt: NOW + 1000 });
      const old = upload(a, 10, { expiresAt: NOW + 10 });
      const recent = upload(a, 10, { expiresAt: NOW + 10 });
      for (const made of [stale, pending, old, recent]) await store.createUpload(made);
      await store.advanceBlob(old.blobId, 0, 10, NOW + 1);
      await store.advanceBlob(recent.blobId, 0, 10, NOW + 50);
      const found = await store.expiredBlobs(NOW + 100, NOW + 20, 100);
      const hex = (ids: Uint8Array[]) => ids.map((id) => Buffer.from(id).toString('hex')).sort();
      assert.deepEqual(hex(found), hex([stale.blobId, old.blobId]));
      assert.deepEqual(hex(await store.expiredBlobs(NOW + 10, 0, 100)), hex([stale.blobId]), 'a token ends at its expiry');
      assert.deepEqual(await store.expiredBlobs(NOW + 9, 0, 100), []);
      assert.equal((await store.expiredBlobs(NOW + 100, NOW + 20, 1)).length, 1, 'at most max');
      assert.equal(await store.deleteBlobs(found), 2);
      assert.equal(await store.deleteBlobs(found), 0);
      assert.equal(await store.deleteBlobs([]), 0);
      assert.equal(await store.getBlob(stale.blobId), undefined);
      assert.ok(await store.getBlob(pending.blobId));
      assert.deepEqual(await store.expiredBlobs(NOW + 100, NOW + 20, 100), []);
    });

    test('the token key is stored once: the first candidate wins, later ones get it back', async () => {
      const first = randomBytes(32);
      assert.deepEqual(await store.blobTokenKey(first), first);
      assert.deepEqual(await store.blobTokenKey(randomBytes(32)), first);
    });
  });
}

/**
 * @module storage/contracts/key-packages.contract
 * The key packages contract: one-time packages first, each claimed once, last resort reused,
 * concurrent claims. Every backend runs it (through storage/contracts/index.ts), each test on a
 * fresh store.
 */
import { beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../store.js';
import { freshStorePerTest, type MakeStore, randomBytes } from './harness.js';

export function runKeyPackagesContract(name: string, makeStore: MakeStore): void {
  describe(`key packages contract: ${name}`, () => {
    const fresh = freshStorePerTest(makeStore);
    const { account } = fresh.helpers;
    let store: Store;
    beforeEach(() => {
      store = fresh.store();
    });

    test('key packages: one-time first, each claimed once, last resort reused', async () => {
      const a = await account();
      const p1 = randomBytes(64);
      const p2 = randomBytes(64);
      const last = randomBytes(64);
      assert.equal(await store.addKeyPackages(a, [p1, p2], last), 2);
      const first = await store.claimKeyPackages(a.username);
      const second = await store.claimKeyPackages(a.username);
      const third = await store.claimKeyPackages(a.username);
      const fourth = await store.claimKeyPackages(a.username);
      const got = [first, second].map((c) => c[0]!.keyPackage);
      assert.deepEqual(new Set(got.map((b) => Buffer.from(b).toString('hex'))), new Set([p1, p2].map((b) => Buffer.from(b).toString('hex'))));
      assert.equal(second[0]!.remaining, 0);
      assert.equal(third[0]!.lastResort, true);
      assert.deepEqual(third[0]!.keyPackage, last);
      assert.deepEqual(fourth[0]!.keyPackage, last);
      assert.equal(await store.countKeyPackages(a), 0);
    });

    test('an upload that replaces drops the one-time packages left, keeps others\' and hands out only the new ones', async () => {
      const a = await account();
      const b = await account();
      const hex = (x: Uint8Array) => Buffer.from(x).toString('hex');
      const old = [randomBytes(32), randomBytes(32), randomBytes(32)];
      await store.addKeyPackages(a, old, randomBytes(32));
      await store.addKeyPackages(b, [randomBytes(32)], undefined);
      const fresh = [randomBytes(32), randomBytes(32)];
      const last = randomBytes(32);
      assert.equal(await store.addKeyPackages(a, fresh, last, true), 2);
      assert.equal(await store.countKeyPackages(b), 1, 'another device keeps its packages');
      const handed = [];
      for (let i = 0; i < 3; i++) handed.push((await store.claimKeyPackages(a.username))[0]!);
      assert.deepEqual(new Set(handed.slice(0, 2).map((c) => hex(c.keyPackage))), new Set(fresh.map(hex)));
      assert.deepEqual([handed[2]!.lastResort, hex(handed[2]!.keyPackage)], [true, hex(last)]);
    });

    test('concurrent claims never hand out the same key package twice', async () => {
      const a = await account();
      const packages = Array.from({ length: 20 }, () => randomBytes(32));
      await store.addKeyPackages(a, packages, undefined);
      const claims = await Promise.all(Array.from({ length: 25 }, () => store.claimKeyPackages(a.username)));
      const handed = claims.flat().map((c) => Buffer.from(c.keyPackage).toString('hex'));
      assert.equal(handed.length, 20);
      assert.equal(new Set(handed).size, 20);
    });
  });
}

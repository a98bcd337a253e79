/**
 * @module storage/contracts/settings.contract
 * The settings contract: settings round-trip. Every backend runs it (through
 * storage/contracts/index.ts), each test on a fresh store.
 */
import { beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../store.js';
import { freshStorePerTest, type MakeStore, uniqueName } from './harness.js';

export function runSettingsContract(name: string, makeStore: MakeStore): void {
  describe(`settings contract: ${name}`, () => {
    const fresh = freshStorePerTest(makeStore);
    let store: Store;
    beforeEach(() => {
      store = fresh.store();
    });

    test('settings round-trip', async () => {
      const key = uniqueName('k');
      assert.equal(await store.getSetting(key), undefined);
      await store.setSetting(key, '1.2.3');
      await store.setSetting(key, '1.2.4');
      assert.equal(await store.getSetting(key), '1.2.4');
    });
  });
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory } from 'fake-indexeddb';
import { defineClientStoreContract, defineClientStorePersistenceTest, sampleCall, sampleIdentity, sampleMessage, sampleOutboxEntry } from '@sotto/core/testing';
import { IndexedDbClientStore, SCHEMA_VERSION } from './indexeddb-store.js';

defineClientStoreContract('indexeddb', { test, assert }, () => IndexedDbClientStore.open('profile', new IDBFactory()));
defineClientStorePersistenceTest('indexeddb', { test, assert }, async () => {
  const factory = new IDBFactory();
  return { open: () => IndexedDbClientStore.open('alice', factory), remove: async () => undefined };
});

test('each profile has its own database', async () => {
  const factory = new IDBFactory();
  const alice = await IndexedDbClientStore.open('alice', factory);
  await alice.apply({ identity: sampleIdentity() });
  await alice.close();
  const other = await IndexedDbClientStore.open('bob', factory);
  assert.equal(await other.getIdentity(), undefined, 'each profile has its own database');
  await other.close();
});

test('a batch whose write IndexedDB refuses leaves nothing applied', async () => {
  const store = await IndexedDbClientStore.open('profile', new IDBFactory());
  await store.apply({ lastSeq: 7n });
  // A function cannot be cloned: the call log's add (the last write) throws DataCloneError after the others were queued.
  const uncloneable = sampleCall('c1', { peer: (() => 'no') as never });
  await assert.rejects(
    store.apply({ lastSeq: 9n, outboxAdd: [sampleOutboxEntry('m1')], messages: [sampleMessage('m1', 'g1')], callLog: [uncloneable] }),
    (error: unknown) => error instanceof Error && error.name === 'DataCloneError',
  );
  assert.equal(await store.getLastSeq(), 7n);
  assert.equal(await store.getMessage('m1'), undefined);
  assert.deepEqual(await store.listOutbox(), []);
  assert.deepEqual(await store.listCallLog(10), []);
  await store.close();
});

test('a newer version opened elsewhere is not blocked: this connection steps aside', async () => {
  const factory = new IDBFactory();
  const store = await IndexedDbClientStore.open('profile', factory);
  const upgraded = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = factory.open('profile', SCHEMA_VERSION + 1);
    request.onblocked = () => reject(new Error('blocked'));
    request.onerror = () => reject(request.error);
    request.onsuccess = () => resolve(request.result);
  });
  assert.equal(upgraded.version, SCHEMA_VERSION + 1);
  upgraded.close();
  await assert.rejects(store.getIdentity(), (error: unknown) => error instanceof Error && error.name === 'InvalidStateError');
});

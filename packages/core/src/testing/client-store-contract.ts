/**
 * @module testing/client-store-contract
 * The ClientStore contract: one suite that every store (memory, SQLite,
 * IndexedDB) runs, so the engine sees the same semantics on every platform.
 * Core is pure, so the test runner and assertions are passed in rather than
 * imported from node:test.
 */
import type { ClientStore, ClientWriteBatch, StoredMessage } from '../ports.js';
import { DEFAULT_CLIENT_SETTINGS } from '../ports.js';
import {
  sampleBytes,
  sampleCall,
  sampleContact,
  sampleConversation,
  sampleIdentity,
  sampleKeyPackage,
  sampleMessage,
  sampleOutboxEntry,
  samplePin,
} from './client-store-fixtures.js';

/** The part of node:assert/strict the contract uses. */
export interface ContractAssert {
  equal(actual: unknown, expected: unknown, message?: string): void;
  deepEqual(actual: unknown, expected: unknown, message?: string): void;
}

/** node:test's `test` and node:assert/strict, or anything shaped like them. */
export interface ContractHarness {
  test(name: string, fn: () => Promise<void>): unknown;
  assert: ContractAssert;
}

/** Opens an empty store; each contract test gets its own and closes it. */
export type OpenFreshClientStore = () => Promise<ClientStore>;

/** Beyond Number.MAX_SAFE_INTEGER: a store that goes through a JS number loses the last digit. */
const BEYOND_SAFE = 2n ** 53n + 1n;

export function defineClientStoreContract(name: string, { test, assert }: ContractHarness, openFresh: OpenFreshClientStore): void {
  const check = (title: string, body: (store: ClientStore) => Promise<void>): void => {
    test(`ClientStore contract (${name}): ${title}`, async () => {
      const store = await openFresh();
      try {
        await body(store);
      } finally {
        await store.close();
      }
    });
  };
  const ids = (messages: StoredMessage[]) => messages.map((m) => m.messageId);

  check('a fresh store is empty, with lastSeq 0 and default settings', async (store) => {
    assert.equal(await store.getIdentity(), undefined);
    assert.deepEqual(await store.listConversations(), []);
    assert.equal(await store.getConversation('g1'), undefined);
    assert.equal(await store.getMessage('m1'), undefined);
    assert.deepEqual(await store.listMessages('g1', 10), []);
    assert.equal(await store.getContact('bob'), undefined);
    assert.deepEqual(await store.listContacts(), []);
    assert.deepEqual(await store.listOutbox(), []);
    assert.equal(await store.getKeyPackage('kp1'), undefined);
    assert.equal(await store.countLastResortKeyPackages(), 0);
    assert.deepEqual(await store.listPins('bob'), []);
    assert.equal(await store.getLastSeq(), 0n);
    assert.deepEqual(await store.listCallLog(10), []);
    assert.deepEqual(await store.getSettings(), DEFAULT_CLIENT_SETTINGS);
    await store.apply({});
    assert.equal(await store.getLastSeq(), 0n, 'an empty batch changes nothing');
  });

  check('the identity is stored whole, and a later one replaces it', async (store) => {
    await store.apply({ identity: sampleIdentity() });
    assert.deepEqual(await store.getIdentity(), sampleIdentity());
    const next = sampleIdentity({ deviceId: 'd2', publicKey: sampleBytes(11, 32), createdAt: 2_000 });
    await store.apply({ identity: next });
    assert.deepEqual(await store.getIdentity(), next);
  });

  check('a conversation upsert replaces every field but keeps the first createdAt', async (store) => {
    await store.apply({ conversations: [sampleConversation('g1', { createdAt: 100 })] });
    const update = sampleConversation('g1', { kind: 'direct', name: 'bob', state: sampleBytes(12, 20), epoch: 5n, createdAt: 999, active: false });
    await store.apply({ conversations: [update] });
    assert.deepEqual(await store.getConversation('g1'), { ...update, createdAt: 100 });
  });

  check('listConversations is sorted by createdAt', async (store) => {
    await store.apply({ conversations: [sampleConversation('late', { createdAt: 300 }), sampleConversation('early', { createdAt: 100 })] });
    await store.apply({ conversations: [sampleConversation('middle', { createdAt: 200 })] });
    assert.deepEqual((await store.listConversations()).map((c) => c.groupId), ['early', 'middle', 'late']);
  });

  check('epoch and lastSeq round-trip as exact bigints', async (store) => {
    await store.apply({ conversations: [sampleConversation('g1', { epoch: BEYOND_SAFE })], lastSeq: BEYOND_SAFE });
    assert.equal((await store.getConversation('g1'))?.epoch, BEYOND_SAFE);
    assert.equal((await store.listConversations())[0]?.epoch, BEYOND_SAFE);
    assert.equal(await store.getLastSeq(), BEYOND_SAFE);
  });

  check('a pending change round-trips and can be cleared', async (store) => {
    const pending = { kind: 'commit' as const, state: sampleBytes(13, 24), request: sampleBytes(14, 24) };
    await store.apply({ conversations: [sampleConversation('g1', { pending })] });
    assert.deepEqual((await store.getConversation('g1'))?.pending, pending);
    await store.apply({ conversations: [sampleConversation('g1', { pending: undefined })] });
    assert.equal((await store.getConversation('g1'))?.pending, undefined);
    assert.equal((await store.listConversations())[0]?.pending, undefined);
  });

  check('byte fields round-trip byte-exact as plain Uint8Arrays, views and empty arrays included', async (store) => {
    const backing = sampleBytes(15, 64);
    const view = backing.subarray(10, 30);
    const empty = new Uint8Array(0);
    await store.apply({
      identity: sampleIdentity({ publicKey: view, signKey: empty }),
      conversations: [sampleConversation('g1', { state: view, pending: { kind: 'create', state: empty, request: view } })],
      outboxAdd: [sampleOutboxEntry('m1', { payload: view })],
      keyPackagesAdd: [{ ...sampleKeyPackage('kp1'), publicPackage: view, initPrivateKey: empty }],
      pins: [{ username: 'bob', deviceId: 'b1', identityKey: view }],
    });
    const exact = Uint8Array.from(view);
    // deepEqual (strict) also compares prototypes: a Buffer or another view type fails here.
    assert.deepEqual(await store.getIdentity(), sampleIdentity({ publicKey: exact, signKey: new Uint8Array(0) }));
    assert.deepEqual(await store.getConversation('g1'), sampleConversation('g1', { state: exact, pending: { kind: 'create', state: new Uint8Array(0), request: exact } }));
    assert.deepEqual(await store.listOutbox(), [sampleOutboxEntry('m1', { payload: exact })]);
    assert.deepEqual(await store.getKeyPackage('kp1'), { ...sampleKeyPackage('kp1'), publicPackage: exact, initPrivateKey: new Uint8Array(0) });
    assert.deepEqual(await store.listPins('bob'), [{ username: 'bob', deviceId: 'b1', identityKey: exact }]);
  });

  check('the store keeps its own bytes: changing the written or the returned array changes nothing stored', async (store) => {
    const written = sampleOutboxEntry('m1');
    await store.apply({ outboxAdd: [written], identity: sampleIdentity() });
    written.payload.fill(0);
    const returned = await store.getIdentity();
    returned?.signKey.fill(0);
    assert.deepEqual((await store.listOutbox())[0]?.payload, sampleOutboxEntry('m1').payload);
    assert.deepEqual((await store.getIdentity())?.signKey, sampleIdentity().signKey);
  });

  check('messages are insert-once: a second write of the same id changes nothing', async (store) => {
    await store.apply({ messages: [sampleMessage('m1', 'g1', { status: 'sent' }), sampleMessage('m1', 'g1', { body: 'same batch' })] });
    await store.apply({ messages: [sampleMessage('m2', 'g1')] });
    await store.apply({ messages: [sampleMessage('m1', 'g1', { body: 'replayed', status: 'read' })] });
    assert.deepEqual(await store.getMessage('m1'), sampleMessage('m1', 'g1', { status: 'sent' }));
    assert.deepEqual(ids(await store.listMessages('g1', 10)), ['m1', 'm2'], 'a replay does not move a message to the end');
  });

  check("a message keeps its file's descriptor, byte for byte; one without a file has none", async (store) => {
    const descriptor = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) % 256);
    await store.apply({ messages: [sampleMessage('m1', 'g1', { body: 'a caption', attachment: descriptor }), sampleMessage('m2', 'g1')] });
    const [withFile, without] = await store.listMessages('g1', 10);
    assert.deepEqual(withFile?.attachment, descriptor);
    assert.deepEqual(await store.getMessage('m1'), sampleMessage('m1', 'g1', { body: 'a caption', attachment: descriptor }));
    assert.equal(without?.attachment, undefined);
  });

  check('a message changes after the fact: edited, reacted to, deleted for everyone (its file gone), and stays deleted', async (store) => {
    const descriptor = new Uint8Array([1, 2, 3]);
    await store.apply({ messages: [sampleMessage('m1', 'g1', { body: 'first', replyTo: 'ab'.repeat(16), forwarded: true }), sampleMessage('m2', 'g1', { attachment: descriptor }), sampleMessage('m3', 'g1', { notice: 'devices' }), sampleMessage('m4', 'g2', { notice: 'contact' })] });
    assert.equal((await store.getMessage('m3'))?.notice, 'devices', 'a notice stays a notice');
    assert.equal((await store.getMessage('m4'))?.notice, 'contact', 'an acceptance notice too');
    assert.deepEqual(await store.getMessage('m1'), sampleMessage('m1', 'g1', { body: 'first', replyTo: 'ab'.repeat(16), forwarded: true }));
    const reactions = [{ user: 'bob', emoji: '👍', sentAt: 5 }, { user: 'carol', emoji: '❤️', sentAt: 6 }];
    await store.apply({ messageChanges: [{ messageId: 'm1', body: 'first, fixed', editedAt: 9 }, { messageId: 'm2', reactions }, { messageId: 'unknown', body: 'x' }] });
    const [m1, m2] = await store.listMessages('g1', 10);
    assert.deepEqual(m1, sampleMessage('m1', 'g1', { body: 'first, fixed', editedAt: 9, replyTo: 'ab'.repeat(16), forwarded: true }));
    assert.deepEqual(m2?.reactions, reactions);
    await store.apply({ messageChanges: [{ messageId: 'm2', reactions: [] }] });
    assert.equal((await store.getMessage('m2'))?.reactions, undefined, 'an empty list is no reactions');
    await store.apply({ messageChanges: [{ messageId: 'm2', reactions }, { messageId: 'm2', deletedAt: 11 }] });
    const deleted = await store.getMessage('m2');
    assert.deepEqual({ body: deleted?.body, attachment: deleted?.attachment, reactions: deleted?.reactions, deletedAt: deleted?.deletedAt }, { body: '', attachment: undefined, reactions: undefined, deletedAt: 11 });
    await store.apply({ messageChanges: [{ messageId: 'm2', body: 'back again', editedAt: 12, reactions }] });
    assert.equal((await store.getMessage('m2'))?.body, '', 'a deleted message stays deleted');
    assert.equal(await store.getMessage('unknown'), undefined);
    assert.deepEqual((await store.listMessages('g1', 10)).map((m) => m.messageId), ['m1', 'm2', 'm3'], 'changes keep the order');
  });

  check('disappearing messages: found by their expiry, soonest first, and deleted; an outbox entry keeps its expiry', async (store) => {
    assert.equal(await store.nextExpiry(), undefined);
    await store.apply({
      messages: [sampleMessage('late', 'g1', { expiresAt: 300 }), sampleMessage('kept', 'g1'), sampleMessage('soon', 'g2', { expiresAt: 100 }), sampleMessage('mid', 'g1', { expiresAt: 200 })],
      outboxAdd: [{ messageId: 'o1', groupId: 'g1', payload: new Uint8Array([1]), createdAt: 5, expiresAt: 900 }],
    });
    assert.equal(await store.nextExpiry(), 100);
    assert.deepEqual(await store.listExpiredMessages(200, 10), ['soon', 'mid']);
    assert.deepEqual(await store.listExpiredMessages(1000, 1), ['soon'], 'at most `limit`');
    assert.equal((await store.getMessage('late'))?.expiresAt, 300);
    assert.equal((await store.listOutbox())[0]?.expiresAt, 900);
    await store.apply({ messagesDelete: ['soon', 'mid', 'unknown'] });
    assert.deepEqual((await store.listMessages('g1', 10)).map((m) => m.messageId), ['late', 'kept']);
    assert.deepEqual(await store.listMessages('g2', 10), []);
    assert.equal(await store.nextExpiry(), 300);
  });

  check('listMessages returns the last `limit` messages of one group, in insertion order', async (store) => {
    const g1 = ['a', 'b', 'c', 'd'].map((id, i) => sampleMessage(id, 'g1', { receivedAt: 1_000 + i }));
    await store.apply({ messages: [g1[0]!, sampleMessage('x', 'g2'), g1[1]!] });
    await store.apply({ messages: [g1[2]!, g1[3]!, sampleMessage('y', 'g2')] });
    assert.deepEqual(await store.listMessages('g1', 10), g1);
    assert.deepEqual(ids(await store.listMessages('g1', 2)), ['c', 'd']);
    assert.deepEqual(ids(await store.listMessages('g2', 10)), ['x', 'y']);
    assert.deepEqual(await store.listMessages('g1', 0), []);
    assert.deepEqual(await store.listMessages('nope', 10), []);
  });

  check('a message status only advances (pending, sent, delivered, read)', async (store) => {
    await store.apply({ messages: [sampleMessage('m1', 'g1', { outgoing: true, status: 'pending' })] });
    await store.apply({ statuses: [{ messageId: 'm1', status: 'delivered' }] });
    await store.apply({ statuses: [{ messageId: 'm1', status: 'sent' }] });
    assert.equal((await store.getMessage('m1'))?.status, 'delivered', 'a late "sent" never hides "delivered"');
    await store.apply({ statuses: [{ messageId: 'm1', status: 'read' }, { messageId: 'm1', status: 'pending' }] });
    assert.equal((await store.getMessage('m1'))?.status, 'read');
    assert.deepEqual(await store.getMessage('m1'), sampleMessage('m1', 'g1', { outgoing: true, status: 'read' }), 'only the status changes');
    await store.apply({ statuses: [{ messageId: 'unknown', status: 'read' }] });
    assert.equal(await store.getMessage('unknown'), undefined, 'a status for an unknown message creates nothing');
  });

  check('contacts are upserted and listed by username in code-unit order', async (store) => {
    // '-' < '.' < digits < '_' < letters by code unit; a locale collation orders them differently.
    const names = ['b', 'ab', 'a_b', 'a0', 'a.b', 'a-b'];
    await store.apply({ contacts: names.map((n) => sampleContact(n)) });
    const update = sampleContact('ab', { state: 5, text: 'changed', updatedAt: 2_000 });
    await store.apply({ contacts: [update] });
    assert.deepEqual(await store.getContact('ab'), update);
    assert.deepEqual((await store.listContacts()).map((c) => c.username), ['a-b', 'a.b', 'a0', 'a_b', 'ab', 'b']);
  });

  check('a contact remembers that it came through the contact link, and forgets when rewritten without', async (store) => {
    const linked = sampleContact('carol', { viaLink: true });
    await store.apply({ contacts: [linked] });
    assert.deepEqual(await store.getContact('carol'), linked);
    assert.deepEqual(await store.listContacts(), [linked]);
    const plain = sampleContact('carol', { state: 3 });
    await store.apply({ contacts: [plain] });
    assert.deepEqual(await store.getContact('carol'), plain);
  });

  check('outbox entries are insert-once, listed in insertion order, and removable', async (store) => {
    await store.apply({ outboxAdd: [sampleOutboxEntry('m2'), sampleOutboxEntry('m1')] });
    await store.apply({ outboxAdd: [sampleOutboxEntry('m2', { payload: sampleBytes(16), createdAt: 5 })] });
    assert.deepEqual(await store.listOutbox(), [sampleOutboxEntry('m2'), sampleOutboxEntry('m1')]);
    await store.apply({ outboxRemove: ['m2', 'never-added'] });
    await store.apply({ outboxAdd: [sampleOutboxEntry('m2', { createdAt: 7 })] });
    assert.deepEqual(await store.listOutbox(), [sampleOutboxEntry('m1'), sampleOutboxEntry('m2', { createdAt: 7 })]);
  });

  check('key packages are added, replaced by ref, removed, and last-resort ones counted', async (store) => {
    await store.apply({ keyPackagesAdd: [sampleKeyPackage('kp1'), sampleKeyPackage('kp2'), sampleKeyPackage('last1', true)] });
    assert.deepEqual(await store.getKeyPackage('kp1'), sampleKeyPackage('kp1'));
    assert.equal(await store.countLastResortKeyPackages(), 1);
    await store.apply({ keyPackagesAdd: [sampleKeyPackage('kp2', true)] });
    assert.equal(await store.countLastResortKeyPackages(), 2, 'the same ref is replaced');
    await store.apply({ keyPackagesRemove: ['kp1', 'last1', 'never-added'] });
    assert.equal(await store.getKeyPackage('kp1'), undefined);
    assert.deepEqual(await store.getKeyPackage('kp2'), sampleKeyPackage('kp2', true));
    assert.equal(await store.countLastResortKeyPackages(), 1);
  });

  check('pins are insert-once per (username, deviceId) and listed by deviceId', async (store) => {
    await store.apply({ pins: [samplePin('bob', 'd2'), samplePin('bob', 'd1'), samplePin('carol', 'd1')] });
    await store.apply({ pins: [samplePin('bob', 'd1', 99), samplePin('bob', 'd3')] });
    assert.deepEqual(await store.listPins('bob'), [samplePin('bob', 'd1'), samplePin('bob', 'd2'), samplePin('bob', 'd3')], 'a pinned key is never replaced');
    assert.deepEqual(await store.listPins('carol'), [samplePin('carol', 'd1')]);
  });

  check('lastSeq only grows', async (store) => {
    await store.apply({ lastSeq: 7n });
    await store.apply({ lastSeq: 3n });
    assert.equal(await store.getLastSeq(), 7n);
    await store.apply({ lastSeq: 8n });
    assert.equal(await store.getLastSeq(), 8n);
  });

  check('the call log ignores an entry whose callId and direction are already logged', async (store) => {
    await store.apply({ callLog: [sampleCall('c1'), sampleCall('c1', { outcome: 'failed' })] });
    await store.apply({ callLog: [sampleCall('c1', { outcome: 'declined' }), sampleCall('c1', { direction: 'incoming', outcome: 'missed' })] });
    assert.deepEqual(await store.listCallLog(10), [sampleCall('c1'), sampleCall('c1', { direction: 'incoming', outcome: 'missed' })]);
  });

  check('listCallLog returns the most recent `limit` entries, oldest first', async (store) => {
    await store.apply({ callLog: [sampleCall('c1', { endedAt: 1 }), sampleCall('c2', { endedAt: 2 })] });
    await store.apply({ callLog: [sampleCall('c3', { endedAt: 3 })] });
    assert.deepEqual((await store.listCallLog(10)).map((e) => e.callId), ['c1', 'c2', 'c3']);
    assert.deepEqual(await store.listCallLog(2), [sampleCall('c2', { endedAt: 2 }), sampleCall('c3', { endedAt: 3 })]);
    assert.deepEqual(await store.listCallLog(0), []);
  });

  check('settings merge into the defaults and stay until changed', async (store) => {
    await store.apply({ settings: {} });
    assert.deepEqual(await store.getSettings(), DEFAULT_CLIENT_SETTINGS);
    await store.apply({ settings: { relayOnlyCalls: true } });
    await store.apply({ settings: {}, lastSeq: 1n });
    assert.deepEqual(await store.getSettings(), { ...DEFAULT_CLIENT_SETTINGS, relayOnlyCalls: true });
    await store.apply({ settings: { relayOnlyCalls: false } });
    assert.deepEqual(await store.getSettings(), { ...DEFAULT_CLIENT_SETTINGS, relayOnlyCalls: false });
  });

  check('lockdown and threat notices round-trip as settings', async (store) => {
    const notice = { incidentId: 'inc-0011223344', openedAt: 1_000, kinds: ['undecryptable'], senders: 3, operatorContact: 'ops@example.org', receivedAt: 2_000, dismissed: false };
    await store.apply({ settings: { lockdown: true, lockdownRefused: 4, threatNotices: [notice] } });
    assert.deepEqual(await store.getSettings(), { ...DEFAULT_CLIENT_SETTINGS, lockdown: true, lockdownRefused: 4, threatNotices: [notice] });
    await store.apply({ settings: { threatNotices: [{ ...notice, dismissed: true }] } });
    assert.deepEqual((await store.getSettings()).threatNotices, [{ ...notice, dismissed: true }]);
  });

  check('the key packages\' version and typing indicators off round-trip as settings', async (store) => {
    // Lost on the way back, the version made every connection replace all of the device's key packages.
    await store.apply({ settings: { keyPackageVersion: 2, typingIndicators: false } });
    const settings = await store.getSettings();
    assert.equal(settings.keyPackageVersion, 2);
    assert.equal(settings.typingIndicators, false);
  });

  check('acceptances waiting for their 1:1 round-trip as settings', async (store) => {
    await store.apply({ settings: { acceptedRequests: { bob: 1_700_000_000_000, dee: 1_700_000_000_001 } } });
    assert.deepEqual((await store.getSettings()).acceptedRequests, { bob: 1_700_000_000_000, dee: 1_700_000_000_001 });
    await store.apply({ settings: { acceptedRequests: {} } });
    assert.deepEqual((await store.getSettings()).acceptedRequests, {});
  });

  check('within a batch, additions come before removals and messages before their statuses', async (store) => {
    await store.apply({
      messages: [sampleMessage('m1', 'g1', { outgoing: true, status: 'pending' })],
      statuses: [{ messageId: 'm1', status: 'sent' }],
      outboxAdd: [sampleOutboxEntry('m1'), sampleOutboxEntry('m2')],
      outboxRemove: ['m1'],
      keyPackagesAdd: [sampleKeyPackage('kp1', true)],
      keyPackagesRemove: ['kp1'],
    });
    assert.equal((await store.getMessage('m1'))?.status, 'sent');
    assert.deepEqual((await store.listOutbox()).map((o) => o.messageId), ['m2']);
    assert.equal(await store.getKeyPackage('kp1'), undefined);
    assert.equal(await store.countLastResortKeyPackages(), 0);
  });

  check('a batch that fails part-way leaves nothing applied', async (store) => {
    await store.apply({ messages: [sampleMessage('m0', 'g1', { outgoing: true, status: 'pending' })], outboxAdd: [sampleOutboxEntry('m0')], lastSeq: 5n });
    const failing: ClientWriteBatch = {
      identity: sampleIdentity(),
      keyPackagesAdd: [sampleKeyPackage('kp1', true)],
      conversations: [sampleConversation('g1')],
      messages: [sampleMessage('m1', 'g1')],
      statuses: [{ messageId: 'm0', status: 'read' }],
      contacts: [sampleContact('bob')],
      outboxAdd: [sampleOutboxEntry('m1')],
      outboxRemove: ['m0'],
      pins: [samplePin('bob', 'd1')],
      lastSeq: 9n,
      settings: { relayOnlyCalls: true },
      // A malformed entry last in the batch, after every other kind of write.
      callLog: [sampleCall('c1'), null as never],
    };
    let failed = false;
    try {
      await store.apply(failing);
    } catch {
      failed = true;
    }
    assert.equal(failed, true, 'apply rejects');
    assert.equal(await store.getIdentity(), undefined);
    assert.equal(await store.countLastResortKeyPackages(), 0);
    assert.deepEqual(await store.listConversations(), []);
    assert.deepEqual(ids(await store.listMessages('g1', 10)), ['m0']);
    assert.equal((await store.getMessage('m0'))?.status, 'pending');
    assert.deepEqual(await store.listContacts(), []);
    assert.deepEqual((await store.listOutbox()).map((o) => o.messageId), ['m0']);
    assert.deepEqual(await store.listPins('bob'), []);
    assert.equal(await store.getLastSeq(), 5n);
    assert.deepEqual(await store.getSettings(), DEFAULT_CLIENT_SETTINGS);
    assert.deepEqual(await store.listCallLog(10), []);
  });
}

/** A durable place for one profile: `open` opens the same store each time; `remove` deletes it. */
export interface PersistentClientStorePlace {
  open(): Promise<ClientStore>;
  remove(): Promise<void>;
}

/** For stores that keep data between runs: what one instance wrote, the next one reads back exactly. */
export function defineClientStorePersistenceTest(name: string, { test, assert }: ContractHarness, place: () => Promise<PersistentClientStorePlace>): void {
  test(`ClientStore contract (${name}): a profile persists across close and reopen`, async () => {
    const where = await place();
    try {
      const first = await where.open();
      const conversation = sampleConversation('g1', { epoch: 2n ** 60n });
      await first.apply({ identity: sampleIdentity(), conversations: [conversation], messages: [sampleMessage('m1', 'g1')], lastSeq: 2n ** 60n, settings: { relayOnlyCalls: true } });
      await first.close();
      const second = await where.open();
      assert.deepEqual(await second.getIdentity(), sampleIdentity());
      assert.deepEqual(await second.getConversation('g1'), conversation);
      assert.deepEqual(await second.listMessages('g1', 10), [sampleMessage('m1', 'g1')]);
      assert.equal(await second.getLastSeq(), 2n ** 60n);
      assert.equal((await second.getSettings()).relayOnlyCalls, true);
      await second.close();
    } finally {
      await where.remove();
    }
  });
}

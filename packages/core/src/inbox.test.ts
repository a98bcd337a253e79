import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AnomalyKind, ContactState, create, DeliveryKind, DeliverySchema, DeviceListSchema, deviceListTranscript, encodeDeviceList, encodeThreatNotice, ListedDeviceSchema,
  SignedDeviceListSchema, ThreatNoticeSchema, toBinary, type Delivery,
} from '@sotto/protocol';
import { toBase64Url } from './bytes.js';
import { AnomalyReporter } from './anomaly-reporter.js';
import { ThreatNotices } from './threat-notices.js';
import { ClientEvents, type EngineContext } from './context.js';
import { Conversations } from './conversations.js';
import { Profiles } from './profiles.js';
import { TypingIndicators } from './typing.js';
import { Inbox } from './inbox.js';
import { Calls } from './calls/call-controller.js';
import { MemoryClientStore } from './memory-store.js';
import { MlsContext } from './mls/group.js';
import { loadCiphersuite } from './mls/suite.js';
import { SerialQueue } from './serial-queue.js';
import type { Session } from './session.js';
import { DeviceLists } from './devices/device-lists.js';
import { DeviceLinking } from './devices/linking.js';
import { DeviceDeliveries } from './devices/device-deliveries.js';

/** An inbox wired to an in-memory store, a spying MLS context and a session that records acks. */
async function setup() {
  const store = new MemoryClientStore();
  const impl = await loadCiphersuite();
  const mls = new MlsContext(impl, async () => true);
  const parsed: string[] = [];
  // Spy: any attempt to parse MLS input is recorded.
  for (const method of ['join', 'process', 'decodeKeyPackage'] as const) {
    const original = mls[method].bind(mls) as (...args: unknown[]) => unknown;
    (mls as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      parsed.push(method);
      return original(...args);
    };
  }
  const acked: bigint[] = [];
  const session = { ack: (seqs: bigint[]) => acked.push(...seqs), currentState: 'ready', request: async () => { throw new Error('offline'); } } as unknown as Session;
  const key = await impl.signature.keygen();
  const identity = { serverUrl: 'http://x', username: 'bob', deviceId: 'b0b', publicKey: key.publicKey, signKey: key.signKey, createdAt: 0 };
  const queue = new SerialQueue();
  const events = new ClientEvents();
  const clock = { now: () => 1000, setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) };
  const logger = { debug() {}, info() {}, warn() {}, error() {} };
  const anomalies = new AnomalyReporter(session, 'bob', { ...clock, setTimeout: () => undefined }, logger);
  const reported: { user: string; kind: AnomalyKind }[] = [];
  const record = anomalies.record.bind(anomalies);
  anomalies.record = (source, kind) => {
    reported.push({ user: source.user, kind });
    record(source, kind);
  };
  const ctx: EngineContext = {
    store, mls, identity, session, queue, events, clock, logger, anomalies,
    random: { bytes: (n) => crypto.getRandomValues(new Uint8Array(n)) },
  };
  const lists = new DeviceLists(ctx, (data) => impl.signature.sign(key.signKey, data));
  const conversations = new Conversations(ctx, lists);
  const calls = new Calls(ctx, conversations);
  const linking = new DeviceLinking(ctx, lists, conversations);
  const devices = new DeviceDeliveries(ctx, lists, linking, (work) => void work(), () => undefined, async () => undefined);
  const inbox = new Inbox(ctx, conversations, calls, new ThreatNotices(store), devices, new Profiles(ctx, conversations, undefined), new TypingIndicators(ctx, conversations));
  const warnings: string[] = [];
  events.didWarnDevices.event((w) => warnings.push(w.reason));
  const dropped: string[] = [];
  events.didDrop.event((d) => dropped.push(d.reason));
  return { store, inbox, queue, parsed, acked, dropped, events, calls, reported, warnings, identity, impl, key };
}

function delivery(seq: bigint, kind: DeliveryKind, sender: string, payload: Uint8Array): Delivery {
  return create(DeliverySchema, { seq, kind, senderUsername: sender, senderDeviceId: 'dead', payload, groupId: new Uint8Array(32), messageId: new Uint8Array(16) });
}

test('a Welcome from a non-contact is dropped without being parsed, and acknowledged', async () => {
  const { inbox, queue, parsed, acked, dropped, store } = await setup();
  inbox.enqueue(delivery(1n, DeliveryKind.MLS_WELCOME, 'mallory', new Uint8Array(3000).fill(0x41)));
  await queue.idle();
  assert.deepEqual(parsed, [], 'no MLS parser saw the bytes');
  assert.deepEqual(acked, [1n]);
  assert.equal(dropped.length, 1);
  assert.match(dropped[0]!, /not an accepted contact/);
  assert.equal((await store.listConversations()).length, 0);
});

test('a Welcome from a blocked or pending member is dropped unparsed too', async () => {
  const { inbox, queue, parsed, store } = await setup();
  await store.apply({ contacts: [{ username: 'eve', state: ContactState.BLOCKED, text: '', updatedAt: 0 }, { username: 'pat', state: ContactState.PENDING, text: 'hi', updatedAt: 0 }] });
  inbox.enqueue(delivery(1n, DeliveryKind.MLS_WELCOME, 'eve', new Uint8Array(10)));
  inbox.enqueue(delivery(2n, DeliveryKind.MLS_WELCOME, 'pat', new Uint8Array(10)));
  await queue.idle();
  assert.deepEqual(parsed, []);
});

test('a group message for a conversation this device is not in is not parsed', async () => {
  const { inbox, queue, parsed, dropped } = await setup();
  inbox.enqueue(delivery(1n, DeliveryKind.MLS_MESSAGE, 'mallory', new Uint8Array(300)));
  await queue.idle();
  assert.deepEqual(parsed, []);
  assert.equal(dropped.length, 1);
});

test('a contact request is shown only as bounded plain text', async () => {
  const { inbox, queue, store, dropped } = await setup();
  inbox.enqueue(delivery(1n, DeliveryKind.CONTACT_REQUEST, 'alice', new TextEncoder().encode('hello, it is alice')));
  inbox.enqueue(delivery(2n, DeliveryKind.CONTACT_REQUEST, 'mallory', new TextEncoder().encode('x'.repeat(281))));
  inbox.enqueue(delivery(3n, DeliveryKind.CONTACT_REQUEST, 'eve', new TextEncoder().encode('evil\u202Egnp.exe')));
  inbox.enqueue(delivery(4n, DeliveryKind.CONTACT_REQUEST, 'zed', new Uint8Array([0xff, 0xfe])));
  await queue.idle();
  assert.deepEqual((await store.listContacts()).map((c) => [c.username, c.state, c.text]), [['alice', ContactState.PENDING, 'hello, it is alice']]);
  assert.equal(dropped.length, 3);
});

test('an entry at or below the high-water mark is only acknowledged again', async () => {
  const { inbox, queue, store, acked, events } = await setup();
  await store.apply({ lastSeq: 5n });
  let changes = 0;
  events.didChangeContact.event(() => changes++);
  inbox.enqueue(delivery(5n, DeliveryKind.CONTACT_REQUEST, 'alice', new TextEncoder().encode('again')));
  await queue.idle();
  assert.deepEqual(acked, [5n]);
  assert.equal(changes, 0);
  assert.equal((await store.listContacts()).length, 0);
});

test("a stranger's call request is logged as a missed call request and rings nothing", async () => {
  const { inbox, queue, parsed, acked, store, calls } = await setup();
  const rang: string[] = [];
  calls.events.didRing.event((r) => rang.push(r.peer));
  inbox.enqueue(delivery(1n, DeliveryKind.CALL_REQUEST, 'mallory', new Uint8Array()));
  await queue.idle();
  assert.deepEqual(parsed, []);
  assert.deepEqual(acked, [1n]);
  assert.deepEqual(rang, []);
  assert.equal(calls.current.kind, 'idle');
  const log = await store.listCallLog(10);
  assert.equal(log.length, 1);
  assert.equal(log[0]?.peer, 'mallory');
  assert.equal(log[0]?.outcome, 'missed-request');
  assert.equal((await store.getContact('mallory'))?.state, ContactState.PENDING);
});

test('a ring from a blocked member in a shared conversation is logged, never decoded', async () => {
  const { inbox, queue, parsed, acked, store } = await setup();
  await store.apply({ contacts: [{ username: 'mallory', state: ContactState.BLOCKED, text: '', updatedAt: 0 }] });
  // No conversation exists for this group, so it is dropped before MLS: nothing parsed either way.
  inbox.enqueue(delivery(1n, DeliveryKind.MLS_RING, 'mallory', new Uint8Array(64)));
  await queue.idle();
  assert.deepEqual(parsed, []);
  assert.deepEqual(acked, [1n]);
});

test('malformed input is reported against its sender by kind; drops that are no one\'s fault are not', async () => {
  const { inbox, queue, reported } = await setup();
  inbox.enqueue(delivery(1n, DeliveryKind.CONTACT_REQUEST, 'eve', new TextEncoder().encode('evil\u202Egnp.exe')));
  inbox.enqueue(delivery(2n, DeliveryKind.MLS_WELCOME, 'mallory', new Uint8Array(10)));
  inbox.enqueue(delivery(3n, DeliveryKind.MLS_MESSAGE, 'carol', new Uint8Array(10))); // a group this device is not in
  await queue.idle();
  assert.deepEqual(reported, [
    { user: 'eve', kind: AnomalyKind.MALFORMED },
    { user: 'mallory', kind: AnomalyKind.CONSENT_VIOLATION },
  ]);
});

test('in lockdown a stranger\'s request keeps no text; a request through the contact link keeps it', async () => {
  const { inbox, queue, store } = await setup();
  await store.apply({ settings: { lockdown: true } });
  inbox.enqueue(delivery(1n, DeliveryKind.CONTACT_REQUEST, 'mallory', new TextEncoder().encode('click this')));
  inbox.enqueue(delivery(2n, DeliveryKind.LINKED_CONTACT_REQUEST, 'friend', new TextEncoder().encode('hi, from the link')));
  await queue.idle();
  assert.deepEqual(
    (await store.listContacts()).map((c) => [c.username, c.text, c.viaLink === true]),
    [['friend', 'hi, from the link', true], ['mallory', '', false]],
  );
});

test('a threat notice from the server is kept once per incident; a forged or malformed one is dropped', async () => {
  const { inbox, queue, store, dropped } = await setup();
  const notice = create(ThreatNoticeSchema, { incidentId: 'inc-00aa11bb22', openedAt: 5n, kinds: [AnomalyKind.UNDECRYPTABLE], senders: 3, operatorContact: 'ops@example.org' });
  const fromServer = (seq: bigint, payload: Uint8Array, sender = '') =>
    create(DeliverySchema, { seq, kind: DeliveryKind.THREAT_NOTICE, senderUsername: sender, payload });
  inbox.enqueue(fromServer(1n, encodeThreatNotice(notice)));
  inbox.enqueue(fromServer(2n, encodeThreatNotice({ ...notice, senders: 4 })));
  inbox.enqueue(fromServer(3n, encodeThreatNotice(notice), 'mallory'));
  inbox.enqueue(fromServer(4n, new Uint8Array([0xff, 0x01])));
  await queue.idle();
  const kept = (await store.getSettings()).threatNotices;
  assert.equal(kept.length, 1);
  assert.deepEqual({ ...kept[0], receivedAt: 0 }, { incidentId: 'inc-00aa11bb22', openedAt: 5, kinds: ['undecryptable'], senders: 4, operatorContact: 'ops@example.org', receivedAt: 0, dismissed: false });
  assert.equal(dropped.length, 2);
});

test('a Welcome the server says is from this account, but from a device not in its signed list, is not parsed', async () => {
  const { inbox, queue, parsed, acked, dropped, warnings, store, identity, impl, key } = await setup();
  // Bob's own signed list: version 1, naming only this device.
  const list = encodeDeviceList(create(DeviceListSchema, {
    username: 'bob', version: 1n, devices: [create(ListedDeviceSchema, { deviceId: identity.deviceId, identityKey: identity.publicKey })],
  }));
  const signed = create(SignedDeviceListSchema, { list, signerDeviceId: identity.deviceId, signature: await impl.signature.sign(key.signKey, deviceListTranscript(list)) });
  await store.apply({ settings: { deviceLists: { bob: toBase64Url(toBinary(SignedDeviceListSchema, signed)) } } });
  inbox.enqueue(delivery(1n, DeliveryKind.MLS_WELCOME, 'bob', new Uint8Array(3000).fill(0x41)));
  await queue.idle();
  assert.deepEqual(parsed, [], 'no MLS parser saw the bytes');
  assert.deepEqual(acked, [1n]);
  assert.match(dropped.join('\n'), /unlisted device of this account/);
  assert.match(warnings.join('\n'), /not in its device list/);
  assert.equal((await store.listConversations()).length, 0);
});

test('device deliveries with bad input are dropped with a reason, and nothing else changes', async () => {
  const { inbox, queue, acked, dropped, store } = await setup();
  inbox.enqueue(delivery(1n, DeliveryKind.DEVICE_LIST, 'alice', new Uint8Array(5000)));
  inbox.enqueue(delivery(2n, DeliveryKind.DEVICE_LIST, 'alice', Uint8Array.of(0xff, 0xff)));
  inbox.enqueue(delivery(3n, DeliveryKind.DEVICE_LINK_REQUEST, 'bob', Uint8Array.of(0x0a, 0x10, ...new Uint8Array(16))));
  inbox.enqueue(delivery(4n, DeliveryKind.DEVICE_LINK_REQUEST, 'mallory', new Uint8Array(8)));
  inbox.enqueue(delivery(5n, DeliveryKind.DEVICE_LINK_BUNDLE, 'bob', new Uint8Array(64)));
  await queue.idle();
  assert.deepEqual(acked, [1n, 2n, 3n, 4n, 5n]);
  assert.deepEqual(dropped, [
    'The signed device list is too large.',
    'The signed device list does not decode.',
    'device link request for no link this device opened',
    'device link request for another account',
    'link bundle while not linking',
  ]);
  assert.equal((await store.getSettings()).deviceLists, undefined);
});

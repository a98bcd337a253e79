/** @module gateway/connection.test The connection state machine over a real server and real WebSockets. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  ContactAction,
  create,
  DeliveryKind,
  ErrorCode,
  FrameType,
  LIMITS,
  ListContactsSchema,
  MAX_FRAME_BYTES,
  NoticeKind,
  PROTOCOL_VERSION,
  SendSchema,
  SOFTWARE_VERSION,
} from '@sotto/protocol';
import { startServer, type RunningServer } from '../server.js';
import { SETTING_MIN_CLIENT_VERSION } from '../services/accounts.js';
import { CloseCode } from './close-codes.js';
import { ACK_FLUSH_MS } from './mailbox-pump.js';
import { mailboxCounters } from '../test-metrics.js';
import { errorOf, makeIdentity, rawFrame, resultOf, WireClient, type WireIdentity } from './wire-client.js';

let counter = 0;
function username(prefix = 'user'): string {
  counter += 1;
  return `${prefix}${counter}_${randomBytes(3).toString('hex')}`;
}

const bytes = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface Member {
  client: WireClient;
  identity: WireIdentity;
  username: string;
  deviceId: string;
}

describe('gateway connection', () => {
  let dir: string;
  let server: RunningServer;
  const clients: WireClient[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sotto-gateway-'));
    server = await startServer({ dataDir: dir, port: 0, logLevel: 'silent' });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function connect(): Promise<WireClient> {
    const client = await WireClient.connect(server.url);
    clients.push(client);
    return client;
  }

  async function member(prefix = 'user'): Promise<Member> {
    const client = await connect();
    const identity = makeIdentity();
    const name = username(prefix);
    const ok = await client.register(name, identity);
    await client.nextNotice(NoticeKind.MAILBOX_DRAINED);
    return { client, identity, username: name, deviceId: ok.deviceId };
  }

  /** A fresh connection of an existing device, after its initial drain notice. */
  async function reconnect(m: Member): Promise<{ client: WireClient; drained: number }> {
    const client = await connect();
    await client.login(m.username, m.deviceId, m.identity);
    const notice = await client.nextNotice(NoticeKind.MAILBOX_DRAINED);
    return { client, drained: notice.count };
  }

  /** a asks, b accepts; both mailboxes are emptied of the contact mail. */
  async function befriend(a: Member, b: Member): Promise<void> {
    resultOf(await a.client.request(FrameType.CONTACT_REQUEST, { toUsername: b.username, text: 'hi' }), 'ok');
    const request = await b.client.nextDelivery();
    assert.equal(request.kind, DeliveryKind.CONTACT_REQUEST);
    b.client.ack([request.seq]);
    resultOf(await b.client.request(FrameType.CONTACT_RESPOND, { username: a.username, action: ContactAction.ACCEPT }), 'ok');
    const accepted = await a.client.nextDelivery();
    assert.equal(accepted.kind, DeliveryKind.CONTACT_ACCEPTED);
    a.client.ack([accepted.seq]);
  }

  async function groupOf(creator: Member, others: Member[]): Promise<Uint8Array> {
    const groupId = bytes(32);
    const response = await creator.client.request(FrameType.CREATE_GROUP, {
      groupId,
      epoch: 1n,
      members: others.map((o) => ({ username: o.username, deviceId: o.deviceId })),
      welcome: bytes(100),
    });
    resultOf(response, 'ok');
    return groupId;
  }

  test('the challenge comes first, with a fresh 32-byte nonce and the versions', async () => {
    const a = await connect();
    const b = await connect();
    assert.equal(a.challenge.nonce.byteLength, 32);
    assert.notEqual(hex(a.challenge.nonce), hex(b.challenge.nonce));
    assert.equal(a.challenge.protocolVersion, PROTOCOL_VERSION);
    assert.equal(a.challenge.serverVersion, SOFTWARE_VERSION);
    assert.equal(a.challenge.minClientVersion, '');
    assert.equal(a.challenge.inviteRequired, false);
  });

  test('requests before hello are refused with NOT_AUTHENTICATED', async () => {
    const client = await connect();
    errorOf(await client.request(FrameType.LIST_CONTACTS, {}), ErrorCode.NOT_AUTHENTICATED);
    errorOf(await client.request(FrameType.SEND, { groupId: bytes(32), messageId: bytes(16), payload: bytes(10) }), ErrorCode.NOT_AUTHENTICATED);
    const ackId = client.ack([1n]);
    errorOf(await client.response(ackId), ErrorCode.NOT_AUTHENTICATED);
  });

  test('register, then log in on a new connection with the same key', async () => {
    const identity = makeIdentity();
    const name = username();
    const first = await connect();
    const registered = await first.register(name, identity);
    assert.equal(registered.username, name);
    assert.match(registered.deviceId, /^[0-9a-f]{16}$/);
    assert.equal(registered.keyPackagesRemaining, 0);
    assert.equal(registered.keyPackagesLow, true);
    resultOf(await first.request(FrameType.LIST_CONTACTS, {}), 'listContacts');
    await first.close();

    const second = await connect();
    const loggedIn = await second.login(name, registered.deviceId, identity);
    assert.equal(loggedIn.deviceId, registered.deviceId);
    errorOf(await second.hello(second.loginHello(name, registered.deviceId, identity)), ErrorCode.ALREADY_AUTHENTICATED);
  });

  test('a wrong signature is BAD_SIGNATURE; the third failed hello closes the connection', async () => {
    const identity = makeIdentity();
    const name = username();
    const { deviceId } = await (await connect()).register(name, identity);
    const client = await connect();
    const intruder = makeIdentity();
    errorOf(await client.hello(client.loginHello(name, deviceId, intruder)), ErrorCode.BAD_SIGNATURE);
    // A signature over another connection's nonce does not verify either.
    const other = await connect();
    errorOf(await client.hello(other.loginHello(name, deviceId, identity)), ErrorCode.BAD_SIGNATURE);
    errorOf(await client.hello(client.loginHello(name, 'nosuchdevice', identity)), ErrorCode.UNKNOWN_DEVICE);
    assert.equal((await client.closed).code, CloseCode.AUTH_FAILED);
    // Registering with a signature by a key other than the one registered fails too.
    const third = await connect();
    const hello = third.registerHello(username(), makeIdentity());
    errorOf(await third.hello({ ...hello, signature: intruder.sign(new Uint8Array(8)) }), ErrorCode.BAD_SIGNATURE);
  });

  test('a client older than the minimum version gets UPDATE_REQUIRED naming the version, then the connection closes', async () => {
    await server.store.setSetting(SETTING_MIN_CLIENT_VERSION, '9.1.0');
    try {
      const client = await connect();
      assert.equal(client.challenge.minClientVersion, '9.1.0');
      const error = errorOf(await client.hello(client.registerHello(username(), makeIdentity(), { clientVersion: '9.0.9' })), ErrorCode.UPDATE_REQUIRED);
      assert.match(error.message, /9\.1\.0/);
      assert.equal((await client.closed).code, CloseCode.UPDATE_REQUIRED);
      const current = await connect();
      await current.register(username(), makeIdentity(), { clientVersion: '9.1.0' });
    } finally {
      await server.store.setSetting(SETTING_MIN_CLIENT_VERSION, '');
    }
  });

  test('a wrong protocol version in hello is UNSUPPORTED_PROTOCOL', async () => {
    const client = await connect();
    errorOf(await client.hello(client.registerHello(username(), makeIdentity(), { protocolVersion: 99 })), ErrorCode.UNSUPPORTED_PROTOCOL);
  });

  test('a taken username is USERNAME_TAKEN; a malformed one INVALID_ARGUMENT', async () => {
    const name = username();
    await (await connect()).register(name, makeIdentity());
    const client = await connect();
    errorOf(await client.hello(client.registerHello(name, makeIdentity())), ErrorCode.USERNAME_TAKEN);
    errorOf(await client.hello(client.registerHello('Not Valid', makeIdentity())), ErrorCode.INVALID_ARGUMENT);
  });

  test('a body over its type limit is FRAME_TOO_LARGE with the request id, and the connection still works', async () => {
    const a = await member();
    const id = a.client.allocateId();
    a.client.sendRaw(rawFrame(FrameType.CLAIM_KEY_PACKAGES, id, bytes(1000)));
    errorOf(await a.client.response(id), ErrorCode.FRAME_TOO_LARGE);
    resultOf(await a.client.request(FrameType.LIST_CONTACTS, {}), 'listContacts');
  });

  test('a message over twice the largest frame is cut off by the transport (1009)', async () => {
    const client = await connect();
    client.sendRaw(rawFrame(FrameType.SEND, 1, new Uint8Array(2 * MAX_FRAME_BYTES)));
    assert.equal((await client.closed).code, 1009);
  });

  test('truncated, undecodable and text frames are FRAME_MALFORMED; the connection stays open', async () => {
    const client = await connect();
    client.sendRaw(new Uint8Array([PROTOCOL_VERSION, 0, 16]));
    errorOf(await client.response(0), ErrorCode.FRAME_MALFORMED);
    const id = client.allocateId();
    client.sendRaw(rawFrame(FrameType.HELLO, id, new Uint8Array([0x12, 0x05, 0x61])));
    errorOf(await client.response(id), ErrorCode.FRAME_MALFORMED);
    client.sendRaw('{"hello": true}');
    errorOf(await client.response(0), ErrorCode.FRAME_MALFORMED);
    await client.register(username(), makeIdentity());
  });

  test('an unknown frame type is UNKNOWN_FRAME_TYPE; a server-only type is refused too', async () => {
    const client = await connect();
    const id = client.allocateId();
    client.sendRaw(rawFrame(999, id, new Uint8Array()));
    errorOf(await client.response(id), ErrorCode.UNKNOWN_FRAME_TYPE);
    const id2 = client.allocateId();
    client.sendRaw(rawFrame(FrameType.DELIVERY, id2, new Uint8Array()));
    errorOf(await client.response(id2), ErrorCode.UNKNOWN_FRAME_TYPE);
    const id3 = client.allocateId();
    client.sendRaw(rawFrame(FrameType.HELLO, id3, new Uint8Array(), 7));
    errorOf(await client.response(id3), ErrorCode.UNSUPPORTED_PROTOCOL);
  });

  test('contact requests: plain text only, to existing accounts, never to oneself', async () => {
    const a = await member();
    const b = await member();
    errorOf(await a.client.request(FrameType.CONTACT_REQUEST, { toUsername: username('ghost'), text: 'hi' }), ErrorCode.UNKNOWN_ACCOUNT);
    errorOf(await a.client.request(FrameType.CONTACT_REQUEST, { toUsername: a.username, text: 'hi' }), ErrorCode.INVALID_ARGUMENT);
    errorOf(await a.client.request(FrameType.CONTACT_REQUEST, { toUsername: b.username, text: 'evil\u202Etxt' }), ErrorCode.INVALID_ARGUMENT);
    errorOf(
      await a.client.request(FrameType.CONTACT_REQUEST, { toUsername: b.username, text: 'x'.repeat(LIMITS.contactRequestMaxChars + 1) }),
      ErrorCode.INVALID_ARGUMENT,
    );
    await befriend(a, b);
    const contacts = resultOf(await a.client.request(FrameType.LIST_CONTACTS, {}), 'listContacts').contacts;
    assert.deepEqual(contacts.map((c) => c.username), [b.username]);
  });

  test('key packages can be claimed only by accepted contacts; a low supply is announced to the owner', async () => {
    const a = await member();
    const b = await member();
    const uploaded = resultOf(
      await b.client.request(FrameType.UPLOAD_KEY_PACKAGES, { keyPackages: [bytes(100), bytes(100)], lastResort: bytes(100) }),
      'uploadKeyPackages',
    );
    assert.equal(uploaded.remaining, 2);
    errorOf(await a.client.request(FrameType.CLAIM_KEY_PACKAGES, { username: b.username }), ErrorCode.NOT_A_CONTACT);
    errorOf(
      await b.client.request(FrameType.UPLOAD_KEY_PACKAGES, { keyPackages: [bytes(LIMITS.keyPackageMaxBytes + 1)] }),
      ErrorCode.INVALID_ARGUMENT,
    );
    await befriend(a, b);
    const claimed = resultOf(await a.client.request(FrameType.CLAIM_KEY_PACKAGES, { username: b.username }), 'claimKeyPackages');
    assert.equal(claimed.packages.length, 1);
    assert.equal(claimed.packages[0]?.deviceId, b.deviceId);
    assert.equal(claimed.packages[0]?.lastResort, false);
    const low = await b.client.nextNotice(NoticeKind.KEY_PACKAGES_LOW);
    assert.equal(low.count, 1);
  });

  test('a device cannot store more than the key package cap', async () => {
    const a = await member();
    const batch = () => Array.from({ length: LIMITS.keyPackagesPerUpload }, () => bytes(64));
    for (let stored = 0; stored + LIMITS.keyPackagesPerUpload <= LIMITS.keyPackagesMaxStored; stored += LIMITS.keyPackagesPerUpload) {
      resultOf(await a.client.request(FrameType.UPLOAD_KEY_PACKAGES, { keyPackages: batch() }), 'uploadKeyPackages');
    }
    const refused = errorOf(await a.client.request(FrameType.UPLOAD_KEY_PACKAGES, { keyPackages: [bytes(64)] }), ErrorCode.INVALID_ARGUMENT);
    assert.match(refused.message, /at most 200/);
  });

  test('an account with no key packages at all is NO_KEY_PACKAGE', async () => {
    const a = await member();
    const b = await member();
    await befriend(a, b);
    errorOf(await a.client.request(FrameType.CLAIM_KEY_PACKAGES, { username: b.username }), ErrorCode.NO_KEY_PACKAGE);
  });

  test('a group welcoming a non-contact is NOT_A_CONTACT; an unknown device is UNKNOWN_DEVICE', async () => {
    const a = await member();
    const stranger = await member();
    const response = await a.client.request(FrameType.CREATE_GROUP, {
      groupId: bytes(32),
      epoch: 1n,
      members: [{ username: stranger.username, deviceId: stranger.deviceId }],
      welcome: bytes(100),
    });
    errorOf(response, ErrorCode.NOT_A_CONTACT);
    assert.equal(stranger.client.pendingDeliveries().length, 0);
    await befriend(a, stranger);
    errorOf(
      await a.client.request(FrameType.CREATE_GROUP, {
        groupId: bytes(32),
        epoch: 1n,
        members: [{ username: stranger.username, deviceId: 'ffffffffffffffff' }],
        welcome: bytes(100),
      }),
      ErrorCode.UNKNOWN_DEVICE,
    );
    errorOf(await a.client.request(FrameType.CREATE_GROUP, { groupId: bytes(31), epoch: 1n, members: [], welcome: new Uint8Array() }), ErrorCode.INVALID_ARGUMENT);
  });

  test('a commit adding a non-contact is NOT_A_CONTACT', async () => {
    const a = await member();
    const stranger = await member();
    const groupId = await groupOf(a, []);
    const response = await a.client.request(FrameType.COMMIT, {
      groupId,
      epoch: 1n,
      commit: bytes(50),
      added: [{ username: stranger.username, deviceId: stranger.deviceId }],
      welcome: bytes(50),
      messageId: bytes(16),
    });
    errorOf(response, ErrorCode.NOT_A_CONTACT);
  });

  test('in a group with admins, a commit removing another member from a non-admin is NOT_GROUP_ADMIN, and nothing is delivered', async () => {
    const a = await member();
    const b = await member();
    const c = await member();
    await befriend(a, b);
    await befriend(a, c);
    const groupId = bytes(32);
    const members = [b, c].map((o) => ({ username: o.username, deviceId: o.deviceId }));
    // Only the creator can be a new group's admin.
    errorOf(await a.client.request(FrameType.CREATE_GROUP, { groupId, epoch: 1n, members, welcome: bytes(100), admins: [b.username] }), ErrorCode.NOT_GROUP_ADMIN);
    resultOf(await a.client.request(FrameType.CREATE_GROUP, { groupId, epoch: 1n, members, welcome: bytes(100), admins: [a.username] }), 'ok');
    await b.client.nextDelivery();
    await c.client.nextDelivery();
    const removeC = { groupId, epoch: 1n, commit: bytes(50), removed: [{ username: c.username, deviceId: c.deviceId }], messageId: bytes(16) };
    const refused = errorOf(await b.client.request(FrameType.COMMIT, removeC), ErrorCode.NOT_GROUP_ADMIN);
    assert.match(refused.message, /Only the group's admins/);
    errorOf(await b.client.request(FrameType.COMMIT, { groupId, epoch: 1n, commit: bytes(50), messageId: bytes(16), admins: [b.username] }), ErrorCode.NOT_GROUP_ADMIN);
    assert.equal(c.client.pendingDeliveries().length, 0);
    // The admin's own commit of the same change goes through, at the same epoch.
    const epoch = resultOf(await a.client.request(FrameType.COMMIT, { ...removeC, messageId: bytes(16) }), 'commit');
    assert.equal(epoch.epoch, 2n);
    assert.equal((await c.client.nextDelivery()).kind, DeliveryKind.MLS_COMMIT);
  });

  test('one commit per epoch: the second for the same epoch is STALE_EPOCH', async () => {
    const a = await member();
    const b = await member();
    await befriend(a, b);
    const groupId = await groupOf(a, [b]);
    const welcome = await b.client.nextDelivery();
    assert.equal(welcome.kind, DeliveryKind.MLS_WELCOME);
    const commit = (m: Member) => m.client.request(FrameType.COMMIT, { groupId, epoch: 1n, commit: bytes(50), messageId: bytes(16) });
    assert.equal(resultOf(await commit(a), 'commit').epoch, 2n);
    const stale = errorOf(await commit(b), ErrorCode.STALE_EPOCH);
    assert.match(stale.message, /epoch 2/);
    const delivered = await b.client.nextDelivery();
    assert.equal(delivered.kind, DeliveryKind.MLS_COMMIT);
    assert.equal(delivered.epoch, 1n);
  });

  test('an online member gets a message pushed at once; the sender does not get its own', async () => {
    const a = await member();
    const b = await member();
    await befriend(a, b);
    const groupId = await groupOf(a, [b]);
    await b.client.nextDelivery();
    const messageId = bytes(16);
    const payload = bytes(300);
    const sent = resultOf(await a.client.request(FrameType.SEND, { groupId, messageId, payload }), 'send');
    assert.equal(sent.recipients, 1);
    const got = await b.client.nextDelivery();
    assert.equal(got.kind, DeliveryKind.MLS_MESSAGE);
    assert.equal(got.senderUsername, a.username);
    assert.equal(got.senderDeviceId, a.deviceId);
    assert.equal(hex(got.messageId), hex(messageId));
    assert.equal(hex(got.payload), hex(payload));
    assert.equal(a.client.pendingDeliveries().length, 0);
  });

  test('/metrics counts the mailbox read of each delivery; on SQLite none is carried (its reads are served from memory)', async () => {
    const a = await member();
    const b = await member();
    await befriend(a, b);
    const groupId = await groupOf(a, [b]);
    await b.client.nextDelivery();
    const before = await mailboxCounters(server.url);
    resultOf(await a.client.request(FrameType.SEND, { groupId, messageId: bytes(16), payload: bytes(100) }), 'send');
    await b.client.nextDelivery();
    assert.deepEqual(await mailboxCounters(server.url), { carried: before.carried, reads: before.reads + 1 });
  });

  test('a burst of sends is answered in request order, failures in place, and reaches the member in order', async () => {
    const a = await member();
    const b = await member();
    await befriend(a, b);
    const groupId = await groupOf(a, [b]);
    await b.client.nextDelivery();
    const payloads = Array.from({ length: 40 }, () => bytes(50));
    const ids: number[] = [];
    const send = (group: Uint8Array, payload: Uint8Array) => {
      const id = a.client.allocateId();
      a.client.sendFrame(FrameType.SEND, id, create(SendSchema, { groupId: group, messageId: bytes(16), payload }));
      ids.push(id);
      return id;
    };
    // Sent without waiting, so the server pipelines them; one in the middle names no group.
    payloads.slice(0, 20).forEach((payload) => send(groupId, payload));
    const refused = send(bytes(32), bytes(50));
    payloads.slice(20).forEach((payload) => send(groupId, payload));
    const listed = a.client.allocateId();
    a.client.sendFrame(FrameType.LIST_CONTACTS, listed, create(ListContactsSchema, {}));
    resultOf(await a.client.response(listed), 'listContacts');
    for (const id of ids) {
      const response = await a.client.response(id);
      if (id === refused) errorOf(response, ErrorCode.UNKNOWN_GROUP);
      else resultOf(response, 'send');
    }
    const answered = a.client.answered.slice(-(ids.length + 1));
    assert.deepEqual(answered, [...ids, listed], 'answers in request order, the contact list after every send');
    const got = await b.client.deliveries(payloads.length);
    assert.deepEqual(got.map((d) => hex(d.payload)), payloads.map(hex));
  });

  test('messages to an offline member are delivered on connect; once acked they are not delivered again', async () => {
    const a = await member();
    const b = await member();
    await befriend(a, b);
    await b.client.close();
    const groupId = await groupOf(a, []);
    resultOf(
      await a.client.request(FrameType.COMMIT, {
        groupId,
        epoch: 1n,
        commit: bytes(40),
        added: [{ username: b.username, deviceId: b.deviceId }],
        welcome: bytes(80),
        messageId: bytes(16),
      }),
      'commit',
    );
    const payloads = [bytes(20), bytes(20), bytes(20)];
    for (const payload of payloads) resultOf(await a.client.request(FrameType.SEND, { groupId, messageId: bytes(16), payload }), 'send');

    const first = await connect();
    await first.login(b.username, b.deviceId, b.identity);
    const got = await first.deliveries(4);
    assert.deepEqual(got.map((d) => d.kind), [DeliveryKind.MLS_WELCOME, ...payloads.map(() => DeliveryKind.MLS_MESSAGE)]);
    assert.deepEqual(got.slice(1).map((d) => hex(d.payload)), payloads.map(hex));
    assert.ok(got.every((d, i) => i === 0 || d.seq > got[i - 1]!.seq), 'mailbox order');
    assert.equal((await first.nextNotice(NoticeKind.MAILBOX_DRAINED)).count, 4);
    first.ack(got.map((d) => d.seq));
    // The ack has no response; a request after it is answered only once the ack was handled.
    resultOf(await first.request(FrameType.LIST_CONTACTS, {}), 'listContacts');
    await first.close();

    const second = await reconnect(b);
    assert.equal(second.drained, 0);
    assert.equal(second.client.pendingDeliveries().length, 0);
  });

  test('entries not acked are delivered again on the next connection', async () => {
    const a = await member();
    const b = await member();
    await befriend(a, b);
    const groupId = await groupOf(a, [b]);
    const welcome = await b.client.nextDelivery();
    b.client.ack([welcome.seq]);
    const messageId = bytes(16);
    resultOf(await a.client.request(FrameType.SEND, { groupId, messageId, payload: bytes(10) }), 'send');
    const once = await b.client.nextDelivery();
    await b.client.close();

    const again = await reconnect(b);
    assert.equal(again.drained, 1);
    const twice = await again.client.nextDelivery();
    assert.equal(twice.seq, once.seq);
    assert.equal(hex(twice.messageId), hex(messageId));
  });

  test('a retried send with the same message id is stored once', async () => {
    const a = await member();
    const b = await member();
    await befriend(a, b);
    const groupId = await groupOf(a, [b]);
    await b.client.nextDelivery();
    const messageId = bytes(16);
    resultOf(await a.client.request(FrameType.SEND, { groupId, messageId, payload: bytes(10) }), 'send');
    resultOf(await a.client.request(FrameType.SEND, { groupId, messageId, payload: bytes(10) }), 'send');
    await b.client.nextDelivery();
    // The contact request acked earlier is deleted within ACK_FLUSH_MS; a second copy never would be.
    const deadline = Date.now() + 1000;
    while ((await server.store.countMailbox(b)) > 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, ACK_FLUSH_MS));
    assert.equal(await server.store.countMailbox(b), 2, 'the welcome and one copy');
  });

  test('a second connection of a device replaces the first', async () => {
    const a = await member();
    const { client: second } = await reconnect(a);
    const notice = await a.client.nextNotice(NoticeKind.REPLACED);
    assert.equal(notice.kind, NoticeKind.REPLACED);
    assert.equal((await a.client.closed).code, CloseCode.REPLACED);
    resultOf(await second.request(FrameType.LIST_CONTACTS, {}), 'listContacts');
  });

  test('an ack naming too many entries is INVALID_ARGUMENT', async () => {
    const a = await member();
    const id = a.client.ack(Array.from({ length: LIMITS.maxAckSeqs + 1 }, (_, i) => BigInt(i + 1)));
    errorOf(await a.client.response(id), ErrorCode.INVALID_ARGUMENT);
  });

  test('an ack naming a seq no mailbox can hold (0, 2^63 and above) is INVALID_ARGUMENT, and the connection goes on', async () => {
    const a = await member();
    for (const seq of [0n, 2n ** 63n, 2n ** 64n - 1n]) errorOf(await a.client.response(a.client.ack([1n, seq])), ErrorCode.INVALID_ARGUMENT);
    resultOf(await a.client.request(FrameType.LIST_CONTACTS, {}), 'listContacts');
  });

  test('leaving tells the others with MEMBER_LEFT carrying the proposal', async () => {
    const a = await member();
    const b = await member();
    await befriend(a, b);
    const groupId = await groupOf(a, [b]);
    await b.client.nextDelivery();
    const proposal = bytes(30);
    resultOf(await b.client.request(FrameType.LEAVE_GROUP, { groupId, proposal, messageId: bytes(16) }), 'ok');
    const left = await a.client.nextDelivery();
    assert.equal(left.kind, DeliveryKind.MEMBER_LEFT);
    assert.equal(hex(left.payload), hex(proposal));
    errorOf(await b.client.request(FrameType.SEND, { groupId, messageId: bytes(16), payload: bytes(5) }), ErrorCode.NOT_A_MEMBER);
  });

  test('get devices lists the identity keys of an account', async () => {
    const a = await member();
    const b = await member();
    const devices = resultOf(await a.client.request(FrameType.GET_DEVICES, { username: b.username }), 'getDevices');
    assert.deepEqual(devices.devices.map((d) => [d.deviceId, hex(d.identityKey)]), [[b.deviceId, hex(b.identity.publicKey)]]);
    errorOf(await a.client.request(FrameType.GET_DEVICES, { username: username('ghost') }), ErrorCode.UNKNOWN_ACCOUNT);
  });

  test('rings are delivered as MLS_RING and limited per caller: the seventh in a minute is RATE_LIMITED', async () => {
    const a = await member();
    const b = await member();
    await befriend(a, b);
    const groupId = await groupOf(a, [b]);
    b.client.ack([(await b.client.nextDelivery()).seq]);
    for (let i = 0; i < 6; i++) resultOf(await a.client.request(FrameType.SEND, { groupId, messageId: bytes(16), payload: bytes(50), ring: true }), 'send');
    const refused = errorOf(await a.client.request(FrameType.SEND, { groupId, messageId: bytes(16), payload: bytes(50), ring: true }), ErrorCode.RATE_LIMITED);
    assert.match(refused.message, /Too many calls: at most 6 a minute\. Try again in \d+ s\./);
    const rings = await b.client.deliveries(6);
    assert.deepEqual(rings.map((d) => d.kind), Array(6).fill(DeliveryKind.MLS_RING));
    // Ordinary messages are not rings and are not limited by the ring limit.
    resultOf(await a.client.request(FrameType.SEND, { groupId, messageId: bytes(16), payload: bytes(50) }), 'send');
    assert.equal((await b.client.nextDelivery()).kind, DeliveryKind.MLS_MESSAGE);
  });

  test('a ring to a group of three accounts is INVALID_ARGUMENT and costs no ring', async () => {
    const a = await member();
    const b = await member();
    const c = await member();
    await befriend(a, b);
    await befriend(a, c);
    const groupId = await groupOf(a, [b, c]);
    const refused = errorOf(await a.client.request(FrameType.SEND, { groupId, messageId: bytes(16), payload: bytes(50), ring: true }), ErrorCode.INVALID_ARGUMENT);
    assert.match(refused.message, /only to a 1:1 conversation/);
  });

  test("a stranger's call attempt arrives as CALL_REQUEST and counts against the ring limit", async () => {
    const a = await member('stranger');
    const targets = await Promise.all(Array.from({ length: 7 }, () => member()));
    for (const t of targets.slice(0, 6)) resultOf(await a.client.request(FrameType.CONTACT_REQUEST, { toUsername: t.username, text: '', call: true }), 'ok');
    errorOf(await a.client.request(FrameType.CONTACT_REQUEST, { toUsername: targets[6]!.username, text: '', call: true }), ErrorCode.RATE_LIMITED);
    const got = await targets[0]!.client.nextDelivery();
    assert.equal(got.kind, DeliveryKind.CALL_REQUEST);
    assert.equal(got.senderUsername, a.username);
  });

  test('without TURN configured, TURN credentials are empty', async () => {
    const a = await member();
    const turn = resultOf(await a.client.request(FrameType.GET_TURN_CREDENTIALS, {}), 'turnCredentials');
    assert.deepEqual([...turn.urls], []);
    assert.equal(turn.credential, '');
  });

  test('/healthz answers ok with the version; /metrics is Prometheus text with the server counters', async () => {
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok', version: SOFTWARE_VERSION });
    const metrics = await fetch(`${server.url}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await metrics.text();
    for (const name of [
      'sotto_connections',
      'sotto_frames_received_total{type="HELLO"}',
      'sotto_errors_total{code="NOT_A_CONTACT"}',
      'sotto_messages_stored_total',
      'sotto_mailbox_deliveries_total',
      'sotto_request_duration_seconds_bucket',
    ]) {
      assert.ok(text.includes(name), `${name} in /metrics`);
    }
  });
});

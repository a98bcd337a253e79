/** @module gateway/expiring-mail.test */
// Disappearing messages end to end over the in-memory server with WireClient: a SEND with
// `expires_at` reaches a connected device before its time, never reaches a device that connects
// after it (and the store keeps no row of it), and bad values are refused with their reason. The
// server's clock is the test's, moved by hand: nothing here waits for real time to pass.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ContactAction, DeliveryKind, ErrorCode, FrameType, NoticeKind } from '@sotto/protocol';
import { startInMemoryServer, type InMemoryServer } from '../in-memory-server.js';
import { MAX_EXPIRY_AHEAD_MS } from '../services/validate.js';
import { errorOf, makeIdentity, resultOf, WireClient, type WireIdentity } from './wire-client.js';

const bytes = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface Member {
  client: WireClient;
  identity: WireIdentity;
  username: string;
  deviceId: string;
}

describe('disappearing messages over the in-memory server', () => {
  let server: InMemoryServer;
  let clock = 1_800_000_000_000;
  const clients: WireClient[] = [];
  let names = 0;

  before(() => {
    server = startInMemoryServer({ config: { rateLimits: false }, now: () => clock });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
  });

  async function connect(): Promise<WireClient> {
    const client = await WireClient.connectOver(server.transport, server.url);
    clients.push(client);
    return client;
  }

  async function member(prefix: string): Promise<Member> {
    const client = await connect();
    const identity = makeIdentity();
    const username = `${prefix}${(names += 1)}`;
    const ok = await client.register(username, identity);
    await client.nextNotice(NoticeKind.MAILBOX_DRAINED);
    return { client, identity, username, deviceId: ok.deviceId };
  }

  /** The next delivery, which must be of `kind`; acknowledged. */
  async function take(m: Member, kind: DeliveryKind): Promise<Uint8Array> {
    const delivery = await m.client.nextDelivery();
    assert.equal(DeliveryKind[delivery.kind], DeliveryKind[kind]);
    m.client.ack([delivery.seq]);
    return delivery.messageId;
  }

  /** alice and bob, contacts, in a group alice made; both mailboxes empty. */
  async function pair(): Promise<{ alice: Member; bob: Member; groupId: Uint8Array }> {
    const alice = await member('alice');
    const bob = await member('bob');
    resultOf(await alice.client.request(FrameType.CONTACT_REQUEST, { toUsername: bob.username, text: 'hi' }), 'ok');
    await take(bob, DeliveryKind.CONTACT_REQUEST);
    resultOf(await bob.client.request(FrameType.CONTACT_RESPOND, { username: alice.username, action: ContactAction.ACCEPT }), 'ok');
    await take(alice, DeliveryKind.CONTACT_ACCEPTED);
    const groupId = bytes(32);
    const members = [{ username: bob.username, deviceId: bob.deviceId }];
    resultOf(await alice.client.request(FrameType.CREATE_GROUP, { groupId, epoch: 1n, members, welcome: bytes(100) }), 'ok');
    await take(bob, DeliveryKind.MLS_WELCOME);
    return { alice, bob, groupId };
  }

  async function send(from: Member, groupId: Uint8Array, expiresAt: bigint): Promise<Uint8Array> {
    const messageId = bytes(16);
    const ok = resultOf(await from.client.request(FrameType.SEND, { groupId, messageId, payload: bytes(50), expiresAt }), 'send');
    assert.equal(ok.recipients, 1);
    return messageId;
  }

  /** Message ids of the messages the store still holds for `m` (acks of the set-up mail may still be on their way). */
  async function stored(m: Member): Promise<string[]> {
    return (await server.store.readMailbox(m, 0n, 100)).filter((e) => e.kind === DeliveryKind.MLS_MESSAGE).map((e) => hex(e.messageId));
  }

  test('a connected device receives a disappearing message before its expiry', async () => {
    const { alice, bob, groupId } = await pair();
    const messageId = await send(alice, groupId, BigInt(clock + 1_500));
    assert.equal(hex(await take(bob, DeliveryKind.MLS_MESSAGE)), hex(messageId));
  });

  test('a device that connects after the expiry gets nothing of it, and the store keeps no row of it', async () => {
    const { alice, bob, groupId } = await pair();
    await bob.client.close();
    const gone = await send(alice, groupId, BigInt(clock + 1_500));
    const kept = await send(alice, groupId, 0n);
    assert.deepEqual(await stored(bob), [hex(gone), hex(kept)], 'both wait in the mailbox while bob is away');
    clock += 2_000;
    const again = await connect();
    await again.login(bob.username, bob.deviceId, bob.identity);
    const drained = await again.nextNotice(NoticeKind.MAILBOX_DRAINED);
    assert.equal(drained.count, 1, 'only the message without expiry was delivered');
    assert.deepEqual(again.pendingDeliveries().map((d) => hex(d.messageId)), [hex(kept)]);
    assert.deepEqual(await stored(bob), [hex(kept)], 'the expired copy was deleted, not only skipped');
  });

  test('bad expires_at values are refused with their reason, and nothing is stored', async () => {
    const { alice, bob, groupId } = await pair();
    const refused = async (expiresAt: bigint, reason: RegExp): Promise<void> => {
      const response = await alice.client.request(FrameType.SEND, { groupId, messageId: bytes(16), payload: bytes(50), expiresAt });
      assert.match(errorOf(response, ErrorCode.INVALID_ARGUMENT).message, reason);
    };
    await refused(-5n, /^expires_at must be 0 \(no expiry\) or a time in ms since the epoch, not negative\.$/);
    await refused(BigInt(clock), /^expires_at is not in the future/);
    await refused(BigInt(clock - 60_000), /^expires_at is not in the future/);
    await refused(BigInt(clock + MAX_EXPIRY_AHEAD_MS + 1), /^expires_at is more than 90 days ahead/);
    const ring = await alice.client.request(FrameType.SEND, { groupId, messageId: bytes(16), payload: bytes(50), ring: true, expiresAt: 1n });
    assert.match(errorOf(ring, ErrorCode.INVALID_ARGUMENT).message, /^expires_at is not in the future/, 'rings are held to the same rule');
    assert.deepEqual(await stored(bob), []);
    const longest = await send(alice, groupId, BigInt(clock + MAX_EXPIRY_AHEAD_MS));
    assert.equal(hex(await take(bob, DeliveryKind.MLS_MESSAGE)), hex(longest), 'the longest timer is accepted');
  });
});

/** @module services/delivery.test Field checks, consent and bus notifications of the delivery service, and the expiry of disappearing messages. */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ContactAction, DeliveryKind, ErrorCode } from '@sotto/protocol';
import { LocalBus } from '../bus/local/local-bus.js';
import type { BusEvent } from '../bus/bus.js';
import { ServerError } from '../errors.js';
import { createLogger } from '../logger.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import type { DeviceAddress } from '../storage/types.js';
import { createServices, type Services } from './services.js';
import { MAX_EXPIRY_AHEAD_MS, MAX_MAIL_PAYLOAD_BYTES } from './validate.js';

const bytes = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const rejectsWith = (promise: Promise<unknown>, code: ErrorCode) =>
  assert.rejects(promise, (error: unknown) => error instanceof ServerError && error.code === code);

describe('delivery service', () => {
  let store: SqliteStore;
  let bus: LocalBus;
  let services: Services;
  const alice: DeviceAddress = { username: 'alice', deviceId: 'a1' };
  const alice2: DeviceAddress = { username: 'alice', deviceId: 'a2' };
  const bob: DeviceAddress = { username: 'bob', deviceId: 'b1' };
  const carol: DeviceAddress = { username: 'carol', deviceId: 'c1' };

  beforeEach(async () => {
    store = new SqliteStore({ path: ':memory:' });
    bus = new LocalBus();
    services = createServices({ store, bus, now: () => 5, inviteOnly: false, log: createLogger('test', { level: 'silent' }) });
    for (const d of [alice, bob, carol]) await store.createAccount({ ...d, identityKey: bytes(32), requireInvite: false, now: 1 });
    await store.putContactRequest(alice, bob.username, 'hi', 1);
    await store.respondToContact(bob, alice.username, ContactAction.ACCEPT, 1);
  });
  afterEach(async () => {
    await bus.close();
    await store.close();
  });

  test('creating a group tells every member device on the bus, and only them', async () => {
    const seen: string[] = [];
    for (const d of [alice, bob, carol]) bus.subscribe(d, (e: BusEvent) => seen.push(`${d.username}:${e.kind}`));
    await services.delivery.createGroup(alice, { groupId: bytes(32), epoch: 1n, members: [bob, bob, alice], welcome: bytes(10) });
    assert.deepEqual(seen, ['bob:mail']);
  });

  test('field checks: ids, epochs, payloads and the welcome rule', async () => {
    const groupId = bytes(32);
    await services.delivery.createGroup(alice, { groupId, epoch: 1n, members: [bob], welcome: bytes(10) });
    const commit = { groupId, epoch: 1n, commit: bytes(10), added: [], removed: [], welcome: new Uint8Array(), messageId: bytes(16) };
    await rejectsWith(services.delivery.commit(alice, { ...commit, messageId: bytes(15) }), ErrorCode.INVALID_ARGUMENT);
    await rejectsWith(services.delivery.commit(alice, { ...commit, commit: new Uint8Array() }), ErrorCode.INVALID_ARGUMENT);
    await rejectsWith(services.delivery.commit(alice, { ...commit, welcome: bytes(5) }), ErrorCode.INVALID_ARGUMENT);
    await rejectsWith(services.delivery.commit(alice, { ...commit, epoch: 1n << 60n }), ErrorCode.INVALID_ARGUMENT);
    await rejectsWith(services.delivery.commit(alice, { ...commit, added: [bob] }), ErrorCode.INVALID_ARGUMENT);
    await rejectsWith(services.delivery.commit(alice, { ...commit, commit: bytes(MAX_MAIL_PAYLOAD_BYTES + 1) }), ErrorCode.FRAME_TOO_LARGE);
    await rejectsWith(services.delivery.send({ device: alice }, { groupId, messageId: bytes(16), payload: new Uint8Array() }), ErrorCode.INVALID_ARGUMENT);
    await rejectsWith(services.delivery.send({ device: alice }, { groupId: bytes(16), messageId: bytes(16), payload: bytes(1) }), ErrorCode.INVALID_ARGUMENT);
    assert.equal(await services.delivery.commit(alice, commit), 2n);
  });

  test("a member's own other devices need no contact; other accounts do", async () => {
    await store.addKeyPackages(alice, [bytes(10)], undefined);
    await rejectsWith(
      services.delivery.createGroup(alice, { groupId: bytes(32), epoch: 1n, members: [alice2], welcome: bytes(10) }),
      ErrorCode.UNKNOWN_DEVICE,
    );
    await rejectsWith(
      services.delivery.createGroup(alice, { groupId: bytes(32), epoch: 1n, members: [bob, carol], welcome: bytes(10) }),
      ErrorCode.NOT_A_CONTACT,
    );
    // bob accepted alice, but carol's consent is hers to give: alice accepting carol is not enough.
    await store.putContactRequest(carol, alice.username, 'hi', 1);
    await store.respondToContact(alice, carol.username, ContactAction.ACCEPT, 1);
    await store.respondToContact(carol, alice.username, ContactAction.BLOCK, 2);
    await rejectsWith(services.keyPackages.claim({ device: alice }, carol.username), ErrorCode.NOT_A_CONTACT);
    // Her own account needs no contact, and never hands out the claimer's own package: she has no other device.
    assert.equal((await services.keyPackages.claim({ device: alice }, alice.username)).length, 0);
  });
});

describe('delivery service: disappearing messages (Send.expires_at)', () => {
  const NOW = 1_800_000_000_000;
  let clock = NOW;
  let store: SqliteStore;
  let bus: LocalBus;
  let services: Services;
  let groupId: Uint8Array;
  const alice: DeviceAddress = { username: 'alice', deviceId: 'a1' };
  const bob: DeviceAddress = { username: 'bob', deviceId: 'b1' };
  const send = (expiresAt: bigint, ring = false) => services.delivery.send({ device: alice }, { groupId, messageId: bytes(16), payload: bytes(4), ring, expiresAt });
  /** bob's copies of alice's sends (his mailbox also holds her contact request and the welcome). */
  const sent = async () => (await store.readMailbox(bob, 0n, 100)).filter((e) => e.kind === DeliveryKind.MLS_MESSAGE || e.kind === DeliveryKind.MLS_RING);
  const expiries = async (): Promise<number[]> => (await sent()).map((e) => e.expiresAt);

  beforeEach(async () => {
    clock = NOW;
    store = new SqliteStore({ path: ':memory:' });
    bus = new LocalBus();
    services = createServices({ store, bus, now: () => clock, inviteOnly: false, log: createLogger('test', { level: 'silent' }) });
    for (const d of [alice, bob]) await store.createAccount({ ...d, identityKey: bytes(32), requireInvite: false, now: 1 });
    await store.putContactRequest(alice, bob.username, 'hi', 1);
    await store.respondToContact(bob, alice.username, ContactAction.ACCEPT, 1);
    groupId = bytes(32);
    await services.delivery.createGroup(alice, { groupId, epoch: 1n, members: [bob], welcome: bytes(10) });
  });
  afterEach(async () => {
    await bus.close();
    await store.close();
  });

  test('an expiry in the past, now, negative, or beyond 90 days and a minute is refused with its reason, and stores nothing', async () => {
    const refused = async (expiresAt: bigint, reason: RegExp, ring = false): Promise<void> => {
      await assert.rejects(send(expiresAt, ring), (error: unknown) => error instanceof ServerError && error.code === ErrorCode.INVALID_ARGUMENT && reason.test(error.message));
    };
    await refused(-1n, /^expires_at must be 0 \(no expiry\) or a time in ms since the epoch, not negative\.$/);
    await refused(BigInt(NOW), /^expires_at is not in the future/);
    await refused(BigInt(NOW - 1), /^expires_at is not in the future/);
    await refused(1n, /^expires_at is not in the future/);
    await refused(BigInt(NOW + MAX_EXPIRY_AHEAD_MS + 1), /^expires_at is more than 90 days ahead \(the longest disappearing timer\)\.$/);
    await refused(1n << 62n, /more than 90 days ahead/);
    await refused(BigInt(NOW - 1), /not in the future/, true);
    assert.deepEqual(await expiries(), [], 'nothing of a refused send is stored');
  });

  test('0 means no expiry; a time up to 90 days and a minute ahead is stored with every copy, rings included', async () => {
    await send(0n);
    await services.delivery.send({ device: alice }, { groupId, messageId: bytes(16), payload: bytes(4) });
    await send(BigInt(NOW + 1));
    await send(BigInt(NOW + MAX_EXPIRY_AHEAD_MS));
    await send(BigInt(NOW + 60_000), true);
    assert.equal(MAX_EXPIRY_AHEAD_MS, 90 * 86_400_000 + 60_000);
    assert.deepEqual(await expiries(), [0, 0, NOW + 1, NOW + MAX_EXPIRY_AHEAD_MS, NOW + 60_000]);
    assert.equal((await sent()).at(-1)?.kind, DeliveryKind.MLS_RING);
  });

  test('expired() follows the clock: an entry is deliverable before its expiry and not from it on', async () => {
    await send(BigInt(NOW + 1_500));
    await send(0n);
    const [expiring, lasting] = await sent();
    assert.equal(services.delivery.expired(expiring!), false);
    clock = NOW + 1_499;
    assert.equal(services.delivery.expired(expiring!), false);
    clock = NOW + 1_500;
    assert.equal(services.delivery.expired(expiring!), true);
    clock = Number.MAX_SAFE_INTEGER;
    assert.equal(services.delivery.expired(lasting!), false, 'an entry without expiry never expires by it');
  });
});

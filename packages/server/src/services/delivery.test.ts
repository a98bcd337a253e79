/** @module services/delivery.test Field checks, consent and bus notifications of the delivery service. */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ContactAction, ErrorCode } from '@sotto/protocol';
import { LocalBus } from '../bus/local/local-bus.js';
import type { BusEvent } from '../bus/bus.js';
import { ServerError } from '../errors.js';
import { createLogger } from '../logger.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import type { DeviceAddress } from '../storage/types.js';
import { createServices, type Services } from './services.js';
import { MAX_MAIL_PAYLOAD_BYTES } from './validate.js';

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

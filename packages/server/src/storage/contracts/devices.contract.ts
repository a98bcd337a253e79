/**
 * @module storage/contracts/devices.contract
 * The linked-devices contract: device links (the device cap, one use, one bundle from the
 * creator), the signed device lists (compare-and-set on the version, only the account's own
 * devices listed), what publishing does to the devices it leaves out (deleted with their key
 * packages, mail and group rows, without breaking the groups they were in), claims of listed
 * devices only, and the expiry sweep. Every backend runs it, each test on a fresh store.
 */
import { beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DeliveryKind, ErrorCode, LIMITS } from '@sotto/protocol';
import type { Store } from '../store.js';
import type { DeviceAddress } from '../types.js';
import { UNLISTED_DEVICE_GRACE_MS } from '../device-rules.js';
import { assertCode, freshStorePerTest, type MakeStore, randomBytes } from './harness.js';

const NOW = 1_000_000_000_000;
const TTL = LIMITS.deviceLinkTtlMs;
const request = (): { messageId: Uint8Array; payload: Uint8Array } => ({ messageId: randomBytes(16), payload: randomBytes(40) });
let deviceCounter = 0;
const newDeviceId = (): string => `e${(++deviceCounter).toString(16).padStart(15, '0')}`;

export function runDevicesContract(name: string, makeStore: MakeStore): void {
  describe(`linked devices contract: ${name}`, () => {
    const fresh = freshStorePerTest(makeStore);
    const { account, contacts, mail, drain } = fresh.helpers;
    let store: Store;
    beforeEach(() => {
      store = fresh.store();
    });

    /** Links a new (unlisted) device to `creator`'s account; returns it and its key. */
    async function link(creator: DeviceAddress, now = NOW): Promise<{ device: DeviceAddress; identityKey: Uint8Array; linkId: Uint8Array }> {
      const linkId = randomBytes(16);
      await store.createDeviceLink(creator, linkId, now + TTL, now);
      const identityKey = randomBytes(32);
      const deviceId = newDeviceId();
      await store.useDeviceLink(linkId, { deviceId, identityKey }, request(), now + 1);
      return { device: { username: creator.username, deviceId }, identityKey, linkId };
    }

    async function keyOf(device: DeviceAddress): Promise<Uint8Array> {
      return (await store.getDevice(device))!.identityKey;
    }

    async function publish(username: string, version: bigint, devices: readonly DeviceAddress[]): Promise<DeviceAddress[]> {
      const listed = await Promise.all(devices.map(async (d) => ({ deviceId: d.deviceId, identityKey: await keyOf(d) })));
      return store.publishDeviceList({ username, version, signed: randomBytes(100), listed, now: NOW });
    }

    test('a used link makes an unlisted device and tells its creator; the device is not claimable until listed', async () => {
      const a = await account();
      await store.addKeyPackages(a, [randomBytes(32)], randomBytes(32));
      await drain(a);
      const linkId = randomBytes(16);
      await store.createDeviceLink(a, linkId, NOW + TTL, NOW);
      const identityKey = randomBytes(32);
      const deviceId = newDeviceId();
      const used = await store.useDeviceLink(linkId, { deviceId, identityKey }, { messageId: randomBytes(16), payload: new Uint8Array([7]) }, NOW + 1);
      const b = { username: a.username, deviceId };
      assert.equal(used.username, a.username);
      assert.deepEqual(used.creator, a);
      assert.deepEqual(used.mail.recipients, [a]);
      const [entry] = await store.readMailbox(a, 0n, 10);
      assert.equal(entry?.kind, DeliveryKind.DEVICE_LINK_REQUEST);
      assert.deepEqual(entry?.sender, b);
      assert.deepEqual(entry?.payload, new Uint8Array([7]));
      assert.deepEqual((await store.getDevice(b))?.identityKey, identityKey);
      assert.equal(await store.isDeviceListed(b), false);
      assert.equal(await store.isDeviceListed(a), true);
      assert.deepEqual((await store.listedDevices(a.username)).map((d) => d.deviceId), [a.deviceId]);
      assert.deepEqual(await store.linkedDevice(linkId), { creator: a, device: b });
      await store.addKeyPackages(b, [randomBytes(32)], undefined);
      assert.deepEqual((await store.claimKeyPackages(a.username)).map((c) => c.device.deviceId), [a.deviceId]);
      assert.deepEqual(await store.claimKeyPackages(a.username, { deviceIds: [b.deviceId] }), []);
    });

    test('a link is refused alike when unknown, expired or used', async () => {
      const a = await account();
      const used = await link(a);
      await assertCode(store.useDeviceLink(used.linkId, { deviceId: newDeviceId(), identityKey: randomBytes(32) }, request(), NOW + 2), ErrorCode.LINK_INVALID);
      await assertCode(store.useDeviceLink(randomBytes(16), { deviceId: newDeviceId(), identityKey: randomBytes(32) }, request(), NOW), ErrorCode.LINK_INVALID);
      const late = randomBytes(16);
      await store.createDeviceLink(a, late, NOW + TTL, NOW);
      await assertCode(store.useDeviceLink(late, { deviceId: newDeviceId(), identityKey: randomBytes(32) }, request(), NOW + TTL), ErrorCode.LINK_INVALID);
      assert.equal((await store.listDevices(a.username)).length, 2);
    });

    test('two uses of one link at once: exactly one device is made', async () => {
      const a = await account();
      const linkId = randomBytes(16);
      await store.createDeviceLink(a, linkId, NOW + TTL, NOW);
      const results = await Promise.allSettled(
        [0, 1, 2].map(() => store.useDeviceLink(linkId, { deviceId: newDeviceId(), identityKey: randomBytes(32) }, request(), NOW + 1)),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      assert.equal((await store.listDevices(a.username)).length, 2);
    });

    test('devices and open links count against the cap; expired links do not', async () => {
      const a = await account();
      await link(a);
      await store.createDeviceLink(a, randomBytes(16), NOW + TTL, NOW);
      await store.createDeviceLink(a, randomBytes(16), NOW + TTL, NOW);
      await store.createDeviceLink(a, randomBytes(16), NOW + TTL, NOW);
      // 2 devices + 3 open links = 5.
      await assertCode(store.createDeviceLink(a, randomBytes(16), NOW + TTL, NOW), ErrorCode.DEVICE_LIMIT);
      // Once the three expired, three new ones fit again, and not a fourth.
      for (let i = 0; i < 3; i++) await store.createDeviceLink(a, randomBytes(16), NOW + 2 * TTL, NOW + TTL);
      await assertCode(store.createDeviceLink(a, randomBytes(16), NOW + 2 * TTL, NOW + TTL), ErrorCode.DEVICE_LIMIT);
    });

    test('lists: version 1, then each next one; anything else is stale', async () => {
      const a = await account();
      assert.equal(await store.newestDeviceListVersion(a.username), 0n);
      assert.deepEqual(await store.deviceLists(a.username, 0n, 64), []);
      await assertCode(publish(a.username, 2n, [a]), ErrorCode.STALE_DEVICE_LIST);
      const signed = randomBytes(90);
      assert.deepEqual(
        await store.publishDeviceList({ username: a.username, version: 1n, signed, listed: [{ deviceId: a.deviceId, identityKey: await keyOf(a) }], now: NOW }),
        [],
      );
      assert.deepEqual(await store.deviceLists(a.username, 0n, 64), [{ version: 1n, signed }]);
      await assertCode(publish(a.username, 1n, [a]), ErrorCode.STALE_DEVICE_LIST);
      await assertCode(publish(a.username, 3n, [a]), ErrorCode.STALE_DEVICE_LIST);
      await publish(a.username, 2n, [a]);
      await publish(a.username, 3n, [a]);
      assert.equal(await store.newestDeviceListVersion(a.username), 3n);
      assert.deepEqual((await store.deviceLists(a.username, 0n, 64)).map((l) => l.version), [3n]);
      assert.deepEqual((await store.deviceLists(a.username, 1n, 64)).map((l) => l.version), [2n, 3n]);
      assert.deepEqual((await store.deviceLists(a.username, 1n, 1)).map((l) => l.version), [2n]);
      assert.deepEqual(await store.deviceLists(a.username, 3n, 64), []);
    });

    test('two lists for the same next version at once: exactly one is stored', async () => {
      const a = await account();
      await publish(a.username, 1n, [a]);
      const results = await Promise.allSettled([publish(a.username, 2n, [a]), publish(a.username, 2n, [a]), publish(a.username, 2n, [a])]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      assert.equal(await store.newestDeviceListVersion(a.username), 2n);
    });

    test("a list names only the account's devices, each with its own key", async () => {
      const a = await account();
      const other = await account();
      await assertCode(publish(a.username, 1n, [other]), ErrorCode.INVALID_ARGUMENT);
      await assertCode(
        store.publishDeviceList({ username: a.username, version: 1n, signed: randomBytes(50), listed: [{ deviceId: a.deviceId, identityKey: randomBytes(32) }], now: NOW }),
        ErrorCode.INVALID_ARGUMENT,
      );
      assert.equal(await store.newestDeviceListVersion(a.username), 0n);
      await assertCode(publish('nosuchaccount', 1n, []), ErrorCode.UNKNOWN_ACCOUNT);
    });

    test('a published list lists the new device, and deletes the ones it leaves out with their packages and mail', async () => {
      const a = await account();
      await publish(a.username, 1n, [a]);
      const b = await link(a);
      const c = await link(a);
      await store.addKeyPackages(b.device, [randomBytes(32)], undefined);
      await store.addKeyPackages(c.device, [randomBytes(32)], undefined);
      const removed = await publish(a.username, 2n, [a, b.device]);
      assert.deepEqual(removed, [c.device]);
      assert.equal(await store.isDeviceListed(b.device), true);
      assert.equal(await store.getDevice(c.device), undefined);
      assert.equal(await store.countKeyPackages(c.device), 0);
      assert.deepEqual(await store.readMailbox(c.device, 0n, 10), []);
      assert.deepEqual((await store.listedDevices(a.username)).map((d) => d.deviceId).sort(), [a.deviceId, b.device.deviceId].sort());
      // Removing a listed device too: a, the one that published, stays.
      assert.deepEqual(await publish(a.username, 3n, [a]), [b.device]);
      assert.equal(await store.getDevice(b.device), undefined);
      assert.equal((await store.getAccount(a.username))?.devices, 1);
    });

    test('a removed device leaves its groups: sends still go through and a later commit removing it is applied', async () => {
      const a = await account();
      const peer = await account();
      await contacts(a, peer);
      await publish(a.username, 1n, [a]);
      const b = await link(a);
      await publish(a.username, 2n, [a, b.device]);
      await Promise.all([drain(a), drain(peer)]);
      const groupId = randomBytes(32);
      await store.createGroup({ groupId, epoch: 1n, creator: b.device, members: [a, peer], welcome: mail(b.device, groupId, DeliveryKind.MLS_WELCOME), now: NOW });
      await store.sendToGroup(mail(peer, groupId), NOW);
      await publish(a.username, 3n, [a]);
      assert.deepEqual((await store.getGroup(groupId))?.members.map((m) => m.deviceId).sort(), [a.deviceId, peer.deviceId].sort());
      const sent = await store.sendToGroup(mail(peer, groupId), NOW);
      assert.deepEqual(sent.recipients, [a]);
      const committed = await store.applyCommit({
        groupId,
        epoch: 1n,
        sender: a,
        added: [],
        removed: [b.device],
        commit: mail(a, groupId, DeliveryKind.MLS_COMMIT),
        now: NOW,
      });
      assert.equal(committed.epoch, 2n);
      assert.deepEqual(committed.recipients, [peer]);
      // Its creator gone, the group is still the same group: a new createGroup with its id clashes.
      await assertCode(
        store.createGroup({ groupId, epoch: 1n, creator: a, members: [peer], welcome: mail(a, groupId, DeliveryKind.MLS_WELCOME), now: NOW }),
        ErrorCode.GROUP_EXISTS,
      );
    });

    test('the bundle goes to the linked device once, and only from the link creator', async () => {
      const a = await account();
      await publish(a.username, 1n, [a]);
      const b = await link(a);
      const stranger = await account();
      await assertCode(store.deliverLinkBundle(stranger, b.linkId, request(), NOW), ErrorCode.LINK_INVALID);
      await assertCode(store.deliverLinkBundle(b.device, b.linkId, request(), NOW), ErrorCode.LINK_INVALID);
      await assertCode(store.deliverLinkBundle(a, randomBytes(16), request(), NOW), ErrorCode.LINK_INVALID);
      const open = randomBytes(16);
      await store.createDeviceLink(a, open, NOW + TTL, NOW);
      await assertCode(store.deliverLinkBundle(a, open, request(), NOW), ErrorCode.LINK_INVALID);
      const bundle = request();
      const stored = await store.deliverLinkBundle(a, b.linkId, bundle, NOW);
      assert.deepEqual(stored.recipients, [b.device]);
      await assertCode(store.deliverLinkBundle(a, b.linkId, request(), NOW), ErrorCode.LINK_INVALID);
      const [entry] = await store.readMailbox(b.device, 0n, 10);
      assert.equal(entry?.kind, DeliveryKind.DEVICE_LINK_BUNDLE);
      assert.deepEqual(entry?.sender, a);
      assert.deepEqual(entry?.payload, bundle.payload);
    });

    test('claims: only listed devices, only those named, never the excepted one', async () => {
      const a = await account();
      await publish(a.username, 1n, [a]);
      const b = await link(a);
      const c = await link(a);
      await publish(a.username, 2n, [a, b.device, c.device]);
      for (const d of [a, b.device, c.device]) await store.addKeyPackages(d, [randomBytes(32), randomBytes(32)], randomBytes(32));
      const ids = (claimed: { device: DeviceAddress }[]): string[] => claimed.map((x) => x.device.deviceId).sort();
      assert.deepEqual(ids(await store.claimKeyPackages(a.username)), [a.deviceId, b.device.deviceId, c.device.deviceId].sort());
      assert.deepEqual(ids(await store.claimKeyPackages(a.username, { except: a.deviceId })), [b.device.deviceId, c.device.deviceId].sort());
      assert.deepEqual(ids(await store.claimKeyPackages(a.username, { deviceIds: [c.device.deviceId, 'ffff'] })), [c.device.deviceId]);
      assert.deepEqual(ids(await store.claimKeyPackages(a.username, { deviceIds: [a.deviceId], except: a.deviceId })), []);
      const d = await link(a);
      await store.addKeyPackages(d.device, [randomBytes(32)], undefined);
      assert.deepEqual(ids(await store.claimKeyPackages(a.username, { deviceIds: [d.device.deviceId] })), []);
    });

    test('the sweep deletes unlisted devices an hour after their link expired, and old links', async () => {
      const a = await account();
      await publish(a.username, 1n, [a]);
      const b = await link(a);
      const kept = await link(a, NOW + UNLISTED_DEVICE_GRACE_MS);
      await store.createDeviceLink(a, randomBytes(16), NOW + TTL, NOW);
      await store.expire(0, NOW + TTL + UNLISTED_DEVICE_GRACE_MS + 1);
      assert.equal(await store.getDevice(b.device), undefined);
      assert.ok(await store.getDevice(kept.device));
      assert.ok(await store.getDevice(a));
      assert.equal(await store.linkedDevice(b.linkId), undefined);
      // The expired, unused link is gone as well: a new one fits (a + kept + 3 links = 5).
      for (let i = 0; i < 3; i++) await store.createDeviceLink(a, randomBytes(16), NOW + 3 * TTL + UNLISTED_DEVICE_GRACE_MS, NOW + 2 * TTL + UNLISTED_DEVICE_GRACE_MS);
      // A listed device is never swept.
      await publish(a.username, 2n, [a, kept.device]);
      await store.expire(0, NOW + 100 * UNLISTED_DEVICE_GRACE_MS);
      assert.ok(await store.getDevice(kept.device));
    });
  });
}

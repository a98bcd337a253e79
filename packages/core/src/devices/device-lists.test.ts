import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ed25519 } from '@noble/curves/ed25519.js';
import {
  create, DeviceListSchema, deviceListTranscript, encodeDeviceList, FrameType, ListedDeviceSchema, SignedDeviceListSchema,
  type SignedDeviceList,
} from '@sotto/protocol';
import { ClientEvents, type EngineContext } from '../context.js';
import { MemoryClientStore } from '../memory-store.js';
import type { Session } from '../session.js';
import { SerialQueue } from '../serial-queue.js';
import { DeviceLists, deviceListCrypto, type DeviceListChange } from './device-lists.js';

/** A device of some account: a real Ed25519 key pair. */
function makeDevice(deviceId: string) {
  const secretKey = ed25519.utils.randomSecretKey();
  return { deviceId, secretKey, identityKey: ed25519.getPublicKey(secretKey) };
}
type Device = ReturnType<typeof makeDevice>;

function sign(username: string, version: bigint, devices: Device[], previousHash: Uint8Array, signer: Device): SignedDeviceList {
  const list = encodeDeviceList(create(DeviceListSchema, {
    username, version, previousHash, signedAt: 1n,
    devices: devices.map((d) => create(ListedDeviceSchema, { deviceId: d.deviceId, identityKey: d.identityKey })),
  }));
  return create(SignedDeviceListSchema, { list, signerDeviceId: signer.deviceId, signature: ed25519.sign(deviceListTranscript(list), signer.secretKey) });
}

/** DeviceLists for bob's device, over a server that holds `chains` (what GET_DEVICE_LIST answers). */
function setup(chains: Map<string, SignedDeviceList[]>) {
  const store = new MemoryClientStore();
  const events = new ClientEvents();
  const requests: { type: FrameType; afterVersion?: bigint }[] = [];
  const session = {
    request: async (type: FrameType, body: { username: string; afterVersion: bigint }) => {
      requests.push({ type, afterVersion: body.afterVersion });
      const chain = chains.get(body.username) ?? [];
      const lists = body.afterVersion === 0n ? chain.slice(-1) : chain.slice(Number(body.afterVersion));
      return { case: 'deviceLists', value: { lists } };
    },
  } as unknown as Session;
  const bob = makeDevice('b0b0');
  const clock = { now: () => 1000, setTimeout: () => undefined, clearTimeout: () => undefined };
  const logger = { debug() {}, info() {}, warn() {}, error() {} };
  const ctx = {
    store, session, events, clock, logger, queue: new SerialQueue(),
    identity: { serverUrl: 'http://x', username: 'bob', deviceId: bob.deviceId, publicKey: bob.identityKey, signKey: bob.secretKey, createdAt: 0 },
    random: { bytes: (n: number) => new Uint8Array(n) },
  } as unknown as EngineContext;
  const lists = new DeviceLists(ctx, async (data) => ed25519.sign(data, bob.secretKey));
  const changes: DeviceListChange[] = [];
  const warnings: string[] = [];
  events.didChangeDevices.event((c) => changes.push(c));
  events.didWarnDevices.event((w) => warnings.push(w.reason));
  return { lists, store, changes, warnings, requests };
}

test("a contact's list is trusted on first sight, then only through signed successors; pins follow it", async () => {
  const a1 = makeDevice('a1a1');
  const a2 = makeDevice('a2a2');
  const v1 = sign('alice', 1n, [a1], new Uint8Array(), a1);
  const chains = new Map([['alice', [v1]]]);
  const { lists, store, changes, warnings } = setup(chains);
  const first = await lists.current('alice');
  assert.equal(first?.list.version, 1n);
  assert.deepEqual(changes.map((c) => [c.added, c.firstSight]), [[['a1a1'], true]]);
  const v2 = sign('alice', 2n, [a1, a2], deviceListCrypto.sha256(v1.list), a1);
  await lists.receive('alice', v2);
  assert.equal((await lists.known('alice'))?.list.version, 2n);
  assert.deepEqual(changes.at(-1)?.added, ['a2a2']);
  assert.deepEqual((await store.listPins('alice')).map((p) => p.deviceId).sort(), ['a1a1', 'a2a2']);
  assert.deepEqual(warnings, []);
  assert.equal(await lists.isListed('alice', 'a2a2', a2.identityKey), true);
  assert.equal(await lists.isListed('alice', 'a2a2', a1.identityKey), false, 'a listed id with another key is not listed');
});

test('a ghost device (a version the server made, signed by a device not listed before) is refused and the member warned', async () => {
  const a1 = makeDevice('a1a1');
  const ghost = makeDevice('6666');
  const v1 = sign('alice', 1n, [a1], new Uint8Array(), a1);
  const { lists, store, changes, warnings } = setup(new Map([['alice', [v1]]]));
  await lists.current('alice');
  const forged = sign('alice', 2n, [a1, ghost], deviceListCrypto.sha256(v1.list), ghost);
  const after = await lists.receive('alice', forged);
  assert.equal(after?.list.version, 1n, 'the trusted list stays version 1');
  assert.equal(await lists.isListed('alice', '6666'), false);
  assert.match(warnings.join('\n'), /not listed before/);
  assert.equal(changes.length, 1, 'no change announced for the forgery');
  assert.deepEqual((await store.listPins('alice')).map((p) => p.deviceId), ['a1a1'], 'no pin for the ghost');
});

test('an old version replayed changes nothing; a gap fetches the versions in between and checks each', async () => {
  const a1 = makeDevice('a1a1');
  const a2 = makeDevice('a2a2');
  const a3 = makeDevice('a3a3');
  const v1 = sign('alice', 1n, [a1], new Uint8Array(), a1);
  const v2 = sign('alice', 2n, [a1, a2], deviceListCrypto.sha256(v1.list), a1);
  const v3 = sign('alice', 3n, [a1, a2, a3], deviceListCrypto.sha256(v2.list), a2);
  const chains = new Map([['alice', [v1]]]);
  const { lists, requests } = setup(chains);
  await lists.current('alice');
  chains.set('alice', [v1, v2, v3]);
  const now = await lists.receive('alice', v3);
  assert.equal(now?.list.version, 3n);
  assert.equal(requests.at(-1)?.afterVersion, 1n, 'fetched what came after version 1');
  const replay = await lists.receive('alice', v1);
  assert.equal(replay?.list.version, 3n, 'version 1 again is ignored');
});

test("another account's list handed out under this name is refused", async () => {
  const m1 = makeDevice('d1d1');
  const mallory = sign('mallory', 1n, [m1], new Uint8Array(), m1);
  const { lists, warnings } = setup(new Map([['alice', [mallory]]]));
  assert.equal(await lists.current('alice'), undefined);
  assert.match(warnings.join('\n'), /another account/);
});

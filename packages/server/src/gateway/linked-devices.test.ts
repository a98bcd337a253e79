/** @module gateway/linked-devices.test */
// Linked devices end to end over the in-memory server with WireClient: a device link used by a
// new device, the signed device list published and fanned out, claims of listed devices only,
// the bundle routed once from the link's creator, a device removed; and every bad input the
// server refuses (codes unknown, expired, reused; a sixth device; stale, forged and oversized
// lists). Lists are signed by hand with Ed25519 from node:crypto and protocol's encoder.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  authTranscript,
  ContactAction,
  create,
  DeliveryKind,
  DeviceLinkRequestSchema,
  DeviceListSchema,
  deviceListTranscript,
  encodeDeviceList,
  ErrorCode,
  FrameType,
  fromBinary,
  LIMITS,
  ListedDeviceSchema,
  PROTOCOL_VERSION,
  SignedDeviceListSchema,
  SOFTWARE_VERSION,
  toBinary,
  type HelloOk,
  type SignedDeviceList,
} from '@sotto/protocol';
import { CloseCode } from './close-codes.js';
import { errorOf, makeIdentity, resultOf, WireClient, type WireIdentity } from './wire-client.js';
import { startInMemoryServer, type InMemoryServer } from '../in-memory-server.js';

interface Device {
  readonly client: WireClient;
  readonly username: string;
  readonly deviceId: string;
  readonly identity: WireIdentity;
}

const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(bytes).digest());
const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

/** A list of `devices`, version `version`, following `previous` (its list bytes), signed by `signer`. */
function signList(signer: Device, username: string, version: bigint, devices: readonly Device[], previous?: SignedDeviceList, signedAt = 1n): SignedDeviceList {
  const list = encodeDeviceList(
    create(DeviceListSchema, {
      username,
      version,
      devices: devices.map((d) => create(ListedDeviceSchema, { deviceId: d.deviceId, identityKey: d.identity.publicKey })),
      previousHash: previous ? sha256(previous.list) : new Uint8Array(),
      signedAt,
    }),
  );
  return create(SignedDeviceListSchema, { list, signerDeviceId: signer.deviceId, signature: signer.identity.sign(deviceListTranscript(list)) });
}

describe('linked devices over the in-memory server', () => {
  let server: InMemoryServer;
  let clock = Date.now();
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

  async function register(prefix = 'm'): Promise<Device> {
    const client = await connect();
    const identity = makeIdentity();
    const username = `${prefix}${(names += 1)}`;
    const ok = await client.register(username, identity);
    return { client, username, deviceId: ok.deviceId, identity };
  }

  /** Registers an account and publishes its version 1. */
  async function listed(prefix = 'm'): Promise<{ device: Device; v1: SignedDeviceList }> {
    const device = await register(prefix);
    const v1 = signList(device, device.username, 1n, [device]);
    resultOf(await device.client.request(FrameType.PUBLISH_DEVICE_LIST, { list: v1 }), 'ok');
    await takeKind(device.client, DeliveryKind.DEVICE_LIST);
    return { device, v1 };
  }

  async function befriend(a: Device, b: Device): Promise<void> {
    resultOf(await a.client.request(FrameType.CONTACT_REQUEST, { toUsername: b.username, text: 'hi' }), 'ok');
    b.client.ack([(await b.client.nextDelivery()).seq]);
    resultOf(await b.client.request(FrameType.CONTACT_RESPOND, { username: a.username, action: ContactAction.ACCEPT }), 'ok');
    a.client.ack([(await a.client.nextDelivery()).seq]);
  }

  /** The next delivery, which must be of `kind`; acknowledged. */
  async function takeKind(client: WireClient, kind: DeliveryKind): Promise<Uint8Array> {
    const delivery = await client.nextDelivery();
    assert.equal(DeliveryKind[delivery.kind], DeliveryKind[kind]);
    client.ack([delivery.seq]);
    return delivery.payload;
  }

  async function createLink(creator: Device): Promise<Uint8Array> {
    return resultOf(await creator.client.request(FrameType.CREATE_DEVICE_LINK, {}), 'deviceLink').linkId;
  }

  function linkHello(client: WireClient, linkId: Uint8Array, identity: WireIdentity, sealed = random(48)) {
    return client.hello({
      protocolVersion: PROTOCOL_VERSION,
      clientVersion: SOFTWARE_VERSION,
      auth: { case: 'link', value: { linkId, identityKey: identity.publicKey, sealed } },
      signature: identity.sign(authTranscript(client.challenge.nonce, '', Buffer.from(linkId).toString('hex'))),
    });
  }

  /** A new device joins `creator`'s account through a fresh link. */
  async function join(creator: Device): Promise<{ device: Device; hello: HelloOk; linkId: Uint8Array }> {
    const linkId = await createLink(creator);
    const client = await connect();
    const identity = makeIdentity();
    const hello = resultOf(await linkHello(client, linkId, identity), 'hello');
    await takeKind(creator.client, DeliveryKind.DEVICE_LINK_REQUEST);
    return { device: { client, username: hello.username, deviceId: hello.deviceId, identity }, hello, linkId };
  }

  async function claimIds(claimer: Device, username: string, deviceIds: string[] = []): Promise<string[]> {
    const ok = resultOf(await claimer.client.request(FrameType.CLAIM_KEY_PACKAGES, { username, deviceIds }), 'claimKeyPackages');
    return ok.packages.map((p) => p.deviceId).sort();
  }

  async function upload(device: Device): Promise<void> {
    resultOf(await device.client.request(FrameType.UPLOAD_KEY_PACKAGES, { keyPackages: [random(100), random(100)], lastResort: random(100) }), 'uploadKeyPackages');
  }

  test('a full link: request to the creator, the list to every device and contact, then claimable', async () => {
    const { device: a, v1 } = await listed('alice');
    const { device: c } = await listed('carol');
    await befriend(c, a);
    const linkId = await createLink(a);
    assert.equal(linkId.byteLength, LIMITS.deviceLinkIdBytes);

    const bClient = await connect();
    const bIdentity = makeIdentity();
    const sealed = random(64);
    const hello = resultOf(await linkHello(bClient, linkId, bIdentity, sealed), 'hello');
    assert.equal(hello.username, a.username);
    assert.equal(hello.linking, true);
    assert.equal(hello.deviceListVersion, 1n);
    const b: Device = { client: bClient, username: a.username, deviceId: hello.deviceId, identity: bIdentity };

    const delivery = await a.client.nextDelivery();
    a.client.ack([delivery.seq]);
    assert.equal(delivery.kind, DeliveryKind.DEVICE_LINK_REQUEST);
    assert.equal(delivery.senderDeviceId, b.deviceId);
    const request = fromBinary(DeviceLinkRequestSchema, delivery.payload);
    assert.deepEqual([request.linkId, request.deviceId, request.identityKey, request.sealed], [linkId, b.deviceId, bIdentity.publicKey, sealed]);

    await upload(a);
    await upload(b);
    assert.deepEqual(await claimIds(c, a.username), [a.deviceId], 'a device being linked is not claimable');
    assert.deepEqual(await claimIds(a, a.username, [b.deviceId]), [], 'not even by its own account');

    const v2 = signList(a, a.username, 2n, [a, b], v1);
    resultOf(await a.client.request(FrameType.PUBLISH_DEVICE_LIST, { list: v2 }), 'ok');
    for (const device of [a, b, c]) {
      const payload = await takeKind(device.client, DeliveryKind.DEVICE_LIST);
      assert.deepEqual(payload, toBinary(SignedDeviceListSchema, v2));
    }

    const again = await connect();
    const relogin = await again.login(b.username, b.deviceId, b.identity);
    assert.equal(relogin.linking, false);
    assert.equal(relogin.deviceListVersion, 2n);
    assert.deepEqual(await claimIds(c, a.username), [a.deviceId, b.deviceId].sort());
    assert.deepEqual(await claimIds(a, a.username), [b.deviceId], "a claim of one's own account never names the claimer");
    assert.deepEqual(await claimIds(a, a.username, [a.deviceId]), [], 'not even when it names itself');
    assert.deepEqual(await claimIds(c, a.username, [b.deviceId]), [b.deviceId], 'only the devices named');
    const six = ['1', '2', '3', '4', '5', '6'].map((n) => n.repeat(16));
    errorOf(await c.client.request(FrameType.CLAIM_KEY_PACKAGES, { username: a.username, deviceIds: six }), ErrorCode.INVALID_ARGUMENT);

    const chain = resultOf(await c.client.request(FrameType.GET_DEVICE_LIST, { username: a.username, afterVersion: 1n }), 'deviceLists');
    assert.deepEqual(chain.lists.map((l) => toBinary(SignedDeviceListSchema, l)), [toBinary(SignedDeviceListSchema, v2)]);
    const newest = resultOf(await a.client.request(FrameType.GET_DEVICE_LIST, { username: a.username, afterVersion: 0n }), 'deviceLists');
    assert.equal(newest.lists.length, 1);
    const stranger = await register('stranger');
    errorOf(await stranger.client.request(FrameType.GET_DEVICE_LIST, { username: a.username, afterVersion: 0n }), ErrorCode.NOT_A_CONTACT);
    assert.equal(resultOf(await stranger.client.request(FrameType.GET_DEVICE_LIST, { username: stranger.username, afterVersion: 0n }), 'deviceLists').lists.length, 0);

    // The bundle: from the creator only, once.
    errorOf(await again.request(FrameType.SEND_LINK_BUNDLE, { linkId, sealed: random(100) }), ErrorCode.LINK_INVALID);
    const bundle = random(1000);
    resultOf(await a.client.request(FrameType.SEND_LINK_BUNDLE, { linkId, sealed: bundle }), 'ok');
    errorOf(await a.client.request(FrameType.SEND_LINK_BUNDLE, { linkId, sealed: random(100) }), ErrorCode.LINK_INVALID);
    // The new connection may first get the list again: the older one's ack can still be on its way.
    let got = await again.nextDelivery();
    while (got.kind === DeliveryKind.DEVICE_LIST) got = await again.nextDelivery();
    assert.equal(got.kind, DeliveryKind.DEVICE_LINK_BUNDLE);
    assert.deepEqual(got.payload, bundle);
    errorOf(await a.client.request(FrameType.SEND_LINK_BUNDLE, { linkId, sealed: random(LIMITS.linkBundleSealedMaxBytes + 1) }), ErrorCode.INVALID_ARGUMENT);
  });

  test('link codes: unknown, reused and expired alike are LINK_INVALID; bad proofs and sizes refused first', async () => {
    const { device: a } = await listed('codes');
    errorOf(await linkHello(await connect(), random(16), makeIdentity()), ErrorCode.LINK_INVALID);
    const { linkId } = await join(a);
    errorOf(await linkHello(await connect(), linkId, makeIdentity()), ErrorCode.LINK_INVALID);
    const late = await createLink(a);
    clock += LIMITS.deviceLinkTtlMs + 1;
    try {
      errorOf(await linkHello(await connect(), late, makeIdentity()), ErrorCode.LINK_INVALID);
    } finally {
      clock -= LIMITS.deviceLinkTtlMs + 1;
    }
    const fresh = await createLink(a);
    errorOf(await linkHello(await connect(), random(15), makeIdentity()), ErrorCode.INVALID_ARGUMENT);
    errorOf(await linkHello(await connect(), fresh, makeIdentity(), random(LIMITS.linkRequestSealedMaxBytes + 1)), ErrorCode.INVALID_ARGUMENT);
    const client = await connect();
    const identity = makeIdentity();
    const forged = await client.hello({
      protocolVersion: PROTOCOL_VERSION,
      clientVersion: SOFTWARE_VERSION,
      auth: { case: 'link', value: { linkId: fresh, identityKey: identity.publicKey, sealed: random(10) } },
      signature: makeIdentity().sign(authTranscript(client.challenge.nonce, '', Buffer.from(fresh).toString('hex'))),
    });
    errorOf(forged, ErrorCode.BAD_SIGNATURE);
    // None of these used the fresh link up.
    resultOf(await linkHello(await connect(), fresh, makeIdentity()), 'hello');
  });

  test('the sixth device is refused: devices and open links count', async () => {
    const { device: a } = await listed('many');
    await join(a);
    await createLink(a);
    await createLink(a);
    await createLink(a);
    errorOf(await a.client.request(FrameType.CREATE_DEVICE_LINK, {}), ErrorCode.DEVICE_LIMIT);
  });

  test('lists that do not follow, are forged, or too large are refused, and nothing changes', async () => {
    const { device: a, v1 } = await listed('lists');
    const { device: b } = await join(a);
    const other = await listed('other');
    const publish = (by: Device, list: SignedDeviceList) => by.client.request(FrameType.PUBLISH_DEVICE_LIST, { list });
    errorOf(await publish(a, signList(a, a.username, 1n, [a])), ErrorCode.STALE_DEVICE_LIST);
    errorOf(await publish(a, signList(a, a.username, 3n, [a, b], v1)), ErrorCode.STALE_DEVICE_LIST);
    errorOf(await publish(a, signList(a, a.username, 2n, [a, b], signList(a, a.username, 1n, [a], undefined, 2n))), ErrorCode.STALE_DEVICE_LIST);
    // Signed by a device that is not in version 1 (the new one vouching for itself), whoever sends it.
    errorOf(await publish(a, signList(b, a.username, 2n, [a, b], v1)), ErrorCode.INVALID_ARGUMENT);
    errorOf(await publish(b, signList(b, a.username, 2n, [a, b], v1)), ErrorCode.INVALID_ARGUMENT);
    // Another account's device, with a list for this account or for its own naming this account's device.
    errorOf(await publish(other.device, signList(a, a.username, 2n, [a, b], v1)), ErrorCode.INVALID_ARGUMENT);
    errorOf(await publish(other.device, signList(other.device, other.device.username, 2n, [other.device, b], other.v1)), ErrorCode.INVALID_ARGUMENT);
    // A bad signature, and a list with no device (the last device cannot be removed).
    const tampered = signList(a, a.username, 2n, [a, b], v1);
    tampered.signature = a.identity.sign(new Uint8Array([1]));
    errorOf(await publish(a, tampered), ErrorCode.BAD_SIGNATURE);
    errorOf(await publish(a, signList(a, a.username, 2n, [], v1)), ErrorCode.INVALID_ARGUMENT);
    // Oversized: list bytes over LIMITS.deviceListMaxBytes (built by hand, since the encoder refuses them).
    const big = toBinary(DeviceListSchema, create(DeviceListSchema, { username: a.username, version: 2n, previousHash: sha256(v1.list), devices: [], signedAt: 1n }));
    const padded = new Uint8Array(LIMITS.deviceListMaxBytes + 10);
    padded.set(big);
    errorOf(await publish(a, create(SignedDeviceListSchema, { list: padded, signerDeviceId: a.deviceId, signature: a.identity.sign(deviceListTranscript(padded)) })), ErrorCode.INVALID_ARGUMENT);
    errorOf(await a.client.request(FrameType.PUBLISH_DEVICE_LIST, {}), ErrorCode.INVALID_ARGUMENT);
    const newest = resultOf(await a.client.request(FrameType.GET_DEVICE_LIST, { username: a.username, afterVersion: 0n }), 'deviceLists');
    assert.deepEqual(newest.lists.map((l) => toBinary(SignedDeviceListSchema, l)), [toBinary(SignedDeviceListSchema, v1)]);
  });

  test('a removed device is closed, refused at login and no longer claimable', async () => {
    const { device: a, v1 } = await listed('remover');
    const { device: c } = await listed('friend');
    await befriend(c, a);
    const { device: b } = await join(a);
    const v2 = signList(a, a.username, 2n, [a, b], v1);
    resultOf(await a.client.request(FrameType.PUBLISH_DEVICE_LIST, { list: v2 }), 'ok');
    await takeKind(b.client, DeliveryKind.DEVICE_LIST);
    await takeKind(a.client, DeliveryKind.DEVICE_LIST);
    await takeKind(c.client, DeliveryKind.DEVICE_LIST);
    await upload(a);
    await upload(b);
    const v3 = signList(b, a.username, 3n, [a], v2);
    // Signed by b (any listed device may sign the next version), sent by a.
    resultOf(await a.client.request(FrameType.PUBLISH_DEVICE_LIST, { list: v3 }), 'ok');
    assert.equal((await b.client.closed).code, CloseCode.DEVICE_REMOVED);
    const retry = await connect();
    errorOf(await retry.hello(retry.loginHello(b.username, b.deviceId, b.identity)), ErrorCode.UNKNOWN_DEVICE);
    assert.deepEqual(await claimIds(c, a.username), [a.deviceId]);
    assert.deepEqual(await takeKind(c.client, DeliveryKind.DEVICE_LIST), toBinary(SignedDeviceListSchema, v3));
    assert.deepEqual(await takeKind(a.client, DeliveryKind.DEVICE_LIST), toBinary(SignedDeviceListSchema, v3));
  });
});

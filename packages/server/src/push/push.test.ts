/** @module push/push.test */
// Web Push end to end over the in-memory server with WireClient, to a local push receiver on
// 127.0.0.1 (push-receiver.ts): the browser vendors' push services cannot be reached from here, so
// the receiver checks what they and the browser would (the VAPID JWT, the RFC 8291 encryption).
// The server's clock is the test's, moved by hand for the 30-second pacing; waits are for events
// (a push answered, a connection gone), never for time.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  authTranscript,
  ContactAction,
  create,
  DeliveryKind,
  DeviceListSchema,
  deviceListTranscript,
  encodeDeviceList,
  ErrorCode,
  FrameType,
  ListedDeviceSchema,
  NoticeKind,
  PROTOCOL_VERSION,
  SignedDeviceListSchema,
  SOFTWARE_VERSION,
  type HelloOk,
  type SignedDeviceList,
} from '@sotto/protocol';
import { startInMemoryServer, type InMemoryServer } from '../in-memory-server.js';
import { errorOf, makeIdentity, resultOf, WireClient } from '../gateway/wire-client.js';
import { PUSH_PACING, PUSH_PAYLOAD, PUSH_TTL_SECONDS } from './push-service.js';
import { decryptPush, PushReceiver, verifyVapid, type TestSubscription } from './push-receiver.js';

const bytes = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());
const SUBJECT = 'mailto:ops@example.org';

interface Member {
  client: WireClient;
  username: string;
  deviceId: string;
  hello: HelloOk;
  identity: ReturnType<typeof makeIdentity>;
}

describe('Web Push over the in-memory server, to a local receiver', () => {
  let server: InMemoryServer;
  let receiver: PushReceiver;
  let clock = 1_800_000_000_000;
  const clients: WireClient[] = [];
  let names = 0;

  before(async () => {
    receiver = await PushReceiver.start();
    server = startInMemoryServer({ config: { rateLimits: false, pushSubject: SUBJECT, pushAllowLoopback: true }, now: () => clock });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
    await receiver.close();
  });

  async function connect(on: InMemoryServer = server): Promise<WireClient> {
    const client = await WireClient.connectOver(on.transport, on.url);
    clients.push(client);
    return client;
  }

  async function member(prefix: string, on: InMemoryServer = server): Promise<Member> {
    const client = await connect(on);
    const identity = makeIdentity();
    const username = `${prefix}${(names += 1)}`;
    const hello = await client.register(username, identity);
    await client.nextNotice(NoticeKind.MAILBOX_DRAINED);
    return { client, username, deviceId: hello.deviceId, hello, identity };
  }

  async function take(m: Member, kind: DeliveryKind): Promise<void> {
    const delivery = await m.client.nextDelivery();
    assert.equal(DeliveryKind[delivery.kind], DeliveryKind[kind]);
    m.client.ack([delivery.seq]);
  }

  /** Two contacts in a 1:1 group made by `a`; both mailboxes empty. */
  async function pair(a: Member, b: Member): Promise<Uint8Array> {
    resultOf(await a.client.request(FrameType.CONTACT_REQUEST, { toUsername: b.username, text: 'hi' }), 'ok');
    await take(b, DeliveryKind.CONTACT_REQUEST);
    resultOf(await b.client.request(FrameType.CONTACT_RESPOND, { username: a.username, action: ContactAction.ACCEPT }), 'ok');
    await take(a, DeliveryKind.CONTACT_ACCEPTED);
    const groupId = bytes(32);
    resultOf(await a.client.request(FrameType.CREATE_GROUP, { groupId, epoch: 1n, members: [{ username: b.username, deviceId: b.deviceId }], welcome: bytes(100) }), 'ok');
    await take(b, DeliveryKind.MLS_WELCOME);
    return groupId;
  }

  async function subscribe(m: Member, subscription: TestSubscription): Promise<void> {
    resultOf(await m.client.request(FrameType.SET_PUSH_SUBSCRIPTION, { endpoint: subscription.endpoint, p256dh: subscription.p256dh, auth: subscription.auth }), 'ok');
  }

  /** Closes the member's connection and waits until the server has let go of it. */
  async function goOffline(m: Member): Promise<void> {
    const before = server.connections;
    await m.client.close();
    for (let turns = 0; server.connections >= before; turns += 1) {
      if (turns > 10_000) assert.fail('the server kept the closed connection');
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async function send(from: Member, groupId: Uint8Array, ring = false): Promise<void> {
    resultOf(await from.client.request(FrameType.SEND, { groupId, messageId: bytes(16), payload: bytes(50), ring }), 'send');
    await server.pushesSettled();
  }

  /** The checks a push service and the browser make; returns the decrypted payload. */
  function check(push: { headers: Record<string, string | string[] | undefined>; body: Buffer }, subscription: TestSubscription, hello: HelloOk): string {
    const claims = verifyVapid(push.headers.authorization as string | undefined);
    assert.deepEqual(claims.key, hello.vapidPublicKey, 'k= is the key the hello handed out');
    assert.equal(claims.aud, receiver.origin, 'aud is the push service origin');
    assert.equal(claims.sub, SUBJECT);
    const left = claims.exp - Date.now() / 1000;
    assert.ok(left > 0 && left <= 24 * 3600, `exp within 24 h, not ${left} s`);
    assert.equal(push.headers['content-encoding'], 'aes128gcm');
    assert.equal(push.headers.ttl, String(PUSH_TTL_SECONDS));
    return decryptPush(push.body, subscription);
  }

  test('the hello hands out one 65-byte VAPID public key, the same at every hello', async () => {
    const a = await member('key');
    assert.equal(a.hello.vapidPublicKey.length, 65);
    assert.equal(a.hello.vapidPublicKey[0], 0x04);
    const again = await connect();
    const hello = await again.login(a.username, a.deviceId, a.identity);
    assert.deepEqual(hello.vapidPublicKey, a.hello.vapidPublicKey);
  });

  test('a device that is not connected gets one push carrying exactly {"v":1}; more mail within 30 s gets none', async () => {
    const alice = await member('alice');
    const bob = await member('bob');
    const groupId = await pair(alice, bob);
    const sub = receiver.subscription(bob.username);
    await subscribe(bob, sub);
    await goOffline(bob);
    await send(alice, groupId);
    const pushes = receiver.to(sub);
    assert.equal(pushes.length, 1);
    assert.equal(check(pushes[0]!, sub, bob.hello), PUSH_PAYLOAD);
    assert.equal(PUSH_PAYLOAD, '{"v":1}');
    assert.equal(pushes[0]!.headers.urgency, 'normal');

    clock += PUSH_PACING.minGapMs - 1;
    await send(alice, groupId);
    assert.equal(receiver.to(sub).length, 1, 'coalesced: the first push covers mail within 30 s');
    clock += 1;
    await send(alice, groupId);
    assert.equal(receiver.to(sub).length, 2, '30 s later, the next mail wakes it again');
  });

  test('a ring wakes an offline device with high urgency', async () => {
    const alice = await member('caller');
    const bob = await member('callee');
    const groupId = await pair(alice, bob);
    const sub = receiver.subscription(bob.username);
    await subscribe(bob, sub);
    await goOffline(bob);
    await send(alice, groupId, true);
    const pushes = receiver.to(sub);
    assert.equal(pushes.length, 1);
    assert.equal(pushes[0]!.headers.urgency, 'high');
    assert.equal(check(pushes[0]!, sub, bob.hello), '{"v":1}');
  });

  test('quiet mail (a typing indicator) is stored and delivered but wakes nobody; the next message does', async () => {
    const alice = await member('typist');
    const bob = await member('reader');
    const groupId = await pair(alice, bob);
    const sub = receiver.subscription(bob.username);
    await subscribe(bob, sub);
    await goOffline(bob);
    const quiet = resultOf(await alice.client.request(FrameType.SEND, { groupId, messageId: bytes(16), payload: bytes(50), quiet: true, expiresAt: BigInt(clock + 15_000) }), 'send');
    assert.equal(quiet.recipients, 1, 'stored for the offline device like any message');
    await server.pushesSettled();
    assert.equal(receiver.to(sub).length, 0, 'no push for quiet mail');
    await send(alice, groupId);
    assert.equal(receiver.to(sub).length, 1, 'the next real message wakes it');
  });

  test("a stranger's contact or call request wakes nobody; the contact's acceptance does", async () => {
    const bob = await member('asked');
    const sub = receiver.subscription(bob.username);
    await subscribe(bob, sub);
    const bobAgain = { ...bob, client: await connect() };
    await goOffline(bob);
    const stranger = await member('stranger');
    resultOf(await stranger.client.request(FrameType.CONTACT_REQUEST, { toUsername: bob.username, text: 'hello' }), 'ok');
    const caller = await member('cold');
    resultOf(await caller.client.request(FrameType.CONTACT_REQUEST, { toUsername: bob.username, text: '', call: true }), 'ok');
    await server.pushesSettled();
    assert.equal(receiver.to(sub).length, 0, 'no push for requests');
    // Both requests are in the mailbox all the same: the member sees them when they open the app.
    await bobAgain.client.login(bob.username, bob.deviceId, bob.identity);
    await take(bobAgain, DeliveryKind.CONTACT_REQUEST);
    await take(bobAgain, DeliveryKind.CALL_REQUEST);
    // The stranger (offline, subscribed) is woken when the member accepts: they asked for this answer.
    const strangerSub = receiver.subscription(stranger.username);
    await subscribe(stranger, strangerSub);
    await goOffline(stranger);
    resultOf(await bobAgain.client.request(FrameType.CONTACT_RESPOND, { username: stranger.username, action: ContactAction.ACCEPT }), 'ok');
    await server.pushesSettled();
    assert.equal(receiver.to(strangerSub).length, 1);
  });

  test('a blocked sender never wakes the member who blocked them; their mail is still kept', async () => {
    const mallory = await member('blocked');
    const bob = await member('blocker');
    const groupId = await pair(mallory, bob);
    resultOf(await bob.client.request(FrameType.CONTACT_RESPOND, { username: mallory.username, action: ContactAction.BLOCK }), 'ok');
    const sub = receiver.subscription(bob.username);
    await subscribe(bob, sub);
    await goOffline(bob);
    await send(mallory, groupId);
    await send(mallory, groupId, true);
    assert.equal(receiver.to(sub).length, 0, 'no push for a blocked sender, message or ring');
    const mail = await server.store.readMailbox(bob, 0n, 10);
    assert.equal(mail.length, 2, 'the mail itself is kept; the client decides what to show');
  });

  test('a connected device gets no push: the mail reaches it over its connection', async () => {
    const alice = await member('sender');
    const carol = await member('online');
    const groupId = await pair(alice, carol);
    const sub = receiver.subscription(carol.username);
    await subscribe(carol, sub);
    await send(alice, groupId);
    await take(carol, DeliveryKind.MLS_MESSAGE);
    assert.equal(receiver.to(sub).length, 0);
  });

  test('a device that unsubscribed (empty endpoint) gets no push', async () => {
    const alice = await member('from');
    const erin = await member('quiet');
    const groupId = await pair(alice, erin);
    const sub = receiver.subscription(erin.username);
    await subscribe(erin, sub);
    resultOf(await erin.client.request(FrameType.SET_PUSH_SUBSCRIPTION, { endpoint: '' }), 'ok');
    assert.equal(await server.store.getPushSubscription(erin), undefined);
    await goOffline(erin);
    await send(alice, groupId);
    assert.equal(receiver.to(sub).length, 0);
  });

  test('a device removed from its account takes its subscription with it', async () => {
    const a = await member('owner');
    type Listed = { deviceId: string; identityKey: Uint8Array };
    const first: Listed = { deviceId: a.deviceId, identityKey: a.identity.publicKey };
    const sign = (version: bigint, devices: Listed[], previous?: SignedDeviceList): SignedDeviceList => {
      const list = encodeDeviceList(
        create(DeviceListSchema, {
          username: a.username,
          version,
          devices: devices.map((d) => create(ListedDeviceSchema, d)).sort((x, y) => (x.deviceId < y.deviceId ? -1 : 1)),
          previousHash: previous ? sha256(previous.list) : new Uint8Array(),
          signedAt: 1n,
        }),
      );
      return create(SignedDeviceListSchema, { list, signerDeviceId: a.deviceId, signature: a.identity.sign(deviceListTranscript(list)) });
    };
    const v1 = sign(1n, [first]);
    resultOf(await a.client.request(FrameType.PUBLISH_DEVICE_LIST, { list: v1 }), 'ok');
    await take(a, DeliveryKind.DEVICE_LIST);
    const linkId = resultOf(await a.client.request(FrameType.CREATE_DEVICE_LINK, {}), 'deviceLink').linkId;
    const other = await connect();
    const identity = makeIdentity();
    const hello = resultOf(
      await other.hello({
        protocolVersion: PROTOCOL_VERSION,
        clientVersion: SOFTWARE_VERSION,
        auth: { case: 'link', value: { linkId, identityKey: identity.publicKey, sealed: bytes(48) } },
        signature: identity.sign(authTranscript(other.challenge.nonce, '', Buffer.from(linkId).toString('hex'))),
      }),
      'hello',
    );
    const linked = { username: hello.username, deviceId: hello.deviceId };
    const sub = receiver.subscription(`linked-${hello.deviceId}`);
    resultOf(await other.request(FrameType.SET_PUSH_SUBSCRIPTION, { endpoint: sub.endpoint, p256dh: sub.p256dh, auth: sub.auth }), 'ok');
    assert.equal((await server.store.getPushSubscription(linked))?.endpoint, sub.endpoint);
    const v2 = sign(2n, [first, { deviceId: hello.deviceId, identityKey: identity.publicKey }], v1);
    resultOf(await a.client.request(FrameType.PUBLISH_DEVICE_LIST, { list: v2 }), 'ok');
    assert.ok(await server.store.getPushSubscription(linked), 'listing the device keeps its subscription');
    // Version 3 lists only the first device: the linked one is removed with everything it had.
    resultOf(await a.client.request(FrameType.PUBLISH_DEVICE_LIST, { list: sign(3n, [first], v2) }), 'ok');
    assert.equal(await server.store.getPushSubscription(linked), undefined);
    assert.ok(await server.store.getDevice(a) !== undefined);
  });

  test('a push service answering 410 Gone has the subscription deleted, and counted', async () => {
    const alice = await member('gone-from');
    const dave = await member('gone');
    const groupId = await pair(alice, dave);
    const sub = receiver.subscription(dave.username);
    receiver.statusByPath.set(new URL(sub.endpoint).pathname, 410);
    await subscribe(dave, sub);
    await goOffline(dave);
    await send(alice, groupId);
    assert.equal(receiver.to(sub).length, 1);
    assert.equal(await server.store.getPushSubscription(dave), undefined, 'the subscription was deleted');
    const metric = await server.metrics.registry.getSingleMetric('sotto_push_total')!.get();
    assert.ok(metric.values.some((v) => v.labels.result === 'gone' && v.value >= 1), JSON.stringify(metric.values));
    clock += PUSH_PACING.minGapMs;
    await send(alice, groupId);
    assert.equal(receiver.to(sub).length, 1, 'nothing more is sent to it');
  });

  test('a subscription is refused with a clear INVALID_ARGUMENT when its keys have the wrong shape', async () => {
    const m = await member('keys');
    const sub = receiver.subscription(m.username);
    const cases: [Partial<{ endpoint: string; p256dh: Uint8Array; auth: Uint8Array }>, RegExp][] = [
      [{ p256dh: sub.p256dh.subarray(0, 64) }, /p256dh must be 65 bytes/],
      [{ p256dh: new Uint8Array([0x02, ...sub.p256dh.subarray(1)]) }, /starting 0x04/],
      [{ auth: bytes(15) }, /auth must be 16 bytes/],
      [{ auth: bytes(17) }, /auth must be 16 bytes/],
      [{ endpoint: `${receiver.origin}/${'x'.repeat(1024)}` }, /at most 1024 characters/],
      [{ endpoint: 'not a url' }, /absolute https:\/\/ URL/],
      [{ endpoint: 'http://10.0.0.1/push' }, /must be an https:\/\/ URL/],
    ];
    for (const [change, message] of cases) {
      const response = await m.client.request(FrameType.SET_PUSH_SUBSCRIPTION, { endpoint: sub.endpoint, p256dh: sub.p256dh, auth: sub.auth, ...change });
      assert.match(errorOf(response, ErrorCode.INVALID_ARGUMENT).message, message);
    }
    assert.equal(await server.store.getPushSubscription(m), undefined, 'nothing was kept');
  });

  test('without the loopback flag only https endpoints of allow-listed push services are taken', async () => {
    const strict = startInMemoryServer({ config: { rateLimits: false, operatorContact: 'ops@example.org' } });
    try {
      const m = await member('strict', strict);
      assert.equal(m.hello.vapidPublicKey.length, 65, 'an email operator contact is subject enough');
      const keys = { p256dh: new Uint8Array([4, ...bytes(64)]), auth: bytes(16) };
      const refused: [string, RegExp][] = [
        [receiver.subscription('x').endpoint, /must be an https:\/\/ URL/],
        ['https://127.0.0.1/push', /127\.0\.0\.1 is not a push service/],
        ['https://evil.example/push', /evil\.example is not a push service this server sends to; the operator allows fcm\.googleapis\.com/],
        ['https://push.services.mozilla.com.evil.example/x', /is not a push service/],
        ['https://fcm.googleapis.com:8443/fcm/send/x', /default https port/],
        ['https://user:pw@fcm.googleapis.com/fcm/send/x', /user name, password/],
      ];
      for (const [endpoint, message] of refused) {
        assert.match(errorOf(await m.client.request(FrameType.SET_PUSH_SUBSCRIPTION, { endpoint, ...keys }), ErrorCode.INVALID_ARGUMENT).message, message, endpoint);
      }
      for (const endpoint of ['https://fcm.googleapis.com/fcm/send/abc', 'https://updates.push.services.mozilla.com/wpush/v2/abc', 'https://web.push.apple.com/abc', 'https://wns2-par02p.notify.windows.com/w/?token=abc']) {
        resultOf(await m.client.request(FrameType.SET_PUSH_SUBSCRIPTION, { endpoint, ...keys }), 'ok');
        assert.equal((await strict.store.getPushSubscription(m))?.endpoint, endpoint);
      }
    } finally {
      await strict.close();
    }
  });

  test('with no subject push is off: no key in the hello, subscriptions refused, unsubscribing harmless', async () => {
    const off = startInMemoryServer({ config: { rateLimits: false } });
    try {
      const m = await member('nopush', off);
      assert.equal(m.hello.vapidPublicKey.length, 0);
      const sub = receiver.subscription(m.username);
      const response = await m.client.request(FrameType.SET_PUSH_SUBSCRIPTION, { endpoint: sub.endpoint, p256dh: sub.p256dh, auth: sub.auth });
      assert.match(errorOf(response, ErrorCode.INVALID_ARGUMENT).message, /sends no push notifications/);
      resultOf(await m.client.request(FrameType.SET_PUSH_SUBSCRIPTION, { endpoint: '' }), 'ok');
    } finally {
      await off.close();
    }
  });
});

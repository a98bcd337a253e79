/**
 * Scenario (rule 3): bad input against a real server process. Each bad frame
 * gets a clear error code; meanwhile two bystanders keep exchanging messages,
 * and nothing they were sent is lost.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it times no media
 *   and restarts no shared service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ContactAction, ErrorCode, FrameType, MAX_FRAME_BYTES } from '@sotto/protocol';
import { WireClient, errorOf, makeIdentity, rawFrame, resultOf } from '@sotto/server/wire-client';
import { scratchDir } from '../support/paths.js';
import { ServerProcess } from '../support/server-process.js';

const dir = scratchDir('bad-input');
let server: ServerProcess;
let alice: WireClient;
let bob: WireClient;
let mallory: WireClient;
const groupId = randomBytes(32);
let sent = 0;

before(async () => {
  server = await ServerProcess.start(join(dir.path, 'server'));
  alice = await WireClient.connect(server.url);
  bob = await WireClient.connect(server.url);
  mallory = await WireClient.connect(server.url);
  await alice.register('alice', makeIdentity());
  await bob.register('bob', makeIdentity());
  await mallory.register('mallory', makeIdentity());
  await alice.request(FrameType.CONTACT_REQUEST, { toUsername: 'bob', text: 'hi' });
  await bob.request(FrameType.CONTACT_RESPOND, { username: 'alice', action: ContactAction.ACCEPT });
  const created = await alice.request(FrameType.CREATE_GROUP, {
    groupId, epoch: 1n, members: [{ username: 'bob', deviceId: bob.device!.deviceId }], welcome: randomBytes(64),
  });
  resultOf(created, 'ok');
  const pending = bob.pendingDeliveries().length;
  await bob.deliveries(pending > 0 ? pending : 2);
});

after(async () => {
  await Promise.all([alice, bob, mallory].map((c) => c?.close()));
  await server?.stop();
  dir.remove();
});

/** The bystanders still talk: alice sends, bob receives it, acks it. */
async function bystandersStillServed(): Promise<void> {
  const messageId = randomBytes(16);
  resultOf(await alice.request(FrameType.SEND, { groupId, messageId, payload: randomBytes(200) }), 'send');
  sent += 1;
  const delivery = await bob.nextDelivery();
  assert.deepEqual(Buffer.from(delivery.messageId), messageId);
  bob.ack([delivery.seq]);
}

test('oversized frame: FRAME_TOO_LARGE, connection kept', async () => {
  const id = mallory.allocateId();
  mallory.sendRaw(rawFrame(FrameType.SEND, id, new Uint8Array(MAX_FRAME_BYTES)));
  errorOf(await mallory.response(id), ErrorCode.FRAME_TOO_LARGE);
  await bystandersStillServed();
});

test('truncated frame and an undecodable body: FRAME_MALFORMED', async () => {
  mallory.sendRaw(new Uint8Array([1, 0]));
  errorOf(await mallory.response(0), ErrorCode.FRAME_MALFORMED);
  const id = mallory.allocateId();
  mallory.sendRaw(rawFrame(FrameType.SEND, id, new Uint8Array([0x0a, 0xff, 0xff, 0xff])));
  errorOf(await mallory.response(id), ErrorCode.FRAME_MALFORMED);
  await bystandersStillServed();
});

test('unknown frame type: UNKNOWN_FRAME_TYPE', async () => {
  const id = mallory.allocateId();
  mallory.sendRaw(rawFrame(999, id, new Uint8Array()));
  errorOf(await mallory.response(id), ErrorCode.UNKNOWN_FRAME_TYPE);
  await bystandersStillServed();
});

test('request before auth, and a wrong signature at connect', async () => {
  const stranger = await WireClient.connect(server.url);
  errorOf(await stranger.request(FrameType.LIST_CONTACTS, {}), ErrorCode.NOT_AUTHENTICATED);
  const hello = stranger.loginHello('alice', alice.device!.deviceId, makeIdentity());
  errorOf(await stranger.hello(hello), ErrorCode.BAD_SIGNATURE);
  await stranger.close();
  await bystandersStillServed();
});

test('a claim and a Welcome toward a non-contact: NOT_A_CONTACT; a stale commit: STALE_EPOCH', async () => {
  errorOf(await mallory.request(FrameType.CLAIM_KEY_PACKAGES, { username: 'alice' }), ErrorCode.NOT_A_CONTACT);
  errorOf(
    await mallory.request(FrameType.CREATE_GROUP, {
      groupId: randomBytes(32), epoch: 1n, members: [{ username: 'alice', deviceId: alice.device!.deviceId }], welcome: randomBytes(64),
    }),
    ErrorCode.NOT_A_CONTACT,
  );
  resultOf(await alice.request(FrameType.COMMIT, { groupId, epoch: 1n, commit: randomBytes(100), messageId: randomBytes(16) }), 'commit');
  errorOf(await bob.request(FrameType.COMMIT, { groupId, epoch: 1n, commit: randomBytes(100), messageId: randomBytes(16) }), ErrorCode.STALE_EPOCH);
  const commit = await bob.nextDelivery();
  bob.ack([commit.seq]);
  await bystandersStillServed();
});

test('the server process is alive and counted the errors', async () => {
  assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  assert.match(metrics, /FRAME_TOO_LARGE/);
  assert.ok(sent >= 5);
});

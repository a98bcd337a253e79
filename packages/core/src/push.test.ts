/** @module push.test The engine's Web Push: the VAPID key from the hello, and the subscription checked and sent as SET_PUSH_SUBSCRIPTION. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameType, type FrameBody } from '@sotto/protocol';
import { toBase64Url } from './bytes.js';
import { ClientError } from './errors.js';
import { Push, type PushRequester } from './push.js';

function recorder(): { session: PushRequester; sent: FrameBody<FrameType.SET_PUSH_SUBSCRIPTION>[] } {
  const sent: FrameBody<FrameType.SET_PUSH_SUBSCRIPTION>[] = [];
  const session = {
    async request(type: FrameType, body: FrameBody<FrameType.SET_PUSH_SUBSCRIPTION>) {
      assert.equal(type, FrameType.SET_PUSH_SUBSCRIPTION);
      sent.push(body);
      return { case: 'ok', value: {} };
    },
  } as unknown as PushRequester;
  return { session, sent };
}

const KEY = new Uint8Array([4, ...new Uint8Array(64).fill(9)]);
const P256DH = new Uint8Array([4, ...new Uint8Array(64).fill(3)]);
const AUTH = new Uint8Array(16).fill(5);
const ENDPOINT = 'https://fcm.googleapis.com/fcm/send/abc';

test('the VAPID key comes from the hello; an empty one means the server sends no pushes', () => {
  const push = new Push(recorder().session);
  assert.equal(push.vapidPublicKey(), undefined);
  push.adopt({ vapidPublicKey: KEY });
  assert.deepEqual(push.vapidPublicKey(), KEY);
  push.adopt({ vapidPublicKey: new Uint8Array() });
  assert.equal(push.vapidPublicKey(), undefined);
});

test('subscribe sends the subscription, from bytes or from the base64url of toJSON(); unsubscribe sends an empty endpoint', async () => {
  const { session, sent } = recorder();
  const push = new Push(session);
  push.adopt({ vapidPublicKey: KEY });
  await push.subscribe({ endpoint: ENDPOINT, p256dh: P256DH, auth: AUTH.buffer });
  await push.subscribe({ endpoint: ENDPOINT, p256dh: toBase64Url(P256DH), auth: toBase64Url(AUTH) });
  await push.unsubscribe();
  assert.deepEqual(sent.map((b) => [b.endpoint, b.p256dh.length, b.auth.length]), [[ENDPOINT, 65, 16], [ENDPOINT, 65, 16], ['', 0, 0]]);
  assert.deepEqual(sent[1]!.p256dh, P256DH);
});

test('a subscription of the wrong shape, or to a server without push, is refused before anything is sent', async () => {
  const { session, sent } = recorder();
  const push = new Push(session);
  const refused = (parts: Parameters<Push['subscribe']>[0], message: RegExp) =>
    assert.rejects(push.subscribe(parts), (e: unknown) => e instanceof ClientError && e.code === 'INVALID_INPUT' && message.test(e.message));
  await refused({ endpoint: ENDPOINT, p256dh: P256DH, auth: AUTH }, /sends no push notifications/);
  push.adopt({ vapidPublicKey: KEY });
  await refused({ endpoint: 'http://fcm.googleapis.com/x', p256dh: P256DH, auth: AUTH }, /https:\/\/ URL/);
  await refused({ endpoint: `https://x.org/${'a'.repeat(1024)}`, p256dh: P256DH, auth: AUTH }, /at most 1024/);
  await refused({ endpoint: ENDPOINT, p256dh: P256DH.subarray(1), auth: AUTH }, /p256dh must be 65 bytes/);
  await refused({ endpoint: ENDPOINT, p256dh: P256DH, auth: AUTH.subarray(1) }, /auth must be 16 bytes/);
  await refused({ endpoint: ENDPOINT, p256dh: 'not base64!', auth: AUTH }, /p256dh is not base64url/);
  assert.equal(sent.length, 0);
});

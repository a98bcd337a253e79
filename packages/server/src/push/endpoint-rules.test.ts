/** @module push/endpoint-rules.test Which push endpoints the server accepts (the SSRF rule), and every refusal's reason. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '@sotto/protocol';
import { ServerError } from '../errors.js';
import { checkEndpoint, checkSubscription, DEFAULT_PUSH_HOSTS, hostAllowed, isHostPattern, type EndpointPolicy } from './endpoint-rules.js';

const STRICT: EndpointPolicy = { hosts: DEFAULT_PUSH_HOSTS, allowLoopback: false };
const LOOPBACK: EndpointPolicy = { hosts: DEFAULT_PUSH_HOSTS, allowLoopback: true };
const KEYS = { p256dh: new Uint8Array([4, ...new Uint8Array(64).fill(7)]), auth: new Uint8Array(16).fill(1) };

function refused(endpoint: string, policy: EndpointPolicy, message: RegExp): void {
  assert.throws(() => checkEndpoint(endpoint, policy), (error: unknown) => error instanceof ServerError && error.code === ErrorCode.INVALID_ARGUMENT && message.test(error.message), endpoint);
}

test('the vendors\' push services are accepted by default', () => {
  for (const endpoint of [
    'https://fcm.googleapis.com/fcm/send/abc:def',
    'https://updates.push.services.mozilla.com/wpush/v2/gAAAA',
    'https://db5p.notify.windows.com/w/?token=BQYAAA',
    'https://web.push.apple.com/QGuQyavXutnMH',
  ]) {
    assert.equal(checkEndpoint(endpoint, STRICT).href.length > 0, true);
  }
});

test('wildcards match hosts under them only; exact names match themselves only; IP addresses never', () => {
  assert.equal(hostAllowed('a.b.push.services.mozilla.com', DEFAULT_PUSH_HOSTS), true);
  assert.equal(hostAllowed('push.services.mozilla.com', DEFAULT_PUSH_HOSTS), false, 'the wildcard is for hosts under it');
  assert.equal(hostAllowed('evilpush.services.mozilla.com', DEFAULT_PUSH_HOSTS), false);
  assert.equal(hostAllowed('x.fcm.googleapis.com', DEFAULT_PUSH_HOSTS), false);
  assert.equal(hostAllowed('fcm.googleapis.com.evil.example', DEFAULT_PUSH_HOSTS), false);
  assert.equal(hostAllowed('10.0.0.1', ['10.0.0.1']), false);
  assert.equal(hostAllowed('[::1]', ['*.example.org']), false);
});

test('every other endpoint is refused, saying why', () => {
  refused('http://fcm.googleapis.com/fcm/send/x', STRICT, /must be an https:\/\/ URL/);
  refused('ftp://fcm.googleapis.com/x', STRICT, /must be an https:\/\/ URL/);
  refused('https://evil.example/x', STRICT, /host evil\.example is not a push service this server sends to/);
  refused('https://169.254.169.254/latest/meta-data', STRICT, /not a push service/);
  refused('https://localhost/x', STRICT, /not a push service/);
  refused('https://fcm.googleapis.com:444/x', STRICT, /default https port/);
  refused('https://a@fcm.googleapis.com/x', STRICT, /user name, password or fragment/);
  refused('https://fcm.googleapis.com/x#frag', STRICT, /user name, password or fragment/);
  refused('fcm.googleapis.com/x', STRICT, /absolute https:\/\/ URL/);
  refused('', STRICT, /absolute https:\/\/ URL/);
  refused(`https://fcm.googleapis.com/${'x'.repeat(1000)}`, STRICT, /at most 1024 characters/);
});

test('loopback endpoints only with the test flag, over http or https, on any port', () => {
  refused('http://127.0.0.1:9000/push', STRICT, /must be an https:\/\/ URL/);
  assert.equal(checkEndpoint('http://127.0.0.1:9000/push', LOOPBACK).port, '9000');
  assert.equal(checkEndpoint('https://localhost:9000/push', LOOPBACK).hostname, 'localhost');
  assert.equal(checkEndpoint('http://[::1]:9000/push', LOOPBACK).hostname, '[::1]');
  refused('http://10.0.0.1/push', LOOPBACK, /must be an https:\/\/ URL/);
  refused('https://127.0.0.2/push', LOOPBACK, /not a push service/);
});

test('the keys must have the shapes RFC 8291 gives them', () => {
  const endpoint = 'https://fcm.googleapis.com/fcm/send/x';
  const bad = (change: Partial<typeof KEYS>, message: RegExp): void =>
    assert.throws(() => checkSubscription({ endpoint, ...KEYS, ...change }, STRICT), (e: unknown) => e instanceof ServerError && e.code === ErrorCode.INVALID_ARGUMENT && message.test(e.message));
  bad({ p256dh: KEYS.p256dh.subarray(0, 33) }, /p256dh must be 65 bytes/);
  bad({ p256dh: new Uint8Array([2, ...KEYS.p256dh.subarray(1)]) }, /starting 0x04/);
  bad({ auth: new Uint8Array(0) }, /auth must be 16 bytes/);
  const kept = checkSubscription({ endpoint, ...KEYS }, STRICT);
  assert.deepEqual(kept, { endpoint, ...KEYS });
});

test('host patterns: names and *.names, lower case', () => {
  for (const good of ['fcm.googleapis.com', '*.notify.windows.com', 'push.example-1.org']) assert.equal(isHostPattern(good), true, good);
  for (const bad of ['*', '*.com.', 'FCM.googleapis.com', 'https://x.org', 'x.org/path', 'x..org', '-x.org', 'localhost', '*.*.x.org', '']) assert.equal(isHostPattern(bad), false, bad);
});

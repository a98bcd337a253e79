import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { TurnService } from './turn.js';

const alice = { username: 'alice', deviceId: 'd1' };

test('credentials follow the TURN REST scheme coturn checks', () => {
  const turn = new TurnService({ urls: ['turn:127.0.0.1:3478'], secret: 's3cret', ttlSeconds: 600 }, () => 1_700_000_000_000);
  const c = turn.credentials(alice);
  const [expiry, opaque] = c.username.split(':');
  assert.equal(expiry, String(1_700_000_000 + 600));
  assert.match(opaque ?? '', /^[0-9a-f]{16}$/);
  assert.ok(!c.username.includes('alice'), 'the TURN server never learns the username');
  assert.equal(c.credential, createHmac('sha1', 's3cret').update(c.username).digest('base64'));
  assert.deepEqual(c.urls, ['turn:127.0.0.1:3478']);
  assert.equal(c.ttlSeconds, 600);
});

test('the opaque id differs per device and is stable', () => {
  const turn = new TurnService({ urls: ['turn:x'], secret: 's', ttlSeconds: 60 }, () => 0);
  const a = turn.credentials(alice).username;
  assert.equal(turn.credentials(alice).username, a);
  assert.notEqual(turn.credentials({ username: 'alice', deviceId: 'd2' }).username, a);
});

test('without TURN configured, no URLs and no credentials', () => {
  const turn = new TurnService({ urls: [], ttlSeconds: 60 }, () => 0);
  assert.deepEqual(turn.credentials(alice), { urls: [], username: '', credential: '', ttlSeconds: 0 });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromBase64Url, toBase64Url } from './bytes.js';
import { formatContactLink, parseContactLink, webBaseOf } from './lockdown.js';

test('base64url round-trips every length and refuses other alphabets', () => {
  for (let n = 0; n < 40; n += 1) {
    const bytes = crypto.getRandomValues(new Uint8Array(n));
    assert.deepEqual(fromBase64Url(toBase64Url(bytes)), bytes);
    assert.equal(toBase64Url(bytes), Buffer.from(bytes).toString('base64url'));
  }
  assert.equal(fromBase64Url('ab+/'), undefined);
  assert.equal(fromBase64Url('a'), undefined);
});

test('a contact link opens the web app of the member\'s server and parses back', () => {
  const token = new Uint8Array(16).fill(7);
  assert.equal(webBaseOf('wss://chat.example.org/v1/ws'), 'https://chat.example.org');
  assert.equal(webBaseOf('ws://127.0.0.1:8080'), 'http://127.0.0.1:8080');
  const link = formatContactLink('ws://127.0.0.1:8080/v1/ws', 'alice', token);
  assert.equal(link, `http://127.0.0.1:8080/#add=alice/${Buffer.from(token).toString('base64url')}`);
  assert.deepEqual(parseContactLink(link), { username: 'alice', token });
  assert.deepEqual(parseContactLink(`alice/${Buffer.from(token).toString('base64url')}`), { username: 'alice', token });
});

test('anything else is not a contact link', () => {
  const good = Buffer.from(new Uint8Array(16)).toString('base64url');
  for (const bad of ['', 'alice', `https://x/#add=alice/${good}x`, `https://x/#add=Alice/${good}`, `https://x/#add=al/${good}`, 'https://x/#add=alice/short', `javascript:alert(1)#add=alice/${good}extra`]) {
    assert.throws(() => parseContactLink(bad), /not a Sotto contact link/, bad);
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ClientError } from '../errors.js';
import { formatLinkCode, parseLinkCode } from './link-code.js';
import { openFromLink, sealForLink } from './link-seal.js';

const code = { linkId: Uint8Array.from({ length: 16 }, (_, i) => i), secret: Uint8Array.from({ length: 16 }, (_, i) => 200 + i) };

test('a link code reads back the way a person may type or paste it', () => {
  const text = formatLinkCode(code);
  assert.match(text, /^([a-z2-7]{4}-){12}[a-z2-7]{4}$/);
  for (const typed of [text, text.toUpperCase(), text.replace(/-/g, ''), text.replace(/-/g, ' '), `https://chat.example/#link=${text}`]) {
    assert.deepEqual(parseLinkCode(typed), code);
  }
  fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), (linkId, secret) => {
    assert.deepEqual(parseLinkCode(formatLinkCode({ linkId, secret })), { linkId, secret });
  }));
});

test('a malformed code is refused with a clear INVALID_INPUT', () => {
  const text = formatLinkCode(code);
  const refused = (pattern: RegExp) => (error: unknown) => error instanceof ClientError && error.code === 'INVALID_INPUT' && pattern.test(error.message);
  assert.throws(() => parseLinkCode(text.slice(0, -2)), refused(/50 letters, not 52/));
  assert.throws(() => parseLinkCode(`${text.slice(0, -1)}1`), refused(/"1" is not one of its letters/));
  assert.throws(() => parseLinkCode(`${text.slice(0, -1)}b`), refused(/last letter/));
  assert.throws(() => parseLinkCode('x'.repeat(10_000)), refused(/far too long/));
  assert.throws(() => parseLinkCode(''), refused(/0 letters/));
});

test('what one end seals, only the other end with the same code opens, each way once', () => {
  const key = new Uint8Array(32).fill(7);
  const sealed = sealForLink(code, 'request', key);
  assert.deepEqual(openFromLink(code, 'request', sealed), key);
  const crypto = (error: unknown) => error instanceof ClientError && error.code === 'CRYPTO';
  assert.throws(() => openFromLink(code, 'bundle', sealed), crypto, 'the other direction has its own key');
  assert.throws(() => openFromLink({ ...code, secret: new Uint8Array(16) }, 'request', sealed), crypto, 'another secret');
  assert.throws(() => openFromLink({ ...code, linkId: new Uint8Array(16) }, 'request', sealed), crypto, 'another link');
  const tampered = sealed.slice();
  tampered[3]! ^= 1;
  assert.throws(() => openFromLink(code, 'request', tampered), crypto, 'changed on the way');
  assert.throws(() => openFromLink(code, 'request', new Uint8Array(5)), crypto, 'too short');
});

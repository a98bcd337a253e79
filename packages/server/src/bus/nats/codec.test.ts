/** @module bus/nats/codec.test The event envelope: round trips, and everything else is refused before it reaches a handler. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NoticeKind } from '@sotto/protocol';
import type { BusEvent } from '../bus.js';
import { decodeEnvelope, encodeEnvelope, MAX_ENVELOPE_BYTES } from './codec.js';

const text = (value: unknown): Uint8Array => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const reason = (bytes: Uint8Array): string => {
  const decoded = decodeEnvelope(bytes);
  assert.equal(decoded.ok, false);
  return decoded.ok ? '' : decoded.reason;
};

describe('bus event codec', () => {
  test('every kind round-trips with its node id', () => {
    const events: BusEvent[] = [
      { kind: 'mail' },
      { kind: 'replaced', connectionId: 'c-1' },
      { kind: 'removed' },
      { kind: 'notice', notice: { kind: NoticeKind.KEY_PACKAGES_LOW, count: 7, message: 'Upload more key packages.' } },
    ];
    for (const event of events) assert.deepEqual(decodeEnvelope(encodeEnvelope('node-1', event)), { ok: true, envelope: { node: 'node-1', event } });
  });

  test('the encoder refuses what the decoder would drop, so the publisher hears of it', () => {
    assert.throws(() => encodeEnvelope('n', { kind: 'replaced', connectionId: 'x'.repeat(129) }), TypeError);
    assert.throws(() => encodeEnvelope('n', { kind: 'notice', notice: { kind: NoticeKind.KEY_PACKAGES_LOW, count: -1, message: '' } }), TypeError);
    assert.throws(() => encodeEnvelope('n', { kind: 'notice', notice: { kind: NoticeKind.KEY_PACKAGES_LOW, count: 1, message: 'm'.repeat(513) } }), TypeError);
  });

  test('the decoder checks size before parsing, then the exact shape', () => {
    assert.match(reason(new Uint8Array(MAX_ENVELOPE_BYTES + 1)), /over/);
    assert.equal(reason(new Uint8Array([0xc3, 0x28])), 'not UTF-8 JSON');
    assert.equal(reason(text('[1]')), 'not an envelope');
    assert.equal(reason(text({ v: 1, n: 'n' })), 'not an envelope');
    assert.equal(reason(text({ v: 1, n: 'bad node', e: { kind: 'mail' } })), 'bad node id');
    assert.equal(reason(text({ v: 1, n: 'n', e: { kind: 'mail', extra: true } })), 'unexpected fields in mail');
    assert.equal(reason(text({ v: 1, n: 'n', e: { kind: 'replaced', connectionId: 5 } })), 'bad connection id');
    assert.equal(reason(text({ v: 1, n: 'n', e: { kind: 'notice', notice: { kind: 1.5, count: 1, message: '' } } })), 'unknown notice kind');
    assert.equal(reason(text({ v: 1, n: 'n', e: { kind: 'notice', notice: { kind: 1, count: 1e300, message: '' } } })), 'bad notice count');
    assert.equal(reason(text({ v: 1, n: 'n', e: { kind: 'notice', notice: { kind: 1, count: 1, message: null } } })), 'bad notice message');
    assert.equal(reason(text({ v: 1, n: 'n', e: { kind: '__proto__' } })), 'unknown event kind');
  });
});

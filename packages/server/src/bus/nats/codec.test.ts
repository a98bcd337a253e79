/** @module bus/nats/codec.test The event envelope: round trips, and everything else is refused before it reaches a handler. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DeliveryKind, NoticeKind } from '@sotto/protocol';
import { CARRIED_PAYLOAD_MAX, type BusEvent } from '../bus.js';
import type { MailboxEntry } from '../../storage/types.js';
import { decodeEnvelope, encodeEnvelope, MAX_ENVELOPE_BYTES } from './codec.js';

/** A carried entry as large as an event may carry one: every field at its bound. */
const LARGEST_ENTRY: MailboxEntry = {
  seq: 2n ** 63n - 1n,
  kind: DeliveryKind.MLS_MESSAGE,
  sender: { username: 'u'.repeat(32), deviceId: 'd'.repeat(64) },
  groupId: new Uint8Array(32).fill(7),
  messageId: new Uint8Array(16).fill(9),
  payload: new Uint8Array(CARRIED_PAYLOAD_MAX).fill(255),
  epoch: 2n ** 63n - 1n,
  storedAt: Number.MAX_SAFE_INTEGER,
  expiresAt: Number.MAX_SAFE_INTEGER,
};
const ENTRY: MailboxEntry = { ...LARGEST_ENTRY, seq: 42n, payload: new Uint8Array([1, 2, 3]), epoch: 0n, storedAt: 1_700_000_000_000, expiresAt: 0 };
/** ENTRY's wire form with `change` applied: what a misbehaving node might publish. */
const wireEntry = (change: Record<string, unknown>) => ({ v: 1, n: 'n', e: { kind: 'mail', entry: { s: '42', k: 1, u: 'alice', d: 'd1', g: 'Bw==', m: 'CQ==', p: 'AQID', e: '0', t: 5, x: 0, ...change } } });

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
      // Refused as "bad notice" before: a lockdown change never reached a device on another node.
      { kind: 'notice', notice: { kind: NoticeKind.LOCKDOWN_CHANGED, count: 3, message: 'Lockdown is on.', lockdown: { enabled: true, refused: 3 } } },
      { kind: 'mail', entry: ENTRY },
      { kind: 'mail', entry: LARGEST_ENTRY },
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
    assert.equal(reason(text({ v: 1, n: 'n', e: { kind: 'notice', notice: { kind: 1, count: 1, message: '', lockdown: { enabled: 1, refused: 0 } } } })), 'bad lockdown notice');
  });

  test('the largest carried entry fits the envelope; a larger payload is refused at the encoder', () => {
    assert.ok(encodeEnvelope('n', { kind: 'mail', entry: LARGEST_ENTRY }).length <= MAX_ENVELOPE_BYTES);
    const tooLarge = { ...ENTRY, payload: new Uint8Array(CARRIED_PAYLOAD_MAX + 1) };
    assert.throws(() => encodeEnvelope('n', { kind: 'mail', entry: tooLarge }), /bad entry bytes/);
  });

  test('JSON\'s -0 decodes as 0, so an accepted event re-encodes to itself (a bus-events fuzz finding)', () => {
    // JSON.stringify writes -0 as 0, so the wire text is spelled out.
    const decoded = decodeEnvelope(text(JSON.stringify(wireEntry({})).replace('"t":5', '"t":-0')));
    assert.ok(decoded.ok && decoded.envelope.event.kind === 'mail' && decoded.envelope.event.entry, 'accepted');
    assert.ok(Object.is(decoded.envelope.event.entry.storedAt, 0), 'positive zero');
    assert.deepEqual(decodeEnvelope(encodeEnvelope('n', decoded.envelope.event)), decoded);
    const notice = decodeEnvelope(text('{"v":1,"n":"n","e":{"kind":"notice","notice":{"kind":1,"count":-0,"message":""}}}'));
    assert.ok(notice.ok && notice.envelope.event.kind === 'notice' && Object.is(notice.envelope.event.notice.count, 0));
  });

  test('a carried entry is refused, with its reason, unless every field is in bounds', () => {
    assert.equal(decodeEnvelope(text(wireEntry({}))).ok, true);
    const refusals: [Record<string, unknown>, string][] = [
      [{ s: '0' }, 'bad entry seq'],
      [{ s: '-1' }, 'bad entry seq'],
      [{ s: '9223372036854775808' }, 'bad entry seq'],
      [{ s: 42 }, 'bad entry seq'],
      [{ k: 999 }, 'unknown entry kind'],
      [{ u: 'u'.repeat(33) }, 'bad entry sender'],
      [{ d: 7 }, 'bad entry sender device'],
      [{ g: 'A'.repeat(48) }, 'bad entry bytes'],
      [{ m: 'not base64!' }, 'bad entry bytes'],
      [{ p: 'AQI' }, 'bad entry bytes'],
      [{ p: 'A'.repeat(4 * Math.ceil(CARRIED_PAYLOAD_MAX / 3) + 4) }, 'bad entry bytes'],
      [{ e: '01' }, 'bad entry epoch'],
      [{ t: -1 }, 'bad entry time'],
      [{ x: 1.5 }, 'bad entry expiry'],
      [{ extra: 1 }, 'bad mail entry'],
    ];
    for (const [change, expected] of refusals) assert.equal(reason(text(wireEntry(change))), expected, JSON.stringify(change));
    assert.equal(reason(text({ v: 1, n: 'n', e: { kind: 'mail', entry: null } })), 'bad mail entry');
  });
});

/** @module bus/nats/codec The bounded, strict wire form of a bus event on NATS. */
// JSON, because events are small and readable in `nats sub` while debugging;
// bounded and strictly checked on the way in like every other parser here (a
// misbehaving node or a stray publisher on the subject must not crash a
// gateway). The envelope names the publishing node, so a node can tell its own
// events apart and an operator can trace a bad one. A mail event's entry goes
// as short keys, its bytes in base64 and its 64-bit numbers as decimal strings.
import { DeliveryKind, LIMITS, NoticeKind } from '@sotto/protocol';
import { CARRIED_PAYLOAD_MAX, type BusEvent } from '../bus.js';
import type { MailboxEntry } from '../../storage/types.js';

/** Checked before parsing. The largest legal event, a mail event carrying a 4 KiB payload, is about 6 KiB. */
export const MAX_ENVELOPE_BYTES = 8192;
const MAX_CONNECTION_ID = 128;
const MAX_NOTICE_MESSAGE = 512;
const NODE_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const WIRE_VERSION = 1;

export interface Envelope {
  /** The publishing node (`NatsBus.nodeId`). */
  readonly node: string;
  readonly event: BusEvent;
}

export type Decoded = { readonly ok: true; readonly envelope: Envelope } | { readonly ok: false; readonly reason: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function isNodeId(value: unknown): value is string {
  return typeof value === 'string' && NODE_ID.test(value);
}

/** Throws on an event the decoder would refuse, so the publisher learns instead of the event vanishing. */
export function encodeEnvelope(node: string, event: BusEvent): Uint8Array {
  const wire = toWire(event);
  const problem = checkEvent(wire);
  if (typeof problem === 'string') throw new TypeError(`bus event refused: ${problem}`);
  const bytes = encoder.encode(JSON.stringify({ v: WIRE_VERSION, n: node, e: wire }));
  if (bytes.length > MAX_ENVELOPE_BYTES) throw new TypeError(`bus event refused: ${bytes.length} bytes is over ${MAX_ENVELOPE_BYTES}`);
  return bytes;
}

export function decodeEnvelope(bytes: Uint8Array): Decoded {
  if (bytes.length > MAX_ENVELOPE_BYTES) return fail(`${bytes.length} bytes is over ${MAX_ENVELOPE_BYTES}`);
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    return fail('not UTF-8 JSON');
  }
  if (!isRecord(value) || !hasExactly(value, ['v', 'n', 'e'])) return fail('not an envelope');
  if (value.v !== WIRE_VERSION) return fail('unknown envelope version');
  if (!isNodeId(value.n)) return fail('bad node id');
  const event = checkEvent(value.e);
  if (typeof event === 'string') return fail(event);
  return { ok: true, envelope: { node: value.n, event } };
}

/** The JSON-ready form of an event: only a mail event's entry differs. */
function toWire(event: BusEvent): unknown {
  if (event.kind !== 'mail' || event.entry === undefined) return event;
  const e = event.entry;
  return {
    kind: 'mail',
    entry: {
      s: e.seq.toString(), k: e.kind, u: e.sender.username, d: e.sender.deviceId, g: base64(e.groupId), m: base64(e.messageId),
      p: base64(e.payload), e: e.epoch.toString(), t: e.storedAt, x: e.expiresAt,
    },
  };
}

const ENTRY_KEYS = ['s', 'k', 'u', 'd', 'g', 'm', 'p', 'e', 't', 'x'];
const SEQ = /^[1-9][0-9]{0,18}$/;
const EPOCH = /^(0|[1-9][0-9]{0,18})$/;
const INT64_MAX = 2n ** 63n - 1n;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A carried mailbox entry from its wire form, or why it is refused. Every bound is checked before a byte is decoded. */
function checkEntry(value: unknown): MailboxEntry | string {
  if (!isRecord(value) || !hasExactly(value, ENTRY_KEYS)) return 'bad mail entry';
  const { s, k, u, d, g, m, p, e, t, x } = value;
  if (typeof s !== 'string' || !SEQ.test(s) || BigInt(s) > INT64_MAX) return 'bad entry seq';
  if (typeof k !== 'number' || !Number.isInteger(k) || DeliveryKind[k] === undefined) return 'unknown entry kind';
  if (typeof u !== 'string' || u.length > LIMITS.usernameMaxLength) return 'bad entry sender';
  if (typeof d !== 'string' || d.length > LIMITS.deviceIdMaxLength) return 'bad entry sender device';
  const groupId = bytesOf(g, LIMITS.groupIdBytes);
  const messageId = bytesOf(m, LIMITS.messageIdBytes);
  const payload = bytesOf(p, CARRIED_PAYLOAD_MAX);
  if (!groupId || !messageId || !payload) return 'bad entry bytes';
  if (typeof e !== 'string' || !EPOCH.test(e) || BigInt(e) > INT64_MAX) return 'bad entry epoch';
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) return 'bad entry time';
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) return 'bad entry expiry';
  return { seq: BigInt(s), kind: unsigned(k) as DeliveryKind, sender: { username: u, deviceId: d }, groupId, messageId, payload, epoch: BigInt(e), storedAt: unsigned(t), expiresAt: unsigned(x) };
}

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/** Base64 of at most `max` bytes, decoded; undefined for anything else. The length is checked first. */
function bytesOf(value: unknown, max: number): Uint8Array | undefined {
  if (typeof value !== 'string' || value.length > 4 * Math.ceil(max / 3) || !BASE64.test(value)) return undefined;
  const bytes = new Uint8Array(Buffer.from(value, 'base64'));
  return bytes.length <= max ? bytes : undefined;
}

/** The event itself (a fresh copy holding only known fields), or why it is refused. */
function checkEvent(value: unknown): BusEvent | string {
  if (!isRecord(value)) return 'event is not an object';
  switch (value.kind) {
    case 'mail': {
      if (hasExactly(value, ['kind'])) return { kind: 'mail' };
      if (!hasExactly(value, ['kind', 'entry'])) return 'unexpected fields in mail';
      const entry = checkEntry(value.entry);
      return typeof entry === 'string' ? entry : { kind: 'mail', entry };
    }
    case 'removed':
      return hasExactly(value, ['kind']) ? { kind: 'removed' } : 'unexpected fields in removed';
    case 'replaced': {
      if (!hasExactly(value, ['kind', 'connectionId'])) return 'unexpected fields in replaced';
      const id = value.connectionId;
      if (typeof id !== 'string' || id.length === 0 || id.length > MAX_CONNECTION_ID) return 'bad connection id';
      return { kind: 'replaced', connectionId: id };
    }
    case 'notice': {
      if (!hasExactly(value, ['kind', 'notice'])) return 'unexpected fields in notice';
      const notice = value.notice;
      // A lockdown change's notice also says what lockdown is now (services/lockdown.ts).
      if (!isRecord(notice) || !(hasExactly(notice, ['kind', 'count', 'message']) || hasExactly(notice, ['kind', 'count', 'message', 'lockdown']))) return 'bad notice';
      const { kind, count, message } = notice;
      if (typeof kind !== 'number' || !Number.isInteger(kind) || NoticeKind[kind] === undefined) return 'unknown notice kind';
      if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) return 'bad notice count';
      if (typeof message !== 'string' || message.length > MAX_NOTICE_MESSAGE) return 'bad notice message';
      if (notice.lockdown === undefined) return { kind: 'notice', notice: { kind: unsigned(kind) as NoticeKind, count: unsigned(count), message } };
      const lockdown = notice.lockdown;
      if (!isRecord(lockdown) || !hasExactly(lockdown, ['enabled', 'refused'])) return 'bad lockdown notice';
      const { enabled, refused } = lockdown;
      if (typeof enabled !== 'boolean' || typeof refused !== 'number' || !Number.isSafeInteger(refused) || refused < 0) return 'bad lockdown notice';
      return { kind: 'notice', notice: { kind: unsigned(kind) as NoticeKind, count: unsigned(count), message, lockdown: { enabled, refused: unsigned(refused) } } };
    }
    default:
      return 'unknown event kind';
  }
}

/**
 * A checked non-negative integer as the encoder would write it: JSON's `-0` parses to negative
 * zero, which passes `>= 0` but is written back as `0` (the bus-events fuzz target's finding).
 */
const unsigned = (n: number): number => n + 0;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasExactly(value: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(value);
  return own.length === keys.length && keys.every((key) => Object.hasOwn(value, key));
}

function fail(reason: string): Decoded {
  return { ok: false, reason };
}

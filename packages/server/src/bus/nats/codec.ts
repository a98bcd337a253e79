/** @module bus/nats/codec The bounded, strict wire form of a bus event on NATS. */
// JSON, because events are a few dozen bytes and readable in `nats sub`
// while debugging; bounded and strictly checked on the way in like every
// other parser here (a misbehaving node or a stray publisher on the subject
// must not crash a gateway). The envelope names the publishing node, so a
// node can tell its own events apart and an operator can trace a bad one.
import { NoticeKind } from '@sotto/protocol';
import type { BusEvent } from '../bus.js';

/** Checked before parsing. The largest legal event is far below it. */
export const MAX_ENVELOPE_BYTES = 2048;
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
  const problem = checkEvent(event);
  if (typeof problem === 'string') throw new TypeError(`bus event refused: ${problem}`);
  const bytes = encoder.encode(JSON.stringify({ v: WIRE_VERSION, n: node, e: event }));
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

/** The event itself (a fresh copy holding only known fields), or why it is refused. */
function checkEvent(value: unknown): BusEvent | string {
  if (!isRecord(value)) return 'event is not an object';
  switch (value.kind) {
    case 'mail':
      return hasExactly(value, ['kind']) ? { kind: 'mail' } : 'unexpected fields in mail';
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
      if (!isRecord(notice) || !hasExactly(notice, ['kind', 'count', 'message'])) return 'bad notice';
      const { kind, count, message } = notice;
      if (typeof kind !== 'number' || !Number.isInteger(kind) || NoticeKind[kind] === undefined) return 'unknown notice kind';
      if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) return 'bad notice count';
      if (typeof message !== 'string' || message.length > MAX_NOTICE_MESSAGE) return 'bad notice message';
      return { kind: 'notice', notice: { kind: kind as NoticeKind, count, message } };
    }
    default:
      return 'unknown event kind';
  }
}

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

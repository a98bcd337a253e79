/**
 * @module fuzz/targets/sframe-frame
 * A group call frame as the SFU hands it over, to `GroupCallKeyring.open` (and `isAhead`), the
 * only reader of what arrives from the SFU before a decoder. The first byte's second bit picks the
 * frame's kind (audio, or VP8 video with its header bytes in clear and authenticated); its first
 * bit picks the case:
 * - even: the rest as a raw payload: it must be refused with an SFrameError of a known reason
 *   (nothing forged can open), and `isAhead` must not throw;
 * - odd: the rest as a member's plaintext, sealed by that member (leaf 0 or 2, from the second
 *   byte), then opened: the same bytes from the same member, and a second open is a REPLAY;
 *   with one byte flipped (at a place and by a mask from the input) it must be refused.
 */
import { GroupCallKeyring, SFrameError } from '@sotto/core';

const REASONS = new Set(['BAD_HEADER', 'TRUNCATED', 'UNKNOWN_KID', 'AUTH_FAILED', 'REPLAY', 'COUNTER_EXHAUSTED', 'BAD_INPUT']);
const members = new Map([[0, { user: 'ana', device: 'a1' }], [1, { user: 'ben', device: 'b1' }], [2, { user: 'cat', device: 'c1' }]]);
const baseKey = new Uint8Array(16).fill(7);
const keysAt = (ownLeaf, epoch) => ({ epoch, baseKey, ownLeaf, members });

const receiver = new GroupCallKeyring(1n);
receiver.enterEpochKeys(keysAt(1, 4n));
receiver.enterEpochKeys(keysAt(1, 5n));
const senders = [0, 2].map((leaf, i) => {
  const ring = new GroupCallKeyring(BigInt(100 + i));
  ring.enterEpochKeys(keysAt(leaf, 5n));
  return ring;
});

function refusedOrThrow(run, what) {
  try {
    run();
  } catch (error) {
    if (!(error instanceof SFrameError) || !REASONS.has(error.reason)) throw new Error(`${what}: not an SFrameError of a known reason: ${String(error)}`);
    return error.reason;
  }
  return undefined;
}

export function fuzz(data) {
  if (data.length === 0) return;
  const rest = data.subarray(1);
  const kind = (data[0] & 2) === 0 ? 'audio' : 'video';
  receiver.isAhead(rest, kind);
  if ((data[0] & 1) === 0) {
    if (refusedOrThrow(() => receiver.open(rest, kind), 'a raw payload') === undefined) throw new Error('a payload nobody sealed opened');
    return;
  }
  if (rest.length < 2) return;
  const sender = senders[rest[0] & 1];
  const plaintext = rest.subarray(1);
  let sealed;
  if (refusedOrThrow(() => (sealed = sender.seal(plaintext, kind)), 'sealing') !== undefined) {
    // Only a video frame no longer than its clear bytes is refused, and nothing goes out for it.
    if (kind !== 'video' || plaintext.length > 10) throw new Error('a frame that should seal was refused');
    return;
  }
  const tampered = sealed.slice();
  tampered[rest[0] % tampered.length] ^= (rest[rest.length - 1] | 1);
  // The tampered copy first: refusing it must leave the genuine frame openable.
  if (refusedOrThrow(() => receiver.open(tampered, kind), 'a tampered frame') === undefined) throw new Error('a tampered frame opened');
  const opened = receiver.open(sealed, kind);
  if (Buffer.compare(Buffer.from(opened.plaintext), Buffer.from(plaintext)) !== 0) throw new Error('the plaintext changed');
  if (opened.from !== members.get(sender === senders[0] ? 0 : 2)) throw new Error('the frame opened as another sender');
  if (refusedOrThrow(() => receiver.open(sealed, kind), 'a replayed frame') !== 'REPLAY') throw new Error('a replayed frame was not refused as REPLAY');
}

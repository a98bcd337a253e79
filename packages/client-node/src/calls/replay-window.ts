/**
 * @module calls/replay-window
 * The replay list of RFC 3711 §3.3.2 for one SSRC: a sliding window over packet indices (the
 * SRTP extended sequence number, or the SRTCP index) that says whether an authenticated packet is
 * new, a copy of one already accepted, or too old to tell. As in libsrtp, the window moves only
 * forward, with the highest index accepted, and remembers the `size` indices up to it.
 *
 * Pure: no I/O, no clock. The caller admits an index only after the packet authenticated, so a
 * forged packet can neither move the window nor mark an index as seen.
 */

export type ReplayVerdict = 'fresh' | 'replayed' | 'too-old';

/** libsrtp's default window for SRTP (RFC 3711 asks for at least 64). */
export const DEFAULT_REPLAY_WINDOW = 128;
/** RFC 3711 §3.3.2: the window must hold at least 64 packets. */
export const MIN_REPLAY_WINDOW = 64;
/** SRTP indices are 48 bits (rollover counter and sequence number). */
const MAX_INDEX = 2 ** 48 - 1;

export class ReplayWindow {
  /** One bit per index, at `index % size`: the window is a ring, so moving it forward clears bits instead of shifting them. */
  private readonly seen: Uint8Array;
  /** The highest index accepted, or -1 before the first. */
  private highest = -1;

  constructor(readonly size: number = DEFAULT_REPLAY_WINDOW) {
    if (!Number.isInteger(size) || size < MIN_REPLAY_WINDOW || size % 8 !== 0 || size > 0x8000) {
      throw new RangeError(`A replay window holds a multiple of 8 packets from ${MIN_REPLAY_WINDOW} to 32768, not ${size}.`);
    }
    this.seen = new Uint8Array(size / 8);
  }

  /** The highest index accepted so far, or -1. */
  get highestIndex(): number {
    return this.highest;
  }

  /** What `index` would be, without recording it. */
  check(index: number): ReplayVerdict {
    assertIndex(index);
    if (index > this.highest) return 'fresh';
    if (this.highest - index >= this.size) return 'too-old';
    return this.isSeen(index) ? 'replayed' : 'fresh';
  }

  /** Checks `index` and records it when fresh. Call only for packets that authenticated. */
  admit(index: number): ReplayVerdict {
    const verdict = this.check(index);
    if (verdict !== 'fresh') return verdict;
    if (index > this.highest) this.advanceTo(index);
    this.mark(index);
    return verdict;
  }

  /** Moves the top of the window to `index`, forgetting the indices that fall out of it. */
  private advanceTo(index: number): void {
    const steps = this.highest < 0 ? this.size : index - this.highest;
    if (steps >= this.size) {
      this.seen.fill(0);
    } else {
      // The slots the new indices take were last used by indices now out of the window.
      for (let next = this.highest + 1; next <= index; next++) this.unmark(next);
    }
    this.highest = index;
  }

  private slot(index: number): { byte: number; bit: number } {
    const position = index % this.size;
    return { byte: position >>> 3, bit: 1 << (position & 7) };
  }

  private isSeen(index: number): boolean {
    const { byte, bit } = this.slot(index);
    return (this.seen[byte]! & bit) !== 0;
  }

  private mark(index: number): void {
    const { byte, bit } = this.slot(index);
    this.seen[byte] = this.seen[byte]! | bit;
  }

  private unmark(index: number): void {
    const { byte, bit } = this.slot(index);
    this.seen[byte] = this.seen[byte]! & ~bit;
  }
}

function assertIndex(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index > MAX_INDEX) throw new RangeError(`A packet index is an integer from 0 to 2^48-1, not ${index}.`);
}

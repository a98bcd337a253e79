/**
 * @module mls/state-cache
 * Decoded MLS group states kept between messages, so a send does not decode
 * the stored state again (decoding is most of a send's MLS cost).
 *
 * Safe because of two facts, both checked by `state-cache.test.ts`:
 * - ts-mls never mutates a state it was given or returned: encrypt, process,
 *   commit and proposals build new objects (`{ ...state }`, `tree.slice()`).
 * - An entry is used only while the stored bytes are exactly the bytes it was
 *   encoded to. Any other writer (the inbox, a settled commit, another tab)
 *   stores different bytes, so the entry misses and the bytes are decoded:
 *   there is nothing to invalidate by hand, and a stale entry cannot be used.
 * An entry is taken out for an operation that advances the state and put back
 * only once the advanced state is stored, so a failed operation leaves
 * nothing behind but the stored bytes.
 */
import type { ClientState } from 'ts-mls';

interface Entry {
  readonly encoded: Uint8Array;
  readonly state: ClientState;
}

/** Enough for every conversation a member is active in; the oldest used is dropped first. */
export const DEFAULT_CACHED_STATES = 64;

export class DecodedStates {
  /** Map order is use order: the first key is the least recently used. */
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly decode: (encoded: Uint8Array) => ClientState,
    private readonly capacity = DEFAULT_CACHED_STATES,
  ) {}

  /** The decoded form of `encoded` (the stored state of `groupId`), from the cache when it matches. */
  get(groupId: string, encoded: Uint8Array): ClientState {
    const entry = this.entries.get(groupId);
    if (entry && sameBytes(entry.encoded, encoded)) {
      this.entries.delete(groupId);
      this.entries.set(groupId, entry);
      return entry.state;
    }
    return this.decode(encoded);
  }

  /** Like `get`, but the entry leaves the cache: for an operation that advances the state. */
  take(groupId: string, encoded: Uint8Array): ClientState {
    const state = this.get(groupId, encoded);
    this.entries.delete(groupId);
    return state;
  }

  /** Records that `state` is stored for `groupId` as exactly `encoded`. */
  remember(groupId: string, encoded: Uint8Array, state: ClientState): void {
    this.entries.delete(groupId);
    this.entries.set(groupId, { encoded, state });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  get size(): number {
    return this.entries.size;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

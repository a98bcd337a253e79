/**
 * @module mls/key-cache
 * A small least-recently-used map. Importing a key (into WebCrypto, or
 * into OpenSSL for client-node's signer) costs far more than the operation
 * that uses it (Ed25519 PKCS#8 import ~4x a signature), and MLS uses the
 * same few keys for every message, so imported keys are kept here. The bound keeps memory (and how many keys we hold) fixed no
 * matter how many distinct keys a long-running process sees.
 */
/** A process signs with one key per device it runs, so a few slots suffice. */
export const SIGNING_KEY_SLOTS = 32;
/** Verifying keys are group members' public keys; a few hundred covers the active groups. */
export const VERIFYING_KEY_SLOTS = 512;

/** Cache sizes of an Ed25519 implementation that caches imported keys (WebCrypto's or Node's). */
export interface KeySlots {
  signing?: number;
  verifying?: number;
}

export class KeyCache<V> {
  private readonly entries = new Map<string, V>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    // Map keeps insertion order: re-inserting marks this entry most recently used.
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}

/** Bytes as a string usable as a map key: one char per byte, exact and cheap. */
export function bytesKey(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

/**
 * @module direct-id
 * A direct (1:1) conversation's group id is derived from the two usernames,
 * so both sides name the same group and the server's "first create wins"
 * settles the race when both start it at once.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex, utf8 } from './bytes.js';

export function directGroupId(a: string, b: string): Uint8Array {
  const [first, second] = [a, b].sort();
  return sha256(utf8.encode(`sotto-direct-v1\u0000${first}\u0000${second}`));
}

export function directGroupIdHex(a: string, b: string): string {
  return toHex(directGroupId(a, b));
}

/**
 * @module mls/hkdf
 * MLS's KDF (HKDF, RFC 5869) on a platform's HKDF, @noble/hashes' by default. ts-mls's default KDF
 * goes through WebCrypto, which imports an HMAC key and hops to a worker thread for every call;
 * MLS derives ~5 small keys per message, and that made each derivation ~7x slower than
 * @noble/hashes. Node injects OpenSSL's HMAC (client-node's node-hkdf), ~4x faster again.
 */
import type { Kdf, KdfAlgorithm } from 'ts-mls';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import type { Hkdf, HkdfHash } from '../ports.js';

const HASHES: Record<KdfAlgorithm, HkdfHash> = { 'HKDF-SHA256': 'SHA-256', 'HKDF-SHA384': 'SHA-384', 'HKDF-SHA512': 'SHA-512' };
const NOBLE = { 'SHA-256': sha256, 'SHA-384': sha384, 'SHA-512': sha512 } as const;
/** Output bytes of each HKDF hash, for platforms' implementations too. */
export const HKDF_HASH_BYTES: Readonly<Record<HkdfHash, number>> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

/** HKDF in pure JS: what the browser runs. */
export const nobleHkdf: Hkdf = {
  extract: (hash, salt, ikm) => extract(NOBLE[hash], ikm, salt),
  expand: (hash, prk, info, length) => expand(NOBLE[hash], prk, info, length),
};

export function makeMlsKdf(algorithm: KdfAlgorithm, hkdf: Hkdf = nobleHkdf): Kdf {
  const hash = HASHES[algorithm];
  const size = HKDF_HASH_BYTES[hash];
  return {
    async extract(salt, ikm) {
      // Same contract as ts-mls's default (@hpke/core): an empty salt means
      // HashLen zero bytes (HMAC pads the empty key to exactly that), any
      // other length is refused.
      if (salt.length !== 0 && salt.length !== size) throw new RangeError('The salt length must be the same as the hashSize');
      return hkdf.extract(hash, salt, ikm);
    },
    async expand(prk, info, len) {
      return hkdf.expand(hash, prk, info, len);
    },
    size,
  };
}

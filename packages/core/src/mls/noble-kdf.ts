/**
 * @module mls/noble-kdf
 * HKDF from @noble/hashes (already a dependency of ts-mls's noble provider).
 * ts-mls's default KDF goes through WebCrypto, which imports an HMAC key and
 * hops to a worker thread for every call; MLS derives ~5 small keys per
 * message, and that made each derivation ~7x slower than @noble/hashes.
 */
import type { Kdf, KdfAlgorithm } from 'ts-mls';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';

const HASHES = { 'HKDF-SHA256': sha256, 'HKDF-SHA384': sha384, 'HKDF-SHA512': sha512 } as const;

export function makeNobleKdf(algorithm: KdfAlgorithm): Kdf {
  const hash = HASHES[algorithm];
  const size = hash.outputLen;
  return {
    async extract(salt, ikm) {
      // Same contract as ts-mls's default (@hpke/core): an empty salt means
      // HashLen zero bytes (HMAC pads the empty key to exactly that), any
      // other length is refused.
      if (salt.length !== 0 && salt.length !== size) throw new RangeError('The salt length must be the same as the hashSize');
      return extract(hash, ikm, salt);
    },
    async expand(prk, info, len) {
      return expand(hash, prk, info, len);
    },
    size,
  };
}

/**
 * @module sframe/suites
 * The cipher suites of RFC 9605 section 4.5 (IANA values of section 8.1) with their sizes, and one
 * seal/open pair per suite: AES-GCM from @noble/ciphers, or the AES-CTR + HMAC AEAD of 4.5.1.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import type { CHash } from '@noble/hashes/utils.js';
import { ctrHmacOpen, ctrHmacSeal, type CtrHmacParams } from './ctr-hmac-aead.js';
import { SFrameError } from './sframe-error.js';

export const CIPHER_SUITE_IDS = {
  AES_128_CTR_HMAC_SHA256_80: 0x0001,
  AES_128_CTR_HMAC_SHA256_64: 0x0002,
  AES_128_CTR_HMAC_SHA256_32: 0x0003,
  AES_128_GCM_SHA256_128: 0x0004,
  AES_256_GCM_SHA512_128: 0x0005,
} as const;

export type CipherSuiteName = keyof typeof CIPHER_SUITE_IDS;
export type CipherSuiteId = (typeof CIPHER_SUITE_IDS)[CipherSuiteName];

export interface CipherSuite {
  readonly id: CipherSuiteId;
  readonly name: CipherSuiteName;
  /** The hash of HKDF (and of HMAC for the CTR suites). */
  readonly hash: CHash;
  /** Nh: the hash's output size. */
  readonly hashBytes: number;
  /** Nk: the AEAD key size (for the CTR suites, the AES key and the HMAC key together). */
  readonly keyBytes: number;
  /** Nn */
  readonly nonceBytes: number;
  /** Nt: what encryption adds to the plaintext. */
  readonly tagBytes: number;
  /** AEAD.Encrypt: ciphertext then tag. */
  seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** AEAD.Decrypt; throws an SFrameError (TRUNCATED or AUTH_FAILED) when it does not verify. */
  open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array;
}

const NONCE_BYTES = 12;
const GCM_TAG_BYTES = 16;

function ctrHmacSuite(name: CipherSuiteName, tagBytes: number): CipherSuite {
  const params: CtrHmacParams = { encKeyBytes: 16, hash: sha256, hashBytes: 32, tagBytes };
  return {
    id: CIPHER_SUITE_IDS[name],
    name,
    hash: sha256,
    hashBytes: 32,
    keyBytes: params.encKeyBytes + params.hashBytes,
    nonceBytes: NONCE_BYTES,
    tagBytes,
    seal: (key, nonce, aad, plaintext) => ctrHmacSeal(params, key, nonce, aad, plaintext),
    open: (key, nonce, aad, sealed) => ctrHmacOpen(params, key, nonce, aad, sealed),
  };
}

function gcmSuite(name: CipherSuiteName, keyBytes: number, hash: CHash, hashBytes: number): CipherSuite {
  return {
    id: CIPHER_SUITE_IDS[name],
    name,
    hash,
    hashBytes,
    keyBytes,
    nonceBytes: NONCE_BYTES,
    tagBytes: GCM_TAG_BYTES,
    seal: (key, nonce, aad, plaintext) => gcm(key, nonce, aad).encrypt(plaintext),
    open(key, nonce, aad, sealed) {
      if (sealed.byteLength < GCM_TAG_BYTES) {
        throw new SFrameError('TRUNCATED', `the frame is shorter than its ${GCM_TAG_BYTES}-byte tag.`);
      }
      try {
        return gcm(key, nonce, aad).decrypt(sealed);
      } catch {
        // @noble throws a plain Error for a tag that does not match; the lengths were checked above.
        throw new SFrameError('AUTH_FAILED', 'the frame does not authenticate (wrong key or metadata, or altered bytes).');
      }
    },
  };
}

/** Wrong key or nonce sizes are the caller's bug, not a forged frame: say so before any AEAD runs. */
function withSizeChecks(suite: CipherSuite): CipherSuite {
  const check = (key: Uint8Array, nonce: Uint8Array): void => {
    if (!(key instanceof Uint8Array) || key.byteLength !== suite.keyBytes) {
      throw new SFrameError('BAD_INPUT', `a ${suite.name} key must be ${suite.keyBytes} bytes.`);
    }
    if (!(nonce instanceof Uint8Array) || nonce.byteLength !== suite.nonceBytes) {
      throw new SFrameError('BAD_INPUT', `a ${suite.name} nonce must be ${suite.nonceBytes} bytes.`);
    }
  };
  return {
    ...suite,
    seal(key, nonce, aad, plaintext) {
      check(key, nonce);
      return suite.seal(key, nonce, aad, plaintext);
    },
    open(key, nonce, aad, sealed) {
      check(key, nonce);
      return suite.open(key, nonce, aad, sealed);
    },
  };
}

const SUITES: ReadonlyMap<number, CipherSuite> = new Map(
  [
    ctrHmacSuite('AES_128_CTR_HMAC_SHA256_80', 10),
    ctrHmacSuite('AES_128_CTR_HMAC_SHA256_64', 8),
    ctrHmacSuite('AES_128_CTR_HMAC_SHA256_32', 4),
    gcmSuite('AES_128_GCM_SHA256_128', 16, sha256, 32),
    gcmSuite('AES_256_GCM_SHA512_128', 32, sha512, 64),
  ].map((suite) => [suite.id, withSizeChecks(suite)]),
);

/** The suite with this IANA value; refuses one RFC 9605 does not define. */
export function cipherSuite(id: number): CipherSuite {
  const suite = SUITES.get(id);
  if (!suite) throw new SFrameError('BAD_INPUT', `cipher suite ${id} is not one of RFC 9605 (1 to 5).`);
  return suite;
}

export const ALL_CIPHER_SUITES: readonly CipherSuite[] = [...SUITES.values()];

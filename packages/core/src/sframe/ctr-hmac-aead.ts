/**
 * @module sframe/ctr-hmac-aead
 * The AEAD of RFC 9605 section 4.5.1: AES-CTR then HMAC over lengths, nonce, AAD and ciphertext
 * (encrypt-then-MAC), the tag cut to the suite's size. It lets audio carry 4- to 10-byte tags. Only
 * the RFC's composition lives here; AES-CTR and HMAC are @noble's.
 */
import { ctr } from '@noble/ciphers/aes.js';
import { hmac } from '@noble/hashes/hmac.js';
import type { CHash } from '@noble/hashes/utils.js';
import { concatBytes, equalBytes } from '../bytes.js';
import { SFrameError } from './sframe-error.js';

export interface CtrHmacParams {
  /** Nka: the AES key, the first bytes of the AEAD key. */
  readonly encKeyBytes: number;
  readonly hash: CHash;
  /** Nh: the HMAC key, the rest of the AEAD key. */
  readonly hashBytes: number;
  /** Nt: the tag, the first bytes of the HMAC output. */
  readonly tagBytes: number;
}

function uint64BigEndian(value: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
}

/** derive_subkeys(): the AES key first, the HMAC key after it. */
function subkeys(params: CtrHmacParams, key: Uint8Array): { encKey: Uint8Array; authKey: Uint8Array } {
  return { encKey: key.subarray(0, params.encKeyBytes), authKey: key.subarray(params.encKeyBytes) };
}

/** compute_tag(): HMAC(auth_key, len(aad) || len(ct) || Nt || nonce || aad || ct), truncated to Nt. */
function computeTag(params: CtrHmacParams, authKey: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const authData = concatBytes(
    uint64BigEndian(aad.byteLength),
    uint64BigEndian(ciphertext.byteLength),
    uint64BigEndian(params.tagBytes),
    nonce,
    aad,
    ciphertext,
  );
  return hmac(params.hash, authKey, authData).subarray(0, params.tagBytes);
}

/** The AES-CTR initial counter block: the 12-byte nonce then four zero bytes. */
function counterBlock(nonce: Uint8Array): Uint8Array {
  const block = new Uint8Array(16);
  block.set(nonce);
  return block;
}

export function ctrHmacSeal(params: CtrHmacParams, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const { encKey, authKey } = subkeys(params, key);
  const ciphertext = ctr(encKey, counterBlock(nonce)).encrypt(plaintext);
  return concatBytes(ciphertext, computeTag(params, authKey, nonce, aad, ciphertext));
}

export function ctrHmacOpen(params: CtrHmacParams, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array {
  if (sealed.byteLength < params.tagBytes) {
    throw new SFrameError('TRUNCATED', `the frame is shorter than its ${params.tagBytes}-byte tag.`);
  }
  const { encKey, authKey } = subkeys(params, key);
  const ciphertext = sealed.subarray(0, sealed.byteLength - params.tagBytes);
  const tag = sealed.subarray(sealed.byteLength - params.tagBytes);
  // Verify before decrypting (the RFC's order): nothing of a forged frame is ever deciphered.
  if (!equalBytes(computeTag(params, authKey, nonce, aad, ciphertext), tag)) {
    throw new SFrameError('AUTH_FAILED', 'the frame does not authenticate (wrong key or metadata, or altered bytes).');
  }
  return ctr(encKey, counterBlock(nonce)).decrypt(ciphertext);
}

/**
 * @module sframe/frame
 * One frame's SFrame transform with a known key, salt and CTR (RFC 9605 sections 4.4.3 and
 * 4.4.4), without state: sealing is header || AEAD.Encrypt(key, salt XOR CTR, header || metadata,
 * plaintext). The context (sframe.ts) chooses keys and counters and keeps replay state around it.
 */
import { concatBytes } from '../bytes.js';
import { encodeHeader } from './header.js';
import type { SFrameKeyMaterial } from './key-schedule.js';
import type { CipherSuite } from './suites.js';

/** salt XOR CTR, the CTR big-endian and right-aligned in the nonce (its last 8 bytes). */
export function frameNonce(salt: Uint8Array, ctr: bigint): Uint8Array {
  const nonce = salt.slice();
  const view = new DataView(nonce.buffer);
  const offset = nonce.byteLength - 8;
  view.setBigUint64(offset, view.getBigUint64(offset) ^ ctr);
  return nonce;
}

/** The caller guarantees (key, KID, CTR) was never sealed before. */
export function sealFrame(suite: CipherSuite, keys: SFrameKeyMaterial, kid: bigint, ctr: bigint, metadata: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const header = encodeHeader({ kid, ctr });
  const sealed = suite.seal(keys.key, frameNonce(keys.salt, ctr), concatBytes(header, metadata), plaintext);
  return concatBytes(header, sealed);
}

/** Opens the part after the header, given the already decoded header's bytes and CTR. */
export function openFrame(suite: CipherSuite, keys: SFrameKeyMaterial, header: Uint8Array, ctr: bigint, metadata: Uint8Array, sealed: Uint8Array): Uint8Array {
  return suite.open(keys.key, frameNonce(keys.salt, ctr), concatBytes(header, metadata), sealed);
}

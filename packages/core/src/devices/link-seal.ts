/**
 * @module devices/link-seal
 * What the two devices of a link say to each other through the server, sealed with the code's
 * secret so the server (which relays it) can neither read nor change it: the new device's
 * identity key (so the linking device lists the key of whoever holds the code, not one the server
 * put in its place), and the linking device's bundle (so the new device trusts its account's list
 * from the code's holder, not from the server).
 *
 * Construction: a key per direction, HKDF-SHA-256(secret, salt = link id, info = label), and
 * ChaCha20-Poly1305 with the link id as associated data. Each key seals exactly one message, so
 * the all-zero nonce is never reused. Libraries: @noble/hashes and @noble/ciphers.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ClientError } from '../errors.js';
import { utf8 } from '../bytes.js';
import type { LinkCode } from './link-code.js';

export type LinkDirection = 'request' | 'bundle';

const LABELS: Record<LinkDirection, Uint8Array> = {
  request: utf8.encode('sotto-device-link-v1 request'),
  bundle: utf8.encode('sotto-device-link-v1 bundle'),
};
const NONCE = new Uint8Array(12);

function cipher(code: LinkCode, direction: LinkDirection) {
  const key = hkdf(sha256, code.secret, code.linkId, LABELS[direction], 32);
  return chacha20poly1305(key, NONCE, code.linkId);
}

export function sealForLink(code: LinkCode, direction: LinkDirection, plaintext: Uint8Array): Uint8Array {
  return cipher(code, direction).encrypt(plaintext);
}

/** Opens what the other device sealed; throws CRYPTO when it was not sealed with this code's secret. */
export function openFromLink(code: LinkCode, direction: LinkDirection, sealed: Uint8Array): Uint8Array {
  try {
    return cipher(code, direction).decrypt(sealed);
  } catch {
    throw new ClientError('CRYPTO', 'The linked device sent something that was not sealed with this code: it was changed on the way, or the code is wrong.');
  }
}

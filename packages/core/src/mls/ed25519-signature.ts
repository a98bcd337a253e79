/**
 * @module mls/ed25519-signature
 * Ed25519 signing and verifying through WebCrypto with the imported keys
 * cached. ts-mls's own implementation imports the key on every call, and
 * the PKCS#8 import alone was over a third of encrypting an application
 * message (profiled).
 * Ed25519 is deterministic, so signatures are byte-identical to ts-mls's;
 * the primitives are still WebCrypto's, we only skip the repeated imports.
 * WebCrypto is kept (rather than @noble/curves) because on Node it signs
 * ~5x and verifies ~9x faster than the pure-JS implementation.
 */
import type { Signature } from 'ts-mls';
import { sha256 } from '@noble/hashes/sha2.js';
import { KeyCache, SIGNING_KEY_SLOTS, VERIFYING_KEY_SLOTS, bytesKey, type KeySlots } from './key-cache.js';

// Core compiles without the DOM lib, so WebCrypto's types are taken from the global `crypto`.
type Subtle = typeof globalThis.crypto.subtle;
type CryptoKey = Awaited<ReturnType<Subtle['importKey']>>;

// A normalized algorithm object: WebCrypto converts a bare string on every call.
const ED25519 = { name: 'Ed25519' } as const;
// DER prefix that wraps a raw 32-byte Ed25519 seed as PKCS#8 (RFC 8410), as ts-mls does.
const PKCS8_PREFIX = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20);
const PKCS8_LENGTH = PKCS8_PREFIX.length + 32;

export interface CachedSignature extends Signature {
  /** How many keys are cached, for tests and diagnostics. */
  cachedKeys(): { signing: number; verifying: number };
}

/**
 * Wraps `base` (ts-mls's Ed25519 implementation): key generation and any
 * input of an unexpected length go to `base`, so its errors stay ts-mls's own.
 */
export function makeCachedEd25519(base: Signature, slots: KeySlots = {}, subtle: Subtle = globalThis.crypto.subtle): CachedSignature {
  // Private keys are held as non-extractable CryptoKeys (their bytes cannot
  // be read back from JS) and looked up by a SHA-256 fingerprint, so the
  // cache leaves no copy of the secret in a JS string, which could not be
  // wiped. The bound caps how many private keys outlive their last use; the
  // client already keeps its own identity key for the whole session.
  const signing = new KeyCache<CryptoKey>(slots.signing ?? SIGNING_KEY_SLOTS);
  // Public keys are not secret: their bytes are the lookup key.
  const verifying = new KeyCache<CryptoKey>(slots.verifying ?? VERIFYING_KEY_SLOTS);

  async function signingKey(signKey: Uint8Array): Promise<CryptoKey> {
    const id = bytesKey(sha256(signKey));
    let key = signing.get(id);
    if (!key) {
      const pkcs8 = signKey.length === 32 ? wrapSeed(signKey) : signKey;
      key = await subtle.importKey('pkcs8', arrayBacked(pkcs8), ED25519, false, ['sign']);
      signing.set(id, key);
    }
    return key;
  }

  async function verifyingKey(publicKey: Uint8Array): Promise<CryptoKey> {
    const id = bytesKey(publicKey);
    let key = verifying.get(id);
    if (!key) {
      key = await subtle.importKey('raw', arrayBacked(publicKey), ED25519, false, ['verify']);
      verifying.set(id, key);
    }
    return key;
  }

  return {
    async sign(signKey, message) {
      if (signKey.length !== 32 && signKey.length !== PKCS8_LENGTH) return base.sign(signKey, message);
      return new Uint8Array(await subtle.sign(ED25519, await signingKey(signKey), arrayBacked(message)));
    },
    async verify(publicKey, message, signature) {
      if (publicKey.length !== 32) return base.verify(publicKey, message, signature);
      return subtle.verify(ED25519, await verifyingKey(publicKey), arrayBacked(signature), arrayBacked(message));
    },
    keygen: () => base.keygen(),
    cachedKeys: () => ({ signing: signing.size, verifying: verifying.size }),
  };
}

// WebCrypto accepts only ArrayBuffer-backed views; copy the rare other kind (as ts-mls does).
function arrayBacked(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

function wrapSeed(seed: Uint8Array): Uint8Array {
  const out = new Uint8Array(PKCS8_LENGTH);
  out.set(PKCS8_PREFIX, 0);
  out.set(seed, PKCS8_PREFIX.length);
  return out;
}

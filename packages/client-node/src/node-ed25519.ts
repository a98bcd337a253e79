/**
 * @module node-ed25519
 * Ed25519 for MLS through node:crypto, injected into the engine as its
 * `Ed25519Signer`. Node's WebCrypto runs each sign/verify as a job on the
 * libuv thread pool and resolves a promise back on the main thread; for a
 * 64-byte signature that hand-off costs more than the maths, and it was the
 * largest cost per message left (profiled). `crypto.sign`/`crypto.verify`
 * call the same OpenSSL code synchronously, so results and what is accepted
 * are the same as the engine's default on Node, without the round trip.
 * Imported keys are cached, as in the engine's WebCrypto path.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { KeyCache, SIGNING_KEY_SLOTS, VERIFYING_KEY_SLOTS, bytesKey, type Ed25519Signer, type KeySlots } from '@sotto/core';

// DER headers (RFC 8410) that turn ts-mls's raw key bytes into what OpenSSL imports.
const PKCS8_SEED_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const KEY_BYTES = 32;

export interface NodeEd25519 extends Ed25519Signer {
  /** How many keys are cached, for tests and diagnostics. */
  cachedKeys(): { signing: number; verifying: number };
}

export function createNodeEd25519(slots: KeySlots = {}): NodeEd25519 {
  // Private keys live inside OpenSSL (KeyObject), looked up by a SHA-256
  // fingerprint so the cache holds no copy of the secret in a JS string,
  // which could not be wiped. The bound caps how many private keys outlive
  // their last use.
  const signing = new KeyCache<KeyObject>(slots.signing ?? SIGNING_KEY_SLOTS);
  // Public keys are not secret: their bytes are the lookup key.
  const verifying = new KeyCache<KeyObject>(slots.verifying ?? VERIFYING_KEY_SLOTS);

  function signingKey(signKey: Uint8Array): KeyObject {
    const id = createHash('sha256').update(signKey).digest('base64');
    let key = signing.get(id);
    if (!key) {
      key = importPrivate(signKey);
      signing.set(id, key);
    }
    return key;
  }

  function verifyingKey(publicKey: Uint8Array): KeyObject {
    const id = bytesKey(publicKey);
    let key = verifying.get(id);
    if (!key) {
      key = importPublic(publicKey);
      verifying.set(id, key);
    }
    return key;
  }

  // `async` so that a refused key rejects the promise, as ts-mls's implementations do, instead of throwing.
  return {
    async sign(signKey, message) {
      return plain(sign(null, message, signingKey(signKey)));
    },
    async verify(publicKey, message, signature) {
      return verify(null, message, verifyingKey(publicKey), signature);
    },
    async keygen() {
      const pair = generateKeyPairSync('ed25519');
      // PKCS#8 DER, as WebCrypto key generation exports it: keys stay interchangeable with the browser.
      const signKey = plain(pair.privateKey.export({ format: 'der', type: 'pkcs8' }));
      const publicKey = plain(pair.publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length));
      return { publicKey, signKey };
    },
    cachedKeys: () => ({ signing: signing.size, verifying: verifying.size }),
  };
}

/** The process's signer: one cache shared by every client and suite in it. */
export const nodeEd25519: NodeEd25519 = createNodeEd25519();

function importPrivate(signKey: Uint8Array): KeyObject {
  if (signKey.length !== KEY_BYTES) return ed25519Only(createPrivateKey({ key: asBuffer(signKey), format: 'der', type: 'pkcs8' }));
  const der = Buffer.concat([PKCS8_SEED_PREFIX, signKey]);
  try {
    return ed25519Only(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
  } finally {
    // Small Buffers come from a shared pool that outlives this call: leave no copy of the seed in it.
    der.fill(0);
  }
}

// Any PKCS#8 key parses (X25519's is even the same length); only Ed25519 may sign here.
function ed25519Only(key: KeyObject): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') throw new TypeError('not an Ed25519 private key');
  return key;
}

function importPublic(publicKey: Uint8Array): KeyObject {
  // The header declares 32 key bytes: refuse other lengths outright, as WebCrypto does,
  // rather than depend on how OpenSSL parses a mismatched DER.
  if (publicKey.length !== KEY_BYTES) throw new TypeError('an Ed25519 public key is 32 bytes');
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
}

// Node's outputs are Buffers, whose slice() shares memory and which may sit
// in a shared pool; the engine gets plain Uint8Arrays that own their bytes.
function plain(bytes: Buffer): Uint8Array {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return whole ? new Uint8Array(bytes.buffer) : new Uint8Array(bytes);
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

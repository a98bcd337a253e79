/** @module services/signature Ed25519 verification of device signatures with node:crypto, failing closed on any malformed input. */
import { createPublicKey, verify } from 'node:crypto';
import { LIMITS } from '@sotto/protocol';

/** True only if `signature` is a valid Ed25519 signature of `data` by the raw 32-byte `publicKey`. */
export function verifyEd25519(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.byteLength !== LIMITS.identityKeyBytes || signature.byteLength !== LIMITS.signatureBytes) return false;
  try {
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
      format: 'jwk',
    });
    return verify(null, data, key, signature);
  } catch {
    // A key that is not a curve point cannot have signed anything.
    return false;
  }
}

/**
 * @module mls/crypto-provider
 * The crypto provider every Sotto client uses. Same algorithms and
 * libraries as ts-mls's own providers, arranged for per-message speed:
 * - hash and AEAD: ts-mls's `nobleCryptoProvider` (pure JS, no WebCrypto
 *   round trip for the small inputs MLS hashes);
 * - KDF: the platform's HKDF when the caller injects one (Node passes
 *   OpenSSL's HMAC), else @noble/hashes, never WebCrypto HMAC (see hkdf);
 * - Ed25519: the platform's, when the caller injects one (Node passes
 *   node:crypto's); otherwise WebCrypto with imported keys cached (see
 *   ed25519-signature). WebCrypto rather than noble because it verifies
 *   ~9x faster than noble's pure-JS Ed25519.
 * HPKE (welcomes, path secrets) is ts-mls's unchanged.
 */
import { nobleCryptoProvider, type CryptoProvider } from 'ts-mls';
import type { Ed25519Signer, Hkdf } from '../ports.js';
import { makeCachedEd25519 } from './ed25519-signature.js';
import { makeMlsKdf } from './hkdf.js';

export interface SottoCryptoOptions {
  /** Replaces the Ed25519 implementation; suites signing with another algorithm ignore it. */
  readonly signature?: Ed25519Signer | undefined;
  /** Replaces @noble/hashes' HKDF for the MLS key schedule. */
  readonly hkdf?: Hkdf | undefined;
}

export function makeSottoCryptoProvider(options: SottoCryptoOptions = {}): CryptoProvider {
  return {
    async getCiphersuiteImpl(cs) {
      const base = await nobleCryptoProvider.getCiphersuiteImpl(cs);
      return { ...base, kdf: makeMlsKdf(cs.hpke.kdf, options.hkdf), signature: ed25519For(cs.signature, base.signature, options.signature) };
    },
  };
}

/** The provider with WebCrypto Ed25519: what the browser runs. */
export const sottoCryptoProvider: CryptoProvider = makeSottoCryptoProvider();

function ed25519For(algorithm: string, base: Ed25519Signer, injected: Ed25519Signer | undefined): Ed25519Signer {
  if (algorithm !== 'Ed25519') return base;
  if (injected) return injected;
  // Without WebCrypto Ed25519, ts-mls already falls back to noble, which needs no key import.
  return globalThis.crypto?.subtle !== undefined ? makeCachedEd25519(base) : base;
}

/**
 * @module mls/suite
 * Ciphersuite choice. The default is the post-quantum hybrid X-Wing suite
 * (ML-KEM-768 + X25519 KEM, ChaCha20-Poly1305, SHA-512, Ed25519 signatures).
 */
import { getCiphersuiteFromName, getCiphersuiteImpl, type CiphersuiteImpl, type CiphersuiteName } from 'ts-mls';

export const DEFAULT_CIPHERSUITE: CiphersuiteName = 'MLS_256_XWING_CHACHA20POLY1305_SHA512_Ed25519';

const cache = new Map<CiphersuiteName, Promise<CiphersuiteImpl>>();

/** The implementation of `name`, created once per process. */
export function loadCiphersuite(name: CiphersuiteName = DEFAULT_CIPHERSUITE): Promise<CiphersuiteImpl> {
  let impl = cache.get(name);
  if (!impl) {
    impl = getCiphersuiteImpl(getCiphersuiteFromName(name));
    cache.set(name, impl);
  }
  return impl;
}

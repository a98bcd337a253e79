/**
 * @module mls/suite
 * Ciphersuite choice. The default is the post-quantum hybrid X-Wing suite
 * (ML-KEM-768 + X25519 KEM, ChaCha20-Poly1305, SHA-512, Ed25519 signatures).
 * Implementations come from the Sotto crypto provider, which avoids
 * per-call WebCrypto overhead on the per-message path; a platform may
 * inject its own Ed25519 (see `Ed25519Signer`).
 */
import { getCiphersuiteFromName, getCiphersuiteImpl, type CiphersuiteImpl, type CiphersuiteName } from 'ts-mls';
import type { Ed25519Signer } from '../ports.js';
import { makeSottoCryptoProvider, sottoCryptoProvider, type SottoCryptoOptions } from './crypto-provider.js';

export const DEFAULT_CIPHERSUITE: CiphersuiteName = 'MLS_256_XWING_CHACHA20POLY1305_SHA512_Ed25519';

export type SuiteOptions = SottoCryptoOptions;

type SuiteCache = Map<CiphersuiteName, Promise<CiphersuiteImpl>>;

// One implementation per (suite, signer), so each signer's key cache is
// shared by every client using it. Keyed weakly: a signer dropped by its
// owner takes its suites (and their cached keys) with it.
const withWebCrypto: SuiteCache = new Map();
const withInjected = new WeakMap<Ed25519Signer, SuiteCache>();

/** The implementation of `name`, created once per process and Ed25519 implementation. */
export function loadCiphersuite(name: CiphersuiteName = DEFAULT_CIPHERSUITE, options: SuiteOptions = {}): Promise<CiphersuiteImpl> {
  const cache = options.signature ? cacheFor(options.signature) : withWebCrypto;
  let impl = cache.get(name);
  if (!impl) {
    const provider = options.signature ? makeSottoCryptoProvider(options) : sottoCryptoProvider;
    impl = getCiphersuiteImpl(getCiphersuiteFromName(name), provider);
    cache.set(name, impl);
  }
  return impl;
}

function cacheFor(signer: Ed25519Signer): SuiteCache {
  let cache = withInjected.get(signer);
  if (!cache) {
    cache = new Map();
    withInjected.set(signer, cache);
  }
  return cache;
}

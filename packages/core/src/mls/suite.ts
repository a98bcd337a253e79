/**
 * @module mls/suite
 * Ciphersuite choice. The default is the post-quantum hybrid X-Wing suite
 * (ML-KEM-768 + X25519 KEM, ChaCha20-Poly1305, SHA-512, Ed25519 signatures).
 * Implementations come from the Sotto crypto provider, which avoids
 * per-call WebCrypto overhead on the per-message path; a platform may
 * inject its own Ed25519 and HKDF (see `Ed25519Signer`, `Hkdf`).
 */
import { getCiphersuiteFromName, getCiphersuiteImpl, type CiphersuiteImpl, type CiphersuiteName } from 'ts-mls';
import { makeSottoCryptoProvider, sottoCryptoProvider, type SottoCryptoOptions } from './crypto-provider.js';

export const DEFAULT_CIPHERSUITE: CiphersuiteName = 'MLS_256_XWING_CHACHA20POLY1305_SHA512_Ed25519';

export type SuiteOptions = SottoCryptoOptions;

type SuiteCache = Map<CiphersuiteName, Promise<CiphersuiteImpl>>;

// One implementation per (suite, signer, HKDF), so each signer's key cache is shared by every
// client using it. Keyed weakly: a signer dropped by its owner takes its suites (and their cached
// keys) with it.
const DEFAULT_PART = {};
const caches = new WeakMap<object, WeakMap<object, SuiteCache>>();

/** The implementation of `name`, created once per process and injected platform crypto. */
export function loadCiphersuite(name: CiphersuiteName = DEFAULT_CIPHERSUITE, options: SuiteOptions = {}): Promise<CiphersuiteImpl> {
  const cache = cacheFor(options);
  let impl = cache.get(name);
  if (!impl) {
    const provider = options.signature || options.hkdf ? makeSottoCryptoProvider(options) : sottoCryptoProvider;
    impl = getCiphersuiteImpl(getCiphersuiteFromName(name), provider);
    cache.set(name, impl);
  }
  return impl;
}

function cacheFor(options: SuiteOptions): SuiteCache {
  const bySigner = options.signature ?? DEFAULT_PART;
  const byHkdf = options.hkdf ?? DEFAULT_PART;
  let inner = caches.get(bySigner);
  if (!inner) {
    inner = new WeakMap();
    caches.set(bySigner, inner);
  }
  let cache = inner.get(byHkdf);
  if (!cache) {
    cache = new Map();
    inner.set(byHkdf, cache);
  }
  return cache;
}

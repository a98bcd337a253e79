import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Ed25519Signer } from '../ports.js';
import { DEFAULT_CIPHERSUITE, loadCiphersuite } from './suite.js';

/** An injected Ed25519 that delegates to the default one and counts calls. */
async function countingSigner(): Promise<Ed25519Signer & { calls: number }> {
  const inner = (await loadCiphersuite()).signature;
  const signer = {
    calls: 0,
    sign: (key: Uint8Array, message: Uint8Array) => (signer.calls++, inner.sign(key, message)),
    verify: (key: Uint8Array, message: Uint8Array, signature: Uint8Array) => (signer.calls++, inner.verify(key, message, signature)),
    keygen: () => (signer.calls++, inner.keygen()),
  };
  return signer;
}

test('an injected Ed25519 signs and verifies for the suite', async () => {
  const signer = await countingSigner();
  const impl = await loadCiphersuite(DEFAULT_CIPHERSUITE, { signature: signer });
  assert.equal(impl.signature, signer);
  const key = await impl.signature.keygen();
  const signature = await impl.signature.sign(key.signKey, Uint8Array.of(1));
  assert.equal(await impl.signature.verify(key.publicKey, Uint8Array.of(1), signature), true);
  assert.equal(signer.calls, 3);
});

test('each signer gets its own implementation, once; without one the WebCrypto default stays', async () => {
  const first = await countingSigner();
  const second = await countingSigner();
  const a = await loadCiphersuite(DEFAULT_CIPHERSUITE, { signature: first });
  assert.equal(await loadCiphersuite(DEFAULT_CIPHERSUITE, { signature: first }), a);
  const b = await loadCiphersuite(DEFAULT_CIPHERSUITE, { signature: second });
  assert.notEqual(b, a);
  const plain = await loadCiphersuite();
  assert.equal(await loadCiphersuite(DEFAULT_CIPHERSUITE, {}), plain);
  assert.notEqual(plain.signature, first);
  assert.equal(typeof (plain.signature as { cachedKeys?: unknown }).cachedKeys, 'function');
});

test('suites that do not sign with Ed25519 ignore the injected one', async () => {
  const signer = await countingSigner();
  const impl = await loadCiphersuite('MLS_128_DHKEMP256_AES128GCM_SHA256_P256', { signature: signer });
  assert.notEqual(impl.signature, signer);
  const key = await impl.signature.keygen();
  assert.equal(await impl.signature.verify(key.publicKey, Uint8Array.of(1), await impl.signature.sign(key.signKey, Uint8Array.of(1))), true);
  assert.equal(signer.calls, 0);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultCryptoProvider, getCiphersuiteFromName, type Signature } from 'ts-mls';
import { makeCachedEd25519 } from './ed25519-signature.js';

// ts-mls's own Ed25519 (WebCrypto, importing the key on every call) is the reference.
async function reference(): Promise<Signature> {
  const suite = await defaultCryptoProvider.getCiphersuiteImpl(getCiphersuiteFromName('MLS_256_XWING_CHACHA20POLY1305_SHA512_Ed25519'));
  return suite.signature;
}

const message = new TextEncoder().encode('framed content to be signed');

test('signatures are byte-identical to ts-mls and verify both ways', async () => {
  const plain = await reference();
  const cached = makeCachedEd25519(plain);
  const key = await cached.keygen();
  for (let i = 0; i < 3; i++) {
    const ours = await cached.sign(key.signKey, message);
    assert.deepEqual(ours, await plain.sign(key.signKey, message));
    assert.equal(await plain.verify(key.publicKey, message, ours), true);
    assert.equal(await cached.verify(key.publicKey, message, await plain.sign(key.signKey, message)), true);
  }
  assert.deepEqual(cached.cachedKeys(), { signing: 1, verifying: 1 });
});

test('a raw 32-byte seed signs like its PKCS#8 form, as in ts-mls', async () => {
  const plain = await reference();
  const cached = makeCachedEd25519(plain);
  const key = await cached.keygen();
  const seed = key.signKey.slice(-32); // PKCS#8 for Ed25519 ends with the seed
  assert.deepEqual(await cached.sign(seed, message), await plain.sign(seed, message));
  assert.deepEqual(await cached.sign(seed, message), await cached.sign(key.signKey, message));
});

test('wrong keys, tampered messages and tampered signatures do not verify', async () => {
  const cached = makeCachedEd25519(await reference());
  const key = await cached.keygen();
  const other = await cached.keygen();
  const signature = await cached.sign(key.signKey, message);
  assert.equal(await cached.verify(other.publicKey, message, signature), false);
  assert.equal(await cached.verify(key.publicKey, Uint8Array.of(...message, 0), signature), false);
  const tampered = signature.slice();
  tampered[0]! ^= 1;
  assert.equal(await cached.verify(key.publicKey, message, tampered), false);
  // The same cached public key still verifies the genuine signature.
  assert.equal(await cached.verify(key.publicKey, message, signature), true);
});

test('inputs of unexpected length fail the way ts-mls fails', async () => {
  const plain = await reference();
  const cached = makeCachedEd25519(plain);
  const key = await cached.keygen();
  const badKey = new Uint8Array(40);
  await assert.rejects(plain.sign(badKey, message));
  await assert.rejects(cached.sign(badKey, message));
  const signature = await cached.sign(key.signKey, message);
  const shortPublic = key.publicKey.slice(1);
  const expected = await plain.verify(shortPublic, message, signature).then((ok) => ok, () => 'rejects');
  const actual = await cached.verify(shortPublic, message, signature).then((ok) => ok, () => 'rejects');
  assert.equal(actual, expected);
  assert.deepEqual(cached.cachedKeys(), { signing: 1, verifying: 0 });
});

test('the key caches stay within their bounds', async () => {
  const cached = makeCachedEd25519(await reference(), { signing: 2, verifying: 3 });
  const keys = await Promise.all(Array.from({ length: 6 }, () => cached.keygen()));
  for (const key of keys) {
    const signature = await cached.sign(key.signKey, message);
    assert.equal(await cached.verify(key.publicKey, message, signature), true);
    assert.ok(cached.cachedKeys().signing <= 2);
    assert.ok(cached.cachedKeys().verifying <= 3);
  }
  assert.deepEqual(cached.cachedKeys(), { signing: 2, verifying: 3 });
  // An evicted key is simply imported again.
  assert.equal(await cached.verify(keys[0]!.publicKey, message, await cached.sign(keys[0]!.signKey, message)), true);
});

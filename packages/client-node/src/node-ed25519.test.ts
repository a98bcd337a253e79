import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { defaultCryptoProvider, getCiphersuiteFromName, type Signature } from 'ts-mls';
import { DEFAULT_CIPHERSUITE, loadCiphersuite, MlsContext } from '@sotto/core';
import { createNodeEd25519, nodeEd25519 } from './node-ed25519.js';
import { loadNodeCiphersuite } from './node-client.js';

// ts-mls's own Ed25519 (WebCrypto on Node, importing the key on every call) is the reference.
async function reference(): Promise<Signature> {
  return (await defaultCryptoProvider.getCiphersuiteImpl(getCiphersuiteFromName(DEFAULT_CIPHERSUITE))).signature;
}

const message = new TextEncoder().encode('framed content to be signed');

test('signatures are byte-identical to ts-mls\'s and verify both ways, for keys either side generates', async () => {
  const plain = await reference();
  const ours = createNodeEd25519();
  for (const key of [await ours.keygen(), await plain.keygen()]) {
    const signature = await ours.sign(key.signKey, message);
    assert.deepEqual(signature, await plain.sign(key.signKey, message));
    assert.equal(await plain.verify(key.publicKey, message, signature), true);
    assert.equal(await ours.verify(key.publicKey, message, await plain.sign(key.signKey, message)), true);
  }
  assert.deepEqual(ours.cachedKeys(), { signing: 2, verifying: 2 });
});

test('keys are generated in the formats WebCrypto exports', async () => {
  const key = await createNodeEd25519().keygen();
  assert.equal(key.publicKey.length, 32);
  assert.equal(key.signKey.length, 48); // PKCS#8, like stored identities made by ts-mls
  assert.equal(Object.getPrototypeOf(key.signKey), Uint8Array.prototype);
});

test('a raw 32-byte seed signs like ts-mls and like its PKCS#8 form', async () => {
  const plain = await reference();
  const ours = createNodeEd25519();
  const key = await ours.keygen();
  const seed = key.signKey.slice(-32); // PKCS#8 for Ed25519 ends with the seed
  assert.deepEqual(await ours.sign(seed, message), await plain.sign(seed, message));
  assert.deepEqual(await ours.sign(seed, message), await ours.sign(key.signKey, message));
});

// Raw seeds are what ts-mls's noble fallback (no WebCrypto) generates.
test('a raw seed matches RFC 8032 test vector 2', async () => {
  const hex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));
  const seed = hex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb');
  const publicKey = hex('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c');
  const signature = hex('92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00');
  const ours = createNodeEd25519();
  assert.deepEqual(await ours.sign(seed, Uint8Array.of(0x72)), signature);
  assert.equal(await ours.verify(publicKey, Uint8Array.of(0x72), signature), true);
});

test('wrong keys, tampered messages and tampered signatures do not verify', async () => {
  const ours = createNodeEd25519();
  const key = await ours.keygen();
  const other = await ours.keygen();
  const signature = await ours.sign(key.signKey, message);
  assert.equal(await ours.verify(other.publicKey, message, signature), false);
  assert.equal(await ours.verify(key.publicKey, Uint8Array.of(...message, 0), signature), false);
  const tampered = signature.slice();
  tampered[0]! ^= 1;
  assert.equal(await ours.verify(key.publicKey, message, tampered), false);
  assert.equal(await ours.verify(key.publicKey, message, signature.slice(1)), false);
  assert.equal(await ours.verify(key.publicKey, message, new Uint8Array(64)), false);
  // The same cached public key still verifies the genuine signature.
  assert.equal(await ours.verify(key.publicKey, message, signature), true);
});

test('malformed and foreign keys are refused, as ts-mls refuses them', async () => {
  const plain = await reference();
  const ours = createNodeEd25519();
  const key = await ours.keygen();
  const signature = await ours.sign(key.signKey, message);
  const x25519 = Uint8Array.from(generateKeyPairSync('x25519').privateKey.export({ format: 'der', type: 'pkcs8' }));
  for (const badSignKey of [new Uint8Array(40), new Uint8Array(0), x25519]) {
    await assert.rejects(plain.sign(badSignKey, message));
    await assert.rejects(ours.sign(badSignKey, message));
  }
  for (const badPublicKey of [key.publicKey.slice(1), Uint8Array.of(...key.publicKey, 0)]) {
    await assert.rejects(plain.verify(badPublicKey, message, signature));
    await assert.rejects(ours.verify(badPublicKey, message, signature));
  }
  // 32 bytes that are not a curve point import, but verify nothing (as with WebCrypto).
  const notAPoint = new Uint8Array(32).fill(0xff);
  assert.equal(await plain.verify(notAPoint, message, signature), false);
  assert.equal(await ours.verify(notAPoint, message, signature), false);
  assert.deepEqual(ours.cachedKeys(), { signing: 1, verifying: 1 });
});

test('the key caches stay within their bounds', async () => {
  const ours = createNodeEd25519({ signing: 2, verifying: 3 });
  const keys = await Promise.all(Array.from({ length: 6 }, () => ours.keygen()));
  for (const key of keys) {
    const signature = await ours.sign(key.signKey, message);
    assert.equal(await ours.verify(key.publicKey, message, signature), true);
    assert.ok(ours.cachedKeys().signing <= 2);
    assert.ok(ours.cachedKeys().verifying <= 3);
  }
  assert.deepEqual(ours.cachedKeys(), { signing: 2, verifying: 3 });
  // An evicted key is simply imported again.
  assert.equal(await ours.verify(keys[0]!.publicKey, message, await ours.sign(keys[0]!.signKey, message)), true);
});

test('the Node suite signs with node:crypto and talks MLS with the browser\'s default suite', async () => {
  const nodeSuite = await loadNodeCiphersuite();
  assert.equal(nodeSuite.signature, nodeEd25519);
  assert.equal(await loadNodeCiphersuite(), nodeSuite); // one per process
  const webSuite = await loadCiphersuite();
  assert.notEqual(webSuite.signature, nodeEd25519);

  const alice = new MlsContext(nodeSuite, async () => true);
  const bob = new MlsContext(webSuite, async () => true);
  const bobPackage = await bob.generateKeyPackage({ username: 'bob', deviceId: 'b1' }, await webSuite.signature.keygen());
  const created = await alice.createGroup(crypto.getRandomValues(new Uint8Array(32)), { username: 'alice', deviceId: 'a1' }, await nodeSuite.signature.keygen(), [bobPackage.publicPackage]);
  let bobState = (await bob.join(created.welcome!, async () => bobPackage)).state;
  const sent = await alice.encrypt(created.state, message);
  const received = await bob.process(bobState, sent.message);
  assert.equal(received.kind, 'application');
  if (received.kind !== 'application') return;
  bobState = received.state;
  assert.deepEqual(received.plaintext, message);
  const reply = await bob.encrypt(bobState, message);
  const back = await alice.process(sent.state, reply.message);
  assert.equal(back.kind === 'application' && back.plaintext.length, message.length);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { KdfAlgorithm } from 'ts-mls';
import { makeKdf, makeKdfImpl } from 'ts-mls/crypto/implementation/default/makeKdfImpl.js';
import { MlsContext, loadCiphersuite, type HkdfHash } from '@sotto/core';
import { loadNodeCiphersuite } from './node-client.js';
import { nodeEd25519 } from './node-ed25519.js';
import { nodeHkdf } from './node-hkdf.js';

const ALGORITHMS: [KdfAlgorithm, HkdfHash, number][] = [
  ['HKDF-SHA256', 'SHA-256', 32],
  ['HKDF-SHA384', 'SHA-384', 48],
  ['HKDF-SHA512', 'SHA-512', 64],
];

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

for (const [algorithm, hash, size] of ALGORITHMS) {
  test(`${hash}: extract and expand give ts-mls's default KDF's bytes (WebCrypto HMAC), for any input`, async () => {
    const reference = makeKdfImpl(makeKdf(algorithm));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(0, size),
        fc.uint8Array({ maxLength: 100 }),
        fc.uint8Array({ maxLength: 100 }),
        fc.integer({ min: 1, max: 4 * size }),
        async (saltLength, ikm, info, length) => {
          const salt = new Uint8Array(randomBytes(saltLength));
          const prk = nodeHkdf.extract(hash, salt, ikm);
          assert.equal(hex(prk), hex(await reference.extract(salt, ikm)));
          assert.equal(hex(nodeHkdf.expand(hash, prk, info, length)), hex(await reference.expand(prk, info, length)));
        },
      ),
      { numRuns: 100 },
    );
  });
}

test('HKDF-SHA256 matches RFC 5869 test case 1', () => {
  const ikm = Buffer.alloc(22, 0x0b);
  const salt = Buffer.from('000102030405060708090a0b0c', 'hex');
  const info = Buffer.from('f0f1f2f3f4f5f6f7f8f9', 'hex');
  const prk = nodeHkdf.extract('SHA-256', salt, ikm);
  assert.equal(hex(prk), '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');
  assert.equal(
    hex(nodeHkdf.expand('SHA-256', prk, info, 42)),
    '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
  );
});

test('a Node client and a browser-configured client talk MLS to each other', async () => {
  const nodeSuite = await loadNodeCiphersuite();
  const webSuite = await loadCiphersuite();
  assert.notEqual(webSuite, nodeSuite);
  assert.equal(await loadCiphersuite(undefined, { signature: nodeEd25519, hkdf: nodeHkdf }), nodeSuite, 'one suite per process');
  const alice = new MlsContext(nodeSuite, async () => true);
  const bob = new MlsContext(webSuite, async () => true);
  const bobPackage = await bob.generateKeyPackage({ username: 'bob', deviceId: 'b1' }, await webSuite.signature.keygen());
  const created = await alice.createGroup(new Uint8Array(randomBytes(32)), { username: 'alice', deviceId: 'a1' }, await nodeSuite.signature.keygen(), [bobPackage.publicPackage]);
  let bobState = (await bob.join(created.welcome!, async () => bobPackage)).state;
  let aliceState = created.state;
  for (const text of ['one', 'two']) {
    const sent = await alice.encrypt(aliceState, new TextEncoder().encode(text));
    aliceState = sent.state;
    const received = await bob.process(bobState, sent.message);
    assert.equal(received.kind, 'application');
    bobState = received.state;
  }
});

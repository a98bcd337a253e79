import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KdfAlgorithm } from 'ts-mls';
import { makeKdf, makeKdfImpl } from 'ts-mls/crypto/implementation/default/makeKdfImpl.js';
import { fromHex } from '../bytes.js';
import { makeMlsKdf } from './hkdf.js';

// ts-mls's default KDF (WebCrypto HMAC via @hpke/core) is the reference.
const ALGORITHMS: KdfAlgorithm[] = ['HKDF-SHA256', 'HKDF-SHA384', 'HKDF-SHA512'];

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);

for (const algorithm of ALGORITHMS) {
  test(`${algorithm} gives the same outputs as ts-mls's default KDF`, async () => {
    const plain = makeKdfImpl(makeKdf(algorithm));
    const noble = makeMlsKdf(algorithm);
    assert.equal(noble.size, plain.size);
    const size = plain.size;
    for (const salt of [new Uint8Array(0), bytes(size, 1)]) {
      for (const ikm of [new Uint8Array(0), bytes(size, 2), bytes(77, 3)]) {
        assert.deepEqual(await noble.extract(salt, ikm), await plain.extract(salt, ikm));
      }
    }
    const prk = bytes(size, 4);
    for (const info of [new Uint8Array(0), bytes(40, 5)]) {
      for (const len of [1, 12, 32, size, size + 1, 3 * size + 5]) {
        assert.deepEqual(await noble.expand(prk, info, len), await plain.expand(prk, info, len));
      }
    }
    await assert.rejects(plain.extract(bytes(size - 1, 6), prk));
    await assert.rejects(noble.extract(bytes(size - 1, 6), prk));
  });
}

test('HKDF-SHA256 matches RFC 5869 test case 3 (empty salt and info)', async () => {
  const kdf = makeMlsKdf('HKDF-SHA256');
  const prk = await kdf.extract(new Uint8Array(0), fromHex('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b'));
  assert.deepEqual(prk, fromHex('19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04'));
  const okm = await kdf.expand(prk, new Uint8Array(0), 42);
  assert.deepEqual(okm, fromHex('8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8'));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ALL_CIPHER_SUITES, CIPHER_SUITE_IDS, cipherSuite } from './suites.js';
import { SFrameError, type SFrameErrorReason } from './sframe-error.js';
import { RFC9605_C2_CTR_HMAC } from './rfc9605-vectors.js';
import { fromHex, toHex } from '../bytes.js';

function assertSFrameError(run: () => unknown, reason: SFrameErrorReason, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof SFrameError, `expected an SFrameError, got ${String(error)}`);
    assert.equal(error.reason, reason);
    assert.match(error.message, message);
    return true;
  });
}

test('the suites have the sizes of RFC 9605 Table 1', () => {
  const table = ALL_CIPHER_SUITES.map((s) => [s.id, s.name, s.hashBytes, s.keyBytes, s.nonceBytes, s.tagBytes]);
  assert.deepEqual(table, [
    [0x0001, 'AES_128_CTR_HMAC_SHA256_80', 32, 48, 12, 10],
    [0x0002, 'AES_128_CTR_HMAC_SHA256_64', 32, 48, 12, 8],
    [0x0003, 'AES_128_CTR_HMAC_SHA256_32', 32, 48, 12, 4],
    [0x0004, 'AES_128_GCM_SHA256_128', 32, 16, 12, 16],
    [0x0005, 'AES_256_GCM_SHA512_128', 64, 32, 12, 16],
  ]);
  for (const suite of ALL_CIPHER_SUITES) assert.equal(suite.hash.outputLen, suite.hashBytes, suite.name);
  assert.equal(cipherSuite(CIPHER_SUITE_IDS.AES_128_GCM_SHA256_128).name, 'AES_128_GCM_SHA256_128');
});

test('an unknown suite is refused', () => {
  for (const id of [0, 6, 0xffff, 1.5]) assertSFrameError(() => cipherSuite(id), 'BAD_INPUT', /not one of RFC 9605/);
});

test('RFC 9605 C.2: the AES-CTR + HMAC AEAD gives each vector ciphertext and opens it', () => {
  assert.equal(RFC9605_C2_CTR_HMAC.length, 3);
  for (const v of RFC9605_C2_CTR_HMAC) {
    const suite = cipherSuite(v.cipherSuite);
    const key = fromHex(v.key);
    // The vector's intermediate values: the AES key is the first 16 bytes, the HMAC key the rest.
    assert.equal(toHex(key.subarray(0, 16)), v.encKey);
    assert.equal(toHex(key.subarray(16)), v.authKey);
    const sealed = suite.seal(key, fromHex(v.nonce), fromHex(v.aad), fromHex(v.pt));
    assert.equal(toHex(sealed), v.ct, suite.name);
    assert.equal(sealed.byteLength, fromHex(v.pt).byteLength + suite.tagBytes);
    assert.equal(toHex(suite.open(key, fromHex(v.nonce), fromHex(v.aad), fromHex(v.ct))), v.pt, suite.name);
  }
});

test('RFC 9605 C.2: any flipped bit in the ciphertext or tag, other AAD, other nonce, or a cut is refused', () => {
  for (const v of RFC9605_C2_CTR_HMAC) {
    const suite = cipherSuite(v.cipherSuite);
    const key = fromHex(v.key);
    const nonce = fromHex(v.nonce);
    const aad = fromHex(v.aad);
    const ct = fromHex(v.ct);
    for (let bit = 0; bit < ct.byteLength * 8; bit++) {
      const altered = ct.slice();
      altered[bit >> 3]! ^= 1 << (bit & 7);
      assertSFrameError(() => suite.open(key, nonce, aad, altered), 'AUTH_FAILED', /does not authenticate/);
    }
    const otherAad = aad.slice();
    otherAad[0]! ^= 1;
    assertSFrameError(() => suite.open(key, nonce, otherAad, ct), 'AUTH_FAILED', /does not authenticate/);
    const otherNonce = nonce.slice();
    otherNonce[11]! ^= 1;
    assertSFrameError(() => suite.open(key, otherNonce, aad, ct), 'AUTH_FAILED', /does not authenticate/);
    assertSFrameError(() => suite.open(key, nonce, aad, ct.subarray(0, ct.byteLength - 1)), 'AUTH_FAILED', /does not authenticate/);
    assertSFrameError(() => suite.open(key, nonce, aad, ct.subarray(0, suite.tagBytes - 1)), 'TRUNCATED', /shorter than its/);
  }
});

test('every suite refuses a key or nonce of the wrong size, and a frame shorter than its tag', () => {
  for (const suite of ALL_CIPHER_SUITES) {
    const key = new Uint8Array(suite.keyBytes);
    const nonce = new Uint8Array(suite.nonceBytes);
    const empty = new Uint8Array(0);
    assertSFrameError(() => suite.seal(key.subarray(1), nonce, empty, empty), 'BAD_INPUT', new RegExp(`key must be ${suite.keyBytes} bytes`));
    assertSFrameError(() => suite.open(key, nonce.subarray(1), empty, new Uint8Array(32)), 'BAD_INPUT', /nonce must be 12 bytes/);
    assertSFrameError(() => suite.open(key, nonce, empty, new Uint8Array(suite.tagBytes - 1)), 'TRUNCATED', /shorter than its/);
    // A tag alone is the sealing of an empty plaintext, so it is well formed and must verify.
    assert.deepEqual(suite.open(key, nonce, empty, suite.seal(key, nonce, empty, empty)), empty);
  }
});

test('every suite opens what it seals, for any plaintext and AAD, and refuses any single flipped bit', () => {
  for (const suite of ALL_CIPHER_SUITES) {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: suite.keyBytes, maxLength: suite.keyBytes }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.nat(),
        (key, nonce, aad, plaintext, flip) => {
          const sealed = suite.seal(key, nonce, aad, plaintext);
          assert.equal(sealed.byteLength, plaintext.byteLength + suite.tagBytes);
          assert.deepEqual(suite.open(key, nonce, aad, sealed), plaintext);
          const altered = sealed.slice();
          const bit = flip % (sealed.byteLength * 8);
          altered[bit >> 3]! ^= 1 << (bit & 7);
          assertSFrameError(() => suite.open(key, nonce, aad, altered), 'AUTH_FAILED', /does not authenticate/);
        },
      ),
      { numRuns: 50 },
    );
  }
});

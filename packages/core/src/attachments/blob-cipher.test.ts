import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BLOB_CHUNK_BYTES, BLOB_TAG_BYTES, CiphertextDigest, ciphertextSize, decryptStream, digestAlong, encryptStream } from './blob-cipher.js';
import { ClientError } from '../errors.js';
import { concatBytes, fromHex, toHex } from '../bytes.js';
import { sha256 } from '@noble/hashes/sha2.js';

const KIB64 = BLOB_CHUNK_BYTES;
const key = Uint8Array.from({ length: 32 }, (_, i) => i);
const otherKey = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);

async function* from(...pieces: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const piece of pieces) yield piece;
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return concatBytes(...parts);
}

/** Deterministic, non-repeating-per-chunk bytes so a reordered chunk could not decrypt to the same text. */
function pattern(size: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 7 + (i >> 16)) & 0xff);
}

const encrypt = (plain: Uint8Array, k = key) => collect(encryptStream(k, from(plain)));
const decrypt = (sealed: Uint8Array, k = key) => collect(decryptStream(k, from(sealed)));

async function assertTampered(sealed: Uint8Array, k = key): Promise<void> {
  await assert.rejects(decrypt(sealed, k), (error: unknown) => {
    assert.ok(error instanceof ClientError);
    assert.equal(error.code, 'FILE_TAMPERED');
    assert.match(error.message, /altered or is incomplete/);
    return true;
  });
}

for (const size of [0, 1, KIB64 - 1, KIB64, KIB64 + 1, 3 * KIB64]) {
  test(`round trip of ${size} bytes, with the exact ciphertext size`, async () => {
    const plain = pattern(size);
    const sealed = await encrypt(plain);
    assert.equal(sealed.byteLength, ciphertextSize(size));
    assert.deepEqual(await decrypt(sealed), plain);
  });
}

test('sealed chunks are full (64 KiB + tag) except the last', async () => {
  const sizes: number[] = [];
  for await (const chunk of encryptStream(key, from(pattern(2 * KIB64 + 5)))) sizes.push(chunk.byteLength);
  assert.deepEqual(sizes, [KIB64 + BLOB_TAG_BYTES, KIB64 + BLOB_TAG_BYTES, 5 + BLOB_TAG_BYTES]);
  const exact: number[] = [];
  for await (const chunk of encryptStream(key, from(pattern(2 * KIB64)))) exact.push(chunk.byteLength);
  assert.deepEqual(exact, [KIB64 + BLOB_TAG_BYTES, KIB64 + BLOB_TAG_BYTES], 'a full final chunk, no empty one after it');
});

test('any input chunking gives the same ciphertext, and any ciphertext chunking decrypts it', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 3 * KIB64 + 10 }),
      fc.array(fc.integer({ min: 0, max: 2 * KIB64 }), { maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 2 * KIB64 }), { maxLength: 8 }),
      async (size, plainCuts, sealedCuts) => {
        const plain = pattern(size);
        const whole = await encrypt(plain);
        const chunked = await collect(encryptStream(key, from(...split(plain, plainCuts))));
        assert.deepEqual(chunked, whole);
        assert.deepEqual(await collect(decryptStream(key, from(...split(whole, sealedCuts)))), plain);
      },
    ),
    { numRuns: 40 },
  );
});

/** Splits bytes at the given piece lengths (empty pieces included), the rest in one piece. */
function split(bytes: Uint8Array, lengths: number[]): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let offset = 0;
  for (const length of lengths) {
    const end = Math.min(bytes.byteLength, offset + length);
    pieces.push(bytes.subarray(offset, end));
    offset = end;
  }
  pieces.push(bytes.subarray(offset));
  return pieces;
}

test('a flipped bit anywhere is refused', async () => {
  const sealed = await encrypt(pattern(2 * KIB64 + 3));
  for (const at of [0, 100, KIB64 + BLOB_TAG_BYTES - 1, KIB64 + BLOB_TAG_BYTES, sealed.byteLength - 1]) {
    const bad = sealed.slice();
    bad[at]! ^= 0x01;
    await assertTampered(bad);
  }
});

test('a flipped bit in an empty file is refused', async () => {
  const sealed = await encrypt(new Uint8Array(0));
  sealed[5]! ^= 0x80;
  await assertTampered(sealed);
});

test('the wrong key is refused', async () => {
  await assertTampered(await encrypt(pattern(10)), otherKey);
});

test('truncation is refused: the final chunk missing, a chunk cut short, nothing at all', async () => {
  const full = KIB64 + BLOB_TAG_BYTES;
  const sealed = await encrypt(pattern(2 * KIB64 + 3));
  await assertTampered(sealed.subarray(0, 2 * full)); // final chunk dropped at a boundary
  await assertTampered(sealed.subarray(0, full)); // two chunks dropped
  await assertTampered(sealed.subarray(0, sealed.byteLength - 1));
  await assertTampered(sealed.subarray(0, 2 * full + 10)); // final chunk shorter than a tag
  await assertTampered(new Uint8Array(0));
  const exact = await encrypt(pattern(2 * KIB64)); // its final chunk is full
  await assertTampered(exact.subarray(0, full));
});

test('bytes after the final chunk are refused', async () => {
  const short = await encrypt(pattern(10));
  await assertTampered(concatBytes(short, new Uint8Array([0])));
  const exact = await encrypt(pattern(KIB64));
  await assertTampered(concatBytes(exact, new Uint8Array(BLOB_TAG_BYTES)));
  await assertTampered(concatBytes(exact, await encrypt(pattern(3))));
});

test('an empty final chunk after full ones is refused, even when sealed with the key', async () => {
  // What a sender holding the key could make (never encryptStream): the file, then an empty final chunk.
  const { chacha20poly1305 } = await import('@noble/ciphers/chacha.js');
  const nonce = (counter: number, last: boolean) => Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, counter, last ? 1 : 0]);
  const first = chacha20poly1305(key, nonce(0, false)).encrypt(pattern(KIB64));
  const empty = chacha20poly1305(key, nonce(1, true)).encrypt(new Uint8Array(0));
  await assert.rejects(decrypt(concatBytes(first, empty)), /an empty chunk after the data/);
});

test('reordered chunks are refused', async () => {
  const full = KIB64 + BLOB_TAG_BYTES;
  const sealed = await encrypt(pattern(3 * KIB64 + 1));
  const chunk = (i: number) => sealed.subarray(i * full, Math.min(sealed.byteLength, (i + 1) * full));
  await assertTampered(concatBytes(chunk(1), chunk(0), chunk(2), chunk(3)));
  await assertTampered(concatBytes(chunk(0), chunk(2), chunk(1), chunk(3)));
  // The final chunk moved: the full chunk now at the end does not verify as final.
  await assertTampered(concatBytes(chunk(0), chunk(1), chunk(3), chunk(2)));
});

test('a chunk spliced in from a file under another key is refused', async () => {
  const full = KIB64 + BLOB_TAG_BYTES;
  const a = await encrypt(pattern(2 * KIB64 + 1));
  const c = await encrypt(pattern(2 * KIB64 + 1), otherKey);
  await assertTampered(concatBytes(a.subarray(0, full), c.subarray(full)));
});

test('known-answer vector (pinned; derived once, cross-checked against OpenSSL)', async () => {
  // Derived with this module, then checked byte for byte against an independent computation:
  // OpenSSL's ChaCha20-Poly1305 (node:crypto createCipheriv('chacha20-poly1305')) with the nonces
  // built by hand (11-byte big-endian counter || last flag) over the same two chunks.
  // Key 00..1f; plaintext byte i = (7i + floor(i / 65536)) mod 256 over 65,536 + 100 bytes.
  const sealed = await encrypt(pattern(KIB64 + 100));
  assert.equal(sealed.byteLength, KIB64 + 100 + 2 * BLOB_TAG_BYTES);
  assert.equal(toHex(sha256(sealed)), KAT_SHA256);
  // An empty file: the tag of one empty final chunk (nonce 00*11 || 01).
  assert.equal(toHex(await encrypt(new Uint8Array(0))), 'fa0e145e8775eb78c274755606de74fb');
  // "Sotto" in one final chunk.
  assert.equal(toHex(await encrypt(new TextEncoder().encode('Sotto'))), '3a3308ad5e19bf24b1856f8627e1b65273a5b3389a');
  assert.deepEqual(await decrypt(fromHex('3a3308ad5e19bf24b1856f8627e1b65273a5b3389a')), new TextEncoder().encode('Sotto'));
});
const KAT_SHA256 = '633734cad3657d8c7febbb4c8c00789f36b4f32a6bfd3c3e2b0e968b7eef7e7f';

test('ciphertextSize is exact at the edges, and refuses a size that is not one', () => {
  assert.equal(ciphertextSize(0), 16);
  assert.equal(ciphertextSize(1), 17);
  assert.equal(ciphertextSize(KIB64), KIB64 + 16);
  assert.equal(ciphertextSize(KIB64 + 1), KIB64 + 1 + 32);
  assert.equal(ciphertextSize(4 * 1024 ** 3), 4 * 1024 ** 3 + 65536 * 16);
  for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => ciphertextSize(bad), (e: unknown) => e instanceof ClientError && e.code === 'INVALID_INPUT');
  }
});

test('a key that is not 32 bytes is refused, encrypting and decrypting', async () => {
  for (const bad of [new Uint8Array(31), new Uint8Array(33), new Uint8Array(0)]) {
    await assert.rejects(encrypt(pattern(1), bad), /must be 32 bytes/);
    await assert.rejects(decrypt(new Uint8Array(16), bad), /must be 32 bytes/);
  }
});

test('a stream that yields something other than bytes is refused', async () => {
  async function* strings() {
    yield 'text' as unknown as Uint8Array;
  }
  await assert.rejects(collect(encryptStream(key, strings())), (e: unknown) => e instanceof ClientError && e.code === 'INVALID_INPUT');
});

test('the ciphertext digest streams alongside, and verify refuses another blob', async () => {
  const digest = new CiphertextDigest();
  const sealed = await collect(digestAlong(encryptStream(key, from(pattern(KIB64 + 7))), digest));
  assert.deepEqual(digest.digest(), sha256(sealed));
  digest.verify(sha256(sealed));
  assert.throws(() => digest.update(new Uint8Array(1)), /already finished/);
  const other = new CiphertextDigest();
  other.update(sealed.subarray(1));
  assert.throws(() => other.verify(sha256(sealed)), (e: unknown) => e instanceof ClientError && e.code === 'FILE_TAMPERED' && /digest differs/.test(e.message));
  assert.throws(() => other.verify(new Uint8Array(5)), /digest differs/);
});

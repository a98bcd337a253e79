import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeHeader, encodeHeader, encodedHeaderLength, MAX_HEADER_BYTES, MAX_U64 } from './header.js';
import { SFrameError, type SFrameErrorReason } from './sframe-error.js';
import { RFC9605_C1_HEADERS } from './rfc9605-vectors.js';
import { concatBytes, fromHex, toHex } from '../bytes.js';

function assertSFrameError(run: () => unknown, reason: SFrameErrorReason, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof SFrameError, `expected an SFrameError, got ${String(error)}`);
    assert.equal(error.code, 'CRYPTO');
    assert.equal(error.reason, reason);
    assert.match(error.message, message);
    return true;
  });
}

test('RFC 9605 C.1: all 289 header vectors encode to the given bytes', () => {
  assert.equal(RFC9605_C1_HEADERS.length, 289);
  for (const { kid, ctr, header } of RFC9605_C1_HEADERS) {
    assert.equal(toHex(encodeHeader({ kid, ctr })), header, `kid ${kid} ctr ${ctr}`);
    assert.equal(encodedHeaderLength({ kid, ctr }), header.length / 2);
  }
});

test('RFC 9605 C.1: all 289 header vectors decode to the given KID and CTR, ignoring what follows', () => {
  for (const { kid, ctr, header } of RFC9605_C1_HEADERS) {
    const bytes = fromHex(header);
    assert.deepEqual(decodeHeader(bytes), { kid, ctr, length: bytes.byteLength }, header);
    const followed = concatBytes(bytes, fromHex('deadbeef'));
    assert.deepEqual(decodeHeader(followed), { kid, ctr, length: bytes.byteLength }, `${header} + payload`);
  }
});

test('every shorter prefix of every C.1 header is refused as truncated', () => {
  let refused = 0;
  for (const { header } of RFC9605_C1_HEADERS) {
    const bytes = fromHex(header);
    assertSFrameError(() => decodeHeader(bytes.subarray(0, 0)), 'BAD_HEADER', /empty/);
    for (let length = 1; length < bytes.byteLength; length++) {
      assertSFrameError(() => decodeHeader(bytes.subarray(0, length)), 'BAD_HEADER', /truncated/);
      refused++;
    }
  }
  assert.ok(refused > 1000, `${refused} truncations checked`);
});

test('a value that is not in its shortest form is refused', () => {
  const cases: Array<[string, RegExp]> = [
    ['0805', /CTR is not in its shortest form/], // CTR 5 belongs in the config byte
    ['0807', /CTR is not in its shortest form/],
    ['0900ff', /CTR is not in its shortest form/], // 0xff fits one byte
    ['0f00ffffffffffffff', /CTR is not in its shortest form/],
    ['8007', /KID is not in its shortest form/],
    ['9000ff', /KID is not in its shortest form/], // 0xff in two bytes
    ['88000108', /KID is not in its shortest form/],
  ];
  for (const [hex, message] of cases) assertSFrameError(() => decodeHeader(fromHex(hex)), 'BAD_HEADER', message);
  // The same values in their shortest forms decode.
  assert.deepEqual(decodeHeader(fromHex('05')), { kid: 0n, ctr: 5n, length: 1 });
  assert.deepEqual(decodeHeader(fromHex('08ff')), { kid: 0n, ctr: 255n, length: 2 });
  assert.deepEqual(decodeHeader(fromHex('8008')), { kid: 8n, ctr: 0n, length: 2 });
});

test('encode refuses a KID or CTR outside 0..2^64-1 and a value that is not a bigint', () => {
  assertSFrameError(() => encodeHeader({ kid: -1n, ctr: 0n }), 'BAD_INPUT', /KID must be an integer from 0 to 2\^64-1/);
  assertSFrameError(() => encodeHeader({ kid: 0n, ctr: MAX_U64 + 1n }), 'BAD_INPUT', /CTR must be/);
  assertSFrameError(() => encodeHeader({ kid: 1 as unknown as bigint, ctr: 0n }), 'BAD_INPUT', /KID must be/);
  assertSFrameError(() => decodeHeader('00' as unknown as Uint8Array), 'BAD_INPUT', /must be bytes/);
  assert.equal(toHex(encodeHeader({ kid: MAX_U64, ctr: MAX_U64 })), 'ff' + 'ff'.repeat(16));
  assert.equal(encodeHeader({ kid: MAX_U64, ctr: MAX_U64 }).byteLength, MAX_HEADER_BYTES);
});

test('any KID and CTR survive encode then decode', () => {
  const u64 = fc.bigInt({ min: 0n, max: MAX_U64 });
  fc.assert(
    fc.property(u64, u64, (kid, ctr) => {
      const bytes = encodeHeader({ kid, ctr });
      assert.deepEqual(decodeHeader(bytes), { kid, ctr, length: bytes.byteLength });
    }),
  );
});

test('any bytes either decode to a header that re-encodes to the same bytes, or are refused as BAD_HEADER', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: MAX_HEADER_BYTES + 2 }), (bytes) => {
      let decoded;
      try {
        decoded = decodeHeader(bytes);
      } catch (error) {
        assert.ok(error instanceof SFrameError && error.reason === 'BAD_HEADER', String(error));
        return;
      }
      assert.equal(toHex(encodeHeader(decoded)), toHex(bytes.subarray(0, decoded.length)));
    }),
    { numRuns: 2000 },
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  deriveKeySalt,
  MLS_EXPORTER_LABEL,
  mlsEpochBaseKey,
  mlsKid,
  parseMlsKid,
  senderBitsFor,
  sframeKeyLabel,
  sframeSaltLabel,
} from './key-schedule.js';
import { ALL_CIPHER_SUITES, cipherSuite } from './suites.js';
import { SFrameError, type SFrameErrorReason } from './sframe-error.js';
import { RFC9605_C3_SFRAME } from './rfc9605-vectors.js';
import { fromHex, toHex } from '../bytes.js';
import { MAX_U64 } from './header.js';

function assertSFrameError(run: () => unknown, reason: SFrameErrorReason, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof SFrameError, `expected an SFrameError, got ${String(error)}`);
    assert.equal(error.reason, reason);
    assert.match(error.message, message);
    return true;
  });
}

test('RFC 9605 C.3: labels, sframe_key and sframe_salt of every suite', () => {
  assert.equal(RFC9605_C3_SFRAME.length, 5);
  for (const v of RFC9605_C3_SFRAME) {
    const suite = cipherSuite(v.cipherSuite);
    assert.equal(toHex(sframeKeyLabel(suite, v.kid)), v.sframeKeyLabel, suite.name);
    assert.equal(toHex(sframeSaltLabel(suite, v.kid)), v.sframeSaltLabel, suite.name);
    const { key, salt } = deriveKeySalt(suite, v.kid, fromHex(v.baseKey));
    assert.equal(toHex(key), v.sframeKey, suite.name);
    assert.equal(toHex(salt), v.sframeSalt, suite.name);
  }
});

test('each KID gets its own key and salt from one base key (how MLS senders are kept apart)', () => {
  const baseKey = fromHex('000102030405060708090a0b0c0d0e0f');
  for (const suite of ALL_CIPHER_SUITES) {
    const a = deriveKeySalt(suite, 0x10n, baseKey);
    const b = deriveKeySalt(suite, 0x11n, baseKey);
    assert.notEqual(toHex(a.key), toHex(b.key));
    assert.notEqual(toHex(a.salt), toHex(b.salt));
    assert.equal(a.key.byteLength, suite.keyBytes);
    assert.equal(a.salt.byteLength, suite.nonceBytes);
  }
});

test('derivation refuses an empty or non-byte base key and a KID outside 0..2^64-1', () => {
  const suite = cipherSuite(4);
  assertSFrameError(() => deriveKeySalt(suite, 1n, new Uint8Array(0)), 'BAD_INPUT', /base key must be non-empty bytes/);
  assertSFrameError(() => deriveKeySalt(suite, 1n, 'key' as unknown as Uint8Array), 'BAD_INPUT', /base key must be/);
  assertSFrameError(() => deriveKeySalt(suite, -1n, new Uint8Array(16)), 'BAD_INPUT', /KID must be an integer/);
  assertSFrameError(() => deriveKeySalt(suite, MAX_U64 + 1n, new Uint8Array(16)), 'BAD_INPUT', /KID must be an integer/);
  assertSFrameError(() => deriveKeySalt(suite, 1 as unknown as bigint, new Uint8Array(16)), 'BAD_INPUT', /KID must be an integer/);
});

test('RFC 9605 figure 9: the example KIDs for E=4, S=6', () => {
  const layout = { senderBits: 6, epochBits: 4 };
  assert.equal(senderBitsFor(64), 6);
  const cases: Array<[bigint, number, bigint, bigint]> = [
    // [epoch, index, context, KID]
    [14n, 3, 0n, 0x3en],
    [14n, 7, 0n, 0x7en],
    [14n, 20, 0n, 0x14en],
    [15n, 3, 0n, 0x3fn],
    [15n, 5, 0n, 0x5fn],
    [16n, 2, 2n, 0x820n],
    [16n, 2, 3n, 0xc20n],
    [17n, 33, 0n, 0x211n],
    [17n, 51, 0n, 0x331n],
  ];
  for (const [epoch, senderIndex, context, kid] of cases) {
    assert.equal(mlsKid(layout, { context, senderIndex, epoch }), kid, `epoch ${epoch} index ${senderIndex}`);
    assert.deepEqual(parseMlsKid(layout, kid), { context, senderIndex, epoch: epoch % 16n });
  }
});

test('senderBitsFor gives the smallest S with groupSize <= 2^S', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 32, 33, 64, 65, 1000].map(senderBitsFor), [0, 1, 2, 2, 3, 5, 6, 6, 7, 10]);
  for (const bad of [0, -1, 1.5, Number.NaN]) assertSFrameError(() => senderBitsFor(bad), 'BAD_INPUT', /group size/);
});

test('an MLS KID refuses an index, context or layout that does not fit its bits', () => {
  const layout = { senderBits: 6, epochBits: 4 };
  assertSFrameError(() => mlsKid(layout, { context: 0n, senderIndex: 64, epoch: 0n }), 'BAD_INPUT', /sender index must be below 2\^6/);
  assertSFrameError(() => mlsKid(layout, { context: 0n, senderIndex: -1, epoch: 0n }), 'BAD_INPUT', /sender index/);
  assertSFrameError(() => mlsKid(layout, { context: 1n << 54n, senderIndex: 0, epoch: 0n }), 'BAD_INPUT', /context must be below 2\^54/);
  assertSFrameError(() => mlsKid(layout, { context: 0n, senderIndex: 0, epoch: -1n }), 'BAD_INPUT', /epoch must be/);
  assertSFrameError(() => mlsKid({ senderBits: 40, epochBits: 25 }, { context: 0n, senderIndex: 0, epoch: 0n }), 'BAD_INPUT', /at most 64/);
  assert.equal(mlsKid(layout, { context: (1n << 54n) - 1n, senderIndex: 63, epoch: MAX_U64 }), MAX_U64);
});

test('any KID parts survive mlsKid then parseMlsKid', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 16 }), fc.bigInt({ min: 0n, max: MAX_U64 }), fc.nat(), fc.bigInt({ min: 0n, max: MAX_U64 }), (s, e, rawContext, rawIndex, epoch) => {
      const layout = { senderBits: s, epochBits: e };
      const context = rawContext >> BigInt(s + e);
      const senderIndex = rawIndex % 2 ** s;
      const kid = mlsKid(layout, { context, senderIndex, epoch });
      assert.deepEqual(parseMlsKid(layout, kid), { context, senderIndex, epoch: epoch % (1n << BigInt(e)) });
    }),
  );
});

test('the epoch base key is the MLS exporter for "SFrame 1.0 Base Key", empty context, AEAD.Nk bytes', async () => {
  for (const suite of ALL_CIPHER_SUITES) {
    const calls: Array<[string, string, number]> = [];
    const baseKey = await mlsEpochBaseKey((label, context, length) => {
      calls.push([label, toHex(context), length]);
      return new Uint8Array(length).fill(7);
    }, suite);
    assert.deepEqual(calls, [[MLS_EXPORTER_LABEL, '', suite.keyBytes]]);
    assert.equal(MLS_EXPORTER_LABEL, 'SFrame 1.0 Base Key');
    assert.equal(baseKey.byteLength, suite.keyBytes);
  }
  await assert.rejects(
    mlsEpochBaseKey(async () => new Uint8Array(3), cipherSuite(4)),
    (error: unknown) => error instanceof SFrameError && error.reason === 'BAD_INPUT' && /must give 16 bytes/.test(error.message),
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { DeviceListSchema, ErrorCode, ListedDeviceSchema, SignedDeviceListSchema, type SignedDeviceList } from './gen/sotto/v1/wire_pb.js';
import { checkChain, checkDeviceList, checkSuccessor, decodeSignedDeviceList, deviceListChanges, deviceListTranscript, encodeDeviceList, type DeviceListCrypto } from './device-list.js';
import { ProtocolError } from './errors.js';

// The rules are what is under test here, not Ed25519 (core's tests sign for real): a "signature"
// is the key's first byte followed by a checksum of the message, and the "hash" a checksum too.
function checksum(bytes: Uint8Array, seed: number): Uint8Array {
  const out = new Uint8Array(32);
  bytes.forEach((b, i) => (out[i % 32] = (out[i % 32]! * 31 + b + seed) & 0xff));
  return out;
}
const fake: DeviceListCrypto = {
  verify: (key, message, signature) => signature[0] === key[0] && checksum(message, key[0]!).every((b, i) => b === signature[i + 1]),
  sha256: (bytes) => checksum(bytes, 7),
};
function fakeSign(key: Uint8Array, message: Uint8Array): Uint8Array {
  const sig = new Uint8Array(64);
  sig[0] = key[0]!;
  sig.set(checksum(message, key[0]!), 1);
  return sig;
}

const device = (id: string, k: number) => create(ListedDeviceSchema, { deviceId: id, identityKey: new Uint8Array(32).fill(k) });
const A = device('aaaa', 1);
const B = device('bbbb', 2);
const C = device('cccc', 3);

function signed(version: bigint, devices: ReturnType<typeof device>[], previousHash: Uint8Array, signer: ReturnType<typeof device>, username = 'alice'): SignedDeviceList {
  const list = encodeDeviceList(create(DeviceListSchema, { username, version, devices, previousHash, signedAt: 1n }));
  return create(SignedDeviceListSchema, { list, signerDeviceId: signer.deviceId, signature: fakeSign(signer.identityKey, deviceListTranscript(list)) });
}

function refusedWith(code: ErrorCode, pattern: RegExp) {
  return (error: unknown) => error instanceof ProtocolError && error.code === code && pattern.test(error.message);
}

const genesis = () => checkDeviceList(signed(1n, [A], new Uint8Array(), A), fake);

test('version 1 names only the first device and is signed by it', () => {
  const v1 = genesis();
  assert.equal(v1.list.version, 1n);
  assert.deepEqual(v1.list.devices.map((d) => d.deviceId), ['aaaa']);
  assert.throws(() => checkDeviceList(signed(1n, [A, B], new Uint8Array(), A), fake), refusedWith(ErrorCode.INVALID_ARGUMENT, /only the account's first device/));
  assert.throws(() => checkDeviceList(signed(1n, [A], new Uint8Array(), B), fake), refusedWith(ErrorCode.INVALID_ARGUMENT, /signed by its only device/));
  const forged = signed(1n, [A], new Uint8Array(), A);
  forged.signature[5]! ^= 1;
  assert.throws(() => checkDeviceList(forged, fake), refusedWith(ErrorCode.BAD_SIGNATURE, /does not verify/));
});

test('a device is added only by a device listed in the version before', () => {
  const v1 = genesis();
  const v2 = checkSuccessor(v1, signed(2n, [A, B], v1.hash, A), fake);
  assert.deepEqual(deviceListChanges(v1.list, v2.list), { added: ['bbbb'], removed: [] });
  // B (listed in v2) may sign v3; C (never listed) may not add itself.
  const v3 = checkSuccessor(v2, signed(3n, [A, B, C], v2.hash, B), fake);
  assert.equal(v3.list.devices.length, 3);
  assert.throws(() => checkSuccessor(v2, signed(3n, [A, B, C], v2.hash, C), fake), refusedWith(ErrorCode.INVALID_ARGUMENT, /not listed before/));
});

test('a version that does not follow the trusted one is stale: wrong number or wrong previous hash', () => {
  const v1 = genesis();
  assert.throws(() => checkSuccessor(v1, signed(3n, [A, B], v1.hash, A), fake), refusedWith(ErrorCode.STALE_DEVICE_LIST, /the next one is 2/));
  assert.throws(() => checkSuccessor(v1, signed(2n, [A, B], new Uint8Array(32), A), fake), refusedWith(ErrorCode.STALE_DEVICE_LIST, /previous hash/));
  assert.throws(() => checkSuccessor(v1, signed(2n, [A, B], v1.hash, A, 'mallory'), fake), refusedWith(ErrorCode.INVALID_ARGUMENT, /another account/));
  // Unchanged: it would only cost every contact a delivery and the server a stored row.
  assert.throws(() => checkSuccessor(v1, signed(2n, [A], v1.hash, A), fake), refusedWith(ErrorCode.INVALID_ARGUMENT, /same devices/));
});

test('a chain is checked step by step, and a removed device can no longer sign', () => {
  const v1 = genesis();
  const v2s = signed(2n, [A, B], v1.hash, A);
  const v2 = checkSuccessor(v1, v2s, fake);
  const v3s = signed(3n, [A], v2.hash, A); // B removed
  const v3 = checkChain(v1, [v2s, v3s], fake);
  assert.equal(v3.list.version, 3n);
  assert.throws(() => checkSuccessor(v3, signed(4n, [A, B], v3.hash, B), fake), refusedWith(ErrorCode.INVALID_ARGUMENT, /not listed before/));
});

test('shape rules: at least one device, at most five, sorted, each once, well-formed', () => {
  const v1 = genesis();
  const six = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'].map((id, i) => device(id, 10 + i));
  assert.throws(() => checkSuccessor(v1, signed(2n, six, v1.hash, A), fake), refusedWith(ErrorCode.INVALID_ARGUMENT, /at most 5/));
  assert.throws(() => checkSuccessor(v1, signed(2n, [], v1.hash, A), fake), refusedWith(ErrorCode.INVALID_ARGUMENT, /last device/));
  const twice = create(DeviceListSchema, { username: 'alice', version: 2n, devices: [A, device('abcd', 1)], previousHash: v1.hash });
  const bytes = toBinary(DeviceListSchema, twice);
  const dup = create(SignedDeviceListSchema, { list: bytes, signerDeviceId: 'aaaa', signature: fakeSign(A.identityKey, deviceListTranscript(bytes)) });
  assert.throws(() => checkSuccessor(v1, dup, fake), refusedWith(ErrorCode.INVALID_ARGUMENT, /listed twice|sorted/));
  const unsorted = toBinary(DeviceListSchema, create(DeviceListSchema, { username: 'alice', version: 2n, devices: [B, A], previousHash: v1.hash }));
  const bad = create(SignedDeviceListSchema, { list: unsorted, signerDeviceId: 'aaaa', signature: fakeSign(A.identityKey, deviceListTranscript(unsorted)) });
  assert.throws(() => checkSuccessor(v1, bad, fake), refusedWith(ErrorCode.INVALID_ARGUMENT, /sorted/));
  const badId = create(ListedDeviceSchema, { deviceId: 'AA/A', identityKey: new Uint8Array(32).fill(9) });
  const withBad = toBinary(DeviceListSchema, create(DeviceListSchema, { username: 'alice', version: 2n, devices: [badId, A], previousHash: v1.hash }));
  const badSigned = create(SignedDeviceListSchema, { list: withBad, signerDeviceId: 'aaaa', signature: fakeSign(A.identityKey, deviceListTranscript(withBad)) });
  assert.throws(() => checkSuccessor(v1, badSigned, fake), refusedWith(ErrorCode.INVALID_ARGUMENT, /malformed device id/));
  const shortKey = create(ListedDeviceSchema, { deviceId: 'aaaa', identityKey: new Uint8Array(31) });
  assert.throws(() => checkDeviceList(signed(1n, [shortKey], new Uint8Array(), shortKey), fake), refusedWith(ErrorCode.INVALID_ARGUMENT, /32 bytes/));
});

test('an oversized or malformed signed list is refused before it is decoded further', () => {
  assert.throws(() => decodeSignedDeviceList(new Uint8Array(4096)), refusedWith(ErrorCode.FRAME_TOO_LARGE, /too large/));
  assert.throws(() => decodeSignedDeviceList(Uint8Array.of(0xff, 0xff, 0xff)), refusedWith(ErrorCode.FRAME_MALFORMED, /does not decode/));
  const big = create(SignedDeviceListSchema, { list: new Uint8Array(2000), signerDeviceId: 'aaaa', signature: new Uint8Array(64) });
  assert.throws(() => checkDeviceList(big, fake), refusedWith(ErrorCode.INVALID_ARGUMENT, /at most 1024 bytes/));
});

test('any bytes: decoding and checking either succeed or throw a ProtocolError, never anything else', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1400 }), (bytes) => {
      try {
        const list = decodeSignedDeviceList(bytes);
        checkDeviceList(list, fake);
      } catch (error) {
        assert.ok(error instanceof ProtocolError, String(error));
      }
    }),
    { numRuns: 2000 },
  );
  // Random DeviceList bodies behind a valid envelope reach the field rules.
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (body) => {
      const s = create(SignedDeviceListSchema, { list: body, signerDeviceId: 'aaaa', signature: new Uint8Array(64) });
      try {
        checkDeviceList(fromBinary(SignedDeviceListSchema, toBinary(SignedDeviceListSchema, s)), fake);
      } catch (error) {
        assert.ok(error instanceof ProtocolError, String(error));
      }
    }),
    { numRuns: 2000 },
  );
});

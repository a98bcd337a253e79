/**
 * @module device-list
 * The rules of an account's signed device list, written once for the server (which refuses a
 * list that breaks them, so nobody stores garbage) and for every client (which trusts no list the
 * server hands it without checking them itself). Pure: the signature check and the hash are
 * passed in, each side with its own crypto.
 *
 * A list names an account's devices. Version 1 is signed by the account's first (only) device;
 * version n+1 by a device listed in version n, and it carries the SHA-256 of version n's bytes.
 * So a device gets into the list only if a device already in it put it there: the server, which
 * holds no device key of the account, can withhold or replay a version but cannot make one.
 */
import { fromBinary, toBinary, create } from '@bufbuild/protobuf';
import { DeviceListSchema, ErrorCode, SignedDeviceListSchema, type DeviceList, type SignedDeviceList } from './gen/sotto/v1/wire_pb.js';
import { ProtocolError } from './errors.js';
import { isValidUsername, LIMITS } from './limits.js';

const SIGNATURE_DOMAIN = new TextEncoder().encode('sotto-device-list-v1');
const DEVICE_ID = /^[0-9a-f]{1,64}$/;
const HASH_BYTES = 32;

/** A device list that passed `checkDeviceList`, with the bytes it was signed over. */
export interface CheckedDeviceList {
  readonly list: DeviceList;
  readonly signed: SignedDeviceList;
  /** SHA-256 of `signed.list`: what the next version names as `previous_hash`. */
  readonly hash: Uint8Array;
}

/** The crypto a side brings: Ed25519 verification and SHA-256. */
export interface DeviceListCrypto {
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  sha256(bytes: Uint8Array): Uint8Array;
}

/** The bytes a device signs for a list: `"sotto-device-list-v1" || list`. */
export function deviceListTranscript(list: Uint8Array): Uint8Array {
  const out = new Uint8Array(SIGNATURE_DOMAIN.byteLength + list.byteLength);
  out.set(SIGNATURE_DOMAIN);
  out.set(list, SIGNATURE_DOMAIN.byteLength);
  return out;
}

function refuse(message: string): never {
  throw new ProtocolError(ErrorCode.INVALID_ARGUMENT, message);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i]);
}

/** Encodes a list (devices sorted by id) and checks its size; the caller signs the result. */
export function encodeDeviceList(list: DeviceList): Uint8Array {
  const sorted = create(DeviceListSchema, { ...list, devices: [...list.devices].sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1)) });
  const bytes = toBinary(DeviceListSchema, sorted);
  if (bytes.byteLength > LIMITS.deviceListMaxBytes) refuse(`A device list is at most ${LIMITS.deviceListMaxBytes} bytes.`);
  return bytes;
}

/** Decodes a SignedDeviceList from a delivery's payload, its size checked first. */
export function decodeSignedDeviceList(bytes: Uint8Array): SignedDeviceList {
  if (bytes.byteLength > LIMITS.deviceListMaxBytes + 256) throw new ProtocolError(ErrorCode.FRAME_TOO_LARGE, 'The signed device list is too large.');
  try {
    return fromBinary(SignedDeviceListSchema, bytes);
  } catch {
    throw new ProtocolError(ErrorCode.FRAME_MALFORMED, 'The signed device list does not decode.');
  }
}

/**
 * Decodes and checks the shape of one signed version on its own: sizes, the username, the
 * version, 1 to 5 devices sorted by id with unique ids and keys, the signer's signature (for
 * version 1: the only device; otherwise the signer's key must come from `previous`, so the
 * caller checks the chain with `checkSuccessor`). Throws ProtocolError INVALID_ARGUMENT (or
 * BAD_SIGNATURE) with a message that says which rule broke.
 */
export function checkDeviceList(signed: SignedDeviceList, crypto: DeviceListCrypto): CheckedDeviceList {
  if (signed.list.byteLength > LIMITS.deviceListMaxBytes) refuse(`A device list is at most ${LIMITS.deviceListMaxBytes} bytes.`);
  if (signed.signature.byteLength !== LIMITS.signatureBytes) refuse('A device list signature is 64 bytes.');
  if (!DEVICE_ID.test(signed.signerDeviceId)) refuse('The device list names no valid signer.');
  let list: DeviceList;
  try {
    list = fromBinary(DeviceListSchema, signed.list);
  } catch {
    refuse('The device list does not decode.');
  }
  if (!isValidUsername(list.username)) refuse('The device list names no valid account.');
  if (list.version < 1n) refuse('A device list version starts at 1.');
  if (list.devices.length < 1) refuse('A device list names at least one device: an account cannot remove its last device.');
  if (list.devices.length > LIMITS.maxDevicesPerAccount) refuse(`An account has at most ${LIMITS.maxDevicesPerAccount} devices.`);
  const ids = new Set<string>();
  const keys = new Set<string>();
  let previousId = '';
  for (const device of list.devices) {
    if (!DEVICE_ID.test(device.deviceId)) refuse('The device list holds a malformed device id.');
    if (device.identityKey.byteLength !== LIMITS.identityKeyBytes) refuse('A listed identity key is 32 bytes.');
    if (device.deviceId <= previousId) refuse('The devices of a list are sorted by id, each once.');
    previousId = device.deviceId;
    const key = Array.from(device.identityKey).join(',');
    if (ids.has(device.deviceId) || keys.has(key)) refuse('A device is listed twice.');
    ids.add(device.deviceId);
    keys.add(key);
  }
  if (list.version === 1n) {
    if (list.previousHash.byteLength !== 0) refuse('Version 1 of a device list has no previous version.');
    if (list.devices.length !== 1) refuse("Version 1 of a device list names only the account's first device.");
    const only = list.devices[0]!;
    if (signed.signerDeviceId !== only.deviceId) refuse('Version 1 of a device list is signed by its only device.');
    if (!crypto.verify(only.identityKey, deviceListTranscript(signed.list), signed.signature)) {
      throw new ProtocolError(ErrorCode.BAD_SIGNATURE, 'The device list signature does not verify.');
    }
  } else if (list.previousHash.byteLength !== HASH_BYTES) {
    refuse('A device list after version 1 names the hash of the version before it.');
  }
  return { list, signed, hash: crypto.sha256(signed.list) };
}

/**
 * Checks that `next` may follow `previous`: the same account, the next version, the previous
 * version's hash, and a signature by a device listed in `previous`. Returns `next` checked.
 */
export function checkSuccessor(previous: CheckedDeviceList, nextSigned: SignedDeviceList, crypto: DeviceListCrypto): CheckedDeviceList {
  const next = checkDeviceList(nextSigned, crypto);
  if (next.list.username !== previous.list.username) refuse('The device list is for another account.');
  if (next.list.version !== previous.list.version + 1n) {
    throw new ProtocolError(ErrorCode.STALE_DEVICE_LIST, `The device list is version ${next.list.version}; the next one is ${previous.list.version + 1n}.`);
  }
  if (!sameBytes(next.list.previousHash, previous.hash)) {
    throw new ProtocolError(ErrorCode.STALE_DEVICE_LIST, 'The device list does not follow the stored version (its previous hash differs).');
  }
  // A version that changes nothing would only cost every contact a delivery and the server a row:
  // each version must add or remove a device (or change a key).
  if (sameDevices(previous.list, next.list)) refuse('The device list names the same devices as the version before it.');
  const signer = previous.list.devices.find((d) => d.deviceId === nextSigned.signerDeviceId);
  if (!signer) refuse('The device list is signed by a device that was not listed before it.');
  if (!crypto.verify(signer.identityKey, deviceListTranscript(nextSigned.list), nextSigned.signature)) {
    throw new ProtocolError(ErrorCode.BAD_SIGNATURE, 'The device list signature does not verify.');
  }
  return next;
}

/**
 * Checks a run of versions after `known` (oldest first), each the successor of the one before.
 * Returns the newest; `known` itself when the run is empty.
 */
export function checkChain(known: CheckedDeviceList, run: readonly SignedDeviceList[], crypto: DeviceListCrypto): CheckedDeviceList {
  let current = known;
  for (const signed of run) current = checkSuccessor(current, signed, crypto);
  return current;
}

function sameDevices(a: DeviceList, b: DeviceList): boolean {
  return a.devices.length === b.devices.length && a.devices.every((d, i) => d.deviceId === b.devices[i]!.deviceId && sameBytes(d.identityKey, b.devices[i]!.identityKey));
}

/** What changed between two versions: device ids added and removed. */
export function deviceListChanges(before: DeviceList, after: DeviceList): { added: string[]; removed: string[] } {
  const had = new Set(before.devices.map((d) => d.deviceId));
  const has = new Set(after.devices.map((d) => d.deviceId));
  return {
    added: after.devices.filter((d) => !had.has(d.deviceId)).map((d) => d.deviceId),
    removed: before.devices.filter((d) => !has.has(d.deviceId)).map((d) => d.deviceId),
  };
}

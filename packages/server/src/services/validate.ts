/** @module services/validate Field checks shared by the services; each failure is INVALID_ARGUMENT with a message naming the field. */
import { ErrorCode, FRAME_BODY_LIMITS, FrameType, isValidUsername, LIMITS } from '@sotto/protocol';
import { ServerError } from '../errors.js';
import type { DeviceAddress } from '../storage/types.js';

export function invalid(message: string): ServerError {
  return new ServerError(ErrorCode.INVALID_ARGUMENT, message);
}

export function requireUsername(username: string, field = 'username'): void {
  if (!isValidUsername(username)) {
    throw invalid(
      `${field} must be ${LIMITS.usernameMinLength}-${LIMITS.usernameMaxLength} characters of a-z, 0-9, '_', '.' or '-', starting with a letter, digit or '_'.`,
    );
  }
}

export function requireDeviceId(deviceId: string, field = 'device_id'): void {
  if (deviceId.length === 0 || deviceId.length > LIMITS.deviceIdMaxLength) {
    throw invalid(`${field} must be 1-${LIMITS.deviceIdMaxLength} characters.`);
  }
}

export function requireDeviceRef(ref: DeviceAddress, field: string): DeviceAddress {
  requireUsername(ref.username, `${field}.username`);
  requireDeviceId(ref.deviceId, `${field}.device_id`);
  // Copy: protobuf messages carry extra fields the store does not need.
  return { username: ref.username, deviceId: ref.deviceId };
}

export function requireBytes(value: Uint8Array, length: number, field: string): void {
  if (value.byteLength !== length) throw invalid(`${field} must be ${length} bytes, not ${value.byteLength}.`);
}

/**
 * Whatever is stored goes out again inside a DELIVERY frame with a few
 * hundred bytes of envelope (sender, ids, seq), so stored payloads leave room
 * for it: a message that could be stored but never delivered would be lost.
 */
const DELIVERY_ENVELOPE_BYTES = 1024;
export const MAX_MAIL_PAYLOAD_BYTES = (FRAME_BODY_LIMITS[FrameType.DELIVERY] ?? 0) - DELIVERY_ENVELOPE_BYTES;

export function requirePayload(value: Uint8Array, field: string, options: { optional?: boolean } = {}): void {
  if (value.byteLength === 0 && !options.optional) throw invalid(`${field} must not be empty.`);
  if (value.byteLength > MAX_MAIL_PAYLOAD_BYTES) {
    throw new ServerError(ErrorCode.FRAME_TOO_LARGE, `${field} of ${value.byteLength} bytes exceeds ${MAX_MAIL_PAYLOAD_BYTES}.`);
  }
}

/** How far a clock may be ahead of the server's before a disappearing message's expiry is refused. */
export const EXPIRY_SKEW_MS = 60_000;
/** The latest expiry a SEND may ask for: the longest disappearing timer, plus the skew. */
export const MAX_EXPIRY_AHEAD_MS = LIMITS.disappearingMaxSeconds * 1000 + EXPIRY_SKEW_MS;

/**
 * A disappearing message's `expires_at` (ms since epoch; 0: none), checked against `now`: a time
 * already past would be stored only to be deleted, and one beyond the longest timer is no timer a
 * client sets. Returns it as a number, 0 for none.
 */
export function requireExpiry(expiresAt: bigint, now: number, field = 'expires_at'): number {
  if (expiresAt === 0n) return 0;
  if (expiresAt < 0n) throw invalid(`${field} must be 0 (no expiry) or a time in ms since the epoch, not negative.`);
  if (expiresAt <= BigInt(now)) throw invalid(`${field} is not in the future: the message would expire before it is stored.`);
  if (expiresAt > BigInt(now + MAX_EXPIRY_AHEAD_MS)) {
    throw invalid(`${field} is more than ${LIMITS.disappearingMaxSeconds / 86_400} days ahead (the longest disappearing timer).`);
  }
  return Number(expiresAt);
}

/** Epochs are u64 on the wire; storage keeps them as exact integers, so they stay below 2^53. */
export function requireEpoch(epoch: bigint, field = 'epoch'): void {
  if (epoch < 0n || epoch > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(`${field} is out of range.`);
}

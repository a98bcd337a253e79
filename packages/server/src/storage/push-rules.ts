/**
 * @module storage/push-rules
 * The pacing of Web Push, decided once for both backends: given a subscription's record of past
 * pushes, whether one may go now and what to record. Each backend reads the row under its lock,
 * asks here, and writes the answer back.
 */
import type { PushPacing, VapidKeyPair } from './domains/push.js';

/** The settings key holding the VAPID key pair as JSON. */
export const VAPID_KEYS_SETTING = 'push_vapid_keys';

/** What a subscription row remembers of its pushes (all 0 before the first). */
export interface PushTally {
  readonly lastPushAt: number;
  readonly windowStart: number;
  readonly windowCount: number;
}

/** The tally to write when a push may go now, else undefined (too soon, or the window's budget is spent). */
export function planPush(tally: PushTally, now: number, pacing: PushPacing): PushTally | undefined {
  if (tally.lastPushAt > 0 && now - tally.lastPushAt < pacing.minGapMs) return undefined;
  const fresh = now - tally.windowStart >= pacing.windowMs;
  const windowStart = fresh ? now : tally.windowStart;
  const windowCount = fresh ? 0 : tally.windowCount;
  if (windowCount >= pacing.budget) return undefined;
  return { lastPushAt: now, windowStart, windowCount: windowCount + 1 };
}

export function encodeVapidKeys(keys: VapidKeyPair): string {
  return JSON.stringify({ publicKey: keys.publicKey, privateKey: keys.privateKey });
}

export function decodeVapidKeys(value: string): VapidKeyPair {
  const parsed = JSON.parse(value) as Partial<VapidKeyPair>;
  if (typeof parsed.publicKey !== 'string' || typeof parsed.privateKey !== 'string') {
    throw new TypeError(`the ${VAPID_KEYS_SETTING} setting is not a VAPID key pair`);
  }
  return { publicKey: parsed.publicKey, privateKey: parsed.privateKey };
}

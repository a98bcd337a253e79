/** @module storage/push-rules.test The pacing of Web Push: the gap, the window's budget, a new window. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeVapidKeys, encodeVapidKeys, planPush } from './push-rules.js';

const PACING = { minGapMs: 30_000, budget: 2, windowMs: 3_600_000 };
const NONE = { lastPushAt: 0, windowStart: 0, windowCount: 0 };
const T = 1_800_000_000_000;

test('the first push goes and opens a window', () => {
  assert.deepEqual(planPush(NONE, T, PACING), { lastPushAt: T, windowStart: T, windowCount: 1 });
});

test('nothing within the gap; the next after it counts against the window', () => {
  const first = planPush(NONE, T, PACING)!;
  assert.equal(planPush(first, T + 29_999, PACING), undefined);
  assert.deepEqual(planPush(first, T + 30_000, PACING), { lastPushAt: T + 30_000, windowStart: T, windowCount: 2 });
});

test('a spent budget waits for the next window, which starts afresh', () => {
  const spent = { lastPushAt: T + 30_000, windowStart: T, windowCount: 2 };
  assert.equal(planPush(spent, T + 3_599_999, PACING), undefined);
  assert.deepEqual(planPush(spent, T + 3_600_000, PACING), { lastPushAt: T + 3_600_000, windowStart: T + 3_600_000, windowCount: 1 });
});

test('the VAPID key pair round-trips through its setting; anything else is refused', () => {
  const keys = { publicKey: 'BA', privateKey: 'x' };
  assert.deepEqual(decodeVapidKeys(encodeVapidKeys(keys)), keys);
  assert.throws(() => decodeVapidKeys('{"publicKey":1}'), /not a VAPID key pair/);
});

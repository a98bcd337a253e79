/** @module gateway/flood-guard.test What happens to refused frames: one RATE_LIMITED answer a second, budgets before and after hello. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '@sotto/protocol';
import { DEFAULT_FLOOD_LIMITS, FloodGuard, isRefusal, type FloodLimits } from './flood-guard.js';

const limits: FloodLimits = {
  refusalsBeforeHello: { perSecond: 1, burst: 4 },
  refusals: { perSecond: 10, burst: 50 },
  rateLimitedAnswers: { perSecond: 1, burst: 1 },
};

test('frames over the rate: one answer a second, the rest dropped, then closed when the budget is gone', () => {
  let now = 0;
  const guard = new FloodGuard(limits, () => now);
  guard.authenticated();
  assert.equal(guard.rateLimited(), 'answer');
  for (let i = 0; i < 10; i += 1) assert.equal(guard.rateLimited(), 'drop');
  now += 1_000; // a second later: one more answer, and 10 refusals back in the budget
  assert.equal(guard.rateLimited(), 'answer');
  const verdicts = Array.from({ length: 60 }, () => guard.rateLimited());
  assert.equal(verdicts.filter((v) => v === 'answer').length, 0);
  // 50 + 10 refilled - 12 taken = 48 more before the budget is empty.
  assert.equal(verdicts.indexOf('close'), 48);
});

test('before hello a handful of refusals closes the connection; after hello the budget is large and full', () => {
  const now = 0;
  const early = new FloodGuard(limits, () => now);
  assert.deepEqual(Array.from({ length: 5 }, () => early.refused()), ['answer', 'answer', 'answer', 'answer', 'close']);
  const late = new FloodGuard(limits, () => now);
  late.refused();
  late.refused();
  late.authenticated();
  const verdicts = Array.from({ length: 51 }, () => late.refused());
  assert.equal(verdicts.indexOf('close'), 50);
});

test('a client refused now and then is never closed', () => {
  let now = 0;
  const guard = new FloodGuard(DEFAULT_FLOOD_LIMITS, () => now);
  guard.authenticated();
  // Ten refusals a second for ten minutes: well inside the refill.
  for (let second = 0; second < 600; second += 1, now += 1_000) {
    for (let i = 0; i < 10; i += 1) assert.notEqual(guard.refused(), 'close');
  }
});

test('only errors about the frame itself are refusals; a service answer is not', () => {
  for (const code of [ErrorCode.FRAME_MALFORMED, ErrorCode.UNKNOWN_FRAME_TYPE, ErrorCode.NOT_AUTHENTICATED, ErrorCode.FRAME_TOO_LARGE]) assert.equal(isRefusal(code), true);
  for (const code of [ErrorCode.RATE_LIMITED, ErrorCode.STALE_EPOCH, ErrorCode.NOT_A_CONTACT, ErrorCode.INTERNAL, ErrorCode.BAD_SIGNATURE]) assert.equal(isRefusal(code), false);
});

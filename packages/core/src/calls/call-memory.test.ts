/** @module calls/call-memory.test: recent call ids (bounded) and the per-contact ring allowance (a token bucket). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  admitRing, remember, rememberedCall, EMPTY_CALL_MEMORY, MAX_RING_ALLOWANCES, RECENT_CALLS_KEPT, RING_BURST, RING_REFILL_MS,
  type CallMemory,
} from './index.js';

const T0 = 1_000_000;

/** Offers `count` rings from `user` at `now`; returns how many were admitted and how many reported. */
function offer(memory: CallMemory, user: string, now: number, count: number): { memory: CallMemory; admitted: number; reported: number } {
  let admitted = 0;
  let reported = 0;
  for (let i = 0; i < count; i++) {
    const result = admitRing(memory, user, now);
    memory = result.memory;
    if (result.admitted) admitted++;
    else if (result.report) reported++;
  }
  return { memory, admitted, reported };
}

test('recent calls: remembered with their outcome, updated in place, the oldest forgotten past the bound', () => {
  let memory = remember(EMPTY_CALL_MEMORY, 'a', 'declined');
  memory = remember(memory, 'b', 'busy');
  assert.deepEqual(rememberedCall(memory, 'a'), { callId: 'a', outcome: 'declined' });
  assert.deepEqual(rememberedCall(memory, 'b'), { callId: 'b', outcome: 'busy' });
  assert.equal(rememberedCall(memory, 'c'), undefined);
  memory = remember(memory, 'a', 'missed');
  assert.deepEqual(memory.recent, [{ callId: 'b', outcome: 'busy' }, { callId: 'a', outcome: 'missed' }]);
  for (let i = 0; i < RECENT_CALLS_KEPT; i++) memory = remember(memory, `n${i}`, 'answered');
  assert.equal(memory.recent.length, RECENT_CALLS_KEPT);
  assert.equal(rememberedCall(memory, 'b'), undefined, 'the oldest went first');
  assert.equal(rememberedCall(memory, 'a'), undefined);
  assert.ok(rememberedCall(memory, `n${RECENT_CALLS_KEPT - 1}`));
  assert.ok(rememberedCall(memory, 'n0'));
});

test('ring allowance: a burst, then silence; the first refusal alone is to be reported', () => {
  const flood = offer(EMPTY_CALL_MEMORY, 'alice', T0, 1000);
  assert.equal(flood.admitted, RING_BURST);
  assert.equal(flood.reported, 1);
  // Per contact: carol's allowance is her own.
  assert.equal(offer(flood.memory, 'carol', T0, 10).admitted, RING_BURST);
});

test('ring allowance: refilled one ring per RING_REFILL_MS, up to the burst; a new flood is reported again', () => {
  let { memory } = offer(EMPTY_CALL_MEMORY, 'alice', T0, 10);
  assert.equal(offer(memory, 'alice', T0 + RING_REFILL_MS - 1, 5).admitted, 0);
  const later = offer(memory, 'alice', T0 + RING_REFILL_MS, 5);
  assert.equal(later.admitted, 1);
  assert.equal(later.reported, 1, 'a ring was admitted since the last report: this is a new flood');
  memory = later.memory;
  // Two and a half intervals later: two whole rings earned, the half carried over.
  assert.equal(offer(memory, 'alice', T0 + 3.5 * RING_REFILL_MS, 5).admitted, 2);
  assert.equal(offer(memory, 'alice', T0 + 1000 * RING_REFILL_MS, 10).admitted, RING_BURST, 'never more than the burst');
});

test('ring allowance: a clock that steps back, or is not a number, earns nothing', () => {
  const { memory } = offer(EMPTY_CALL_MEMORY, 'alice', T0, 10);
  assert.equal(offer(memory, 'alice', T0 - 10 * RING_REFILL_MS, 5).admitted, 0);
  assert.equal(offer(memory, 'alice', Number.NaN, 5).admitted, 0);
  // After stepping back, time is counted from where it was, not from the earlier reading.
  const back = offer(memory, 'alice', T0 - 10 * RING_REFILL_MS, 1).memory;
  assert.equal(offer(back, 'alice', T0 + RING_REFILL_MS, 5).admitted, 1);
});

test('ring allowance: a refused ring after the report leaves the memory as it was', () => {
  const { memory } = offer(EMPTY_CALL_MEMORY, 'alice', T0, RING_BURST + 1);
  const again = admitRing(memory, 'alice', T0);
  assert.equal(again.admitted, false);
  assert.equal(again.memory, memory);
});

test('ring allowance: bounded in contacts; full allowances are forgotten first, then the least recently used', () => {
  let memory = offer(EMPTY_CALL_MEMORY, 'flooder', T0, RING_BURST + 1).memory;
  for (let i = 0; i < MAX_RING_ALLOWANCES - 1; i++) memory = offer(memory, `c${i}`, T0, 1).memory;
  assert.equal(memory.allowances.length, MAX_RING_ALLOWANCES);
  assert.equal(admitRing(memory, 'flooder', T0).admitted, false, 'still among the tracked: still refused');
  // One contact more: the least recently used allowance (the flooder's) is the one forgotten.
  memory = offer(memory, 'one-more', T0, 1).memory;
  assert.equal(memory.allowances.length, MAX_RING_ALLOWANCES);
  assert.equal(memory.allowances.some((a) => a.user === 'flooder'), false);
  // Once every allowance is full again, none carries information: they make room first.
  memory = offer(memory, 'fresh', T0 + RING_BURST * RING_REFILL_MS, 1).memory;
  assert.deepEqual(memory.allowances.map((a) => a.user), ['fresh']);
});

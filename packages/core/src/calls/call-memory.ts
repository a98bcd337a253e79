/**
 * @module calls/call-memory: what the call machine remembers across calls, as plain data: the
 * recent call ids with their outcome (so no id ever rings twice), and each contact's ring
 * allowance, a token bucket on event time (so a contact cannot make this device ring or answer
 * without end, whatever the server let through). Pure: time comes only from the events.
 */
import type { CallId, CallOutcome } from './call-types.js';
import { MAX_RING_ALLOWANCES, RECENT_CALLS_KEPT, RING_BURST, RING_REFILL_MS } from './call-types.js';

/** A call id this device rang, placed or answered busy, and what became of it. */
export interface RememberedCall {
  readonly callId: CallId;
  readonly outcome: CallOutcome;
}

/** One contact's ring allowance. */
export interface RingAllowance {
  readonly user: string;
  /** Whole rings this contact may still have admitted now. */
  readonly tokens: number;
  /** Event time up to which refills are counted; it never moves back, so a clock stepping back earns nothing. */
  readonly refilledAt: number;
  /** A refused ring was reported; cleared when a ring is admitted again, so each flood is reported once. */
  readonly floodReported: boolean;
}

export interface CallMemory {
  /** Oldest first, at most RECENT_CALLS_KEPT. */
  readonly recent: readonly RememberedCall[];
  /** Least recently used first, at most MAX_RING_ALLOWANCES. */
  readonly allowances: readonly RingAllowance[];
}

export const EMPTY_CALL_MEMORY: CallMemory = { recent: [], allowances: [] };

export function rememberedCall(memory: CallMemory, callId: CallId): RememberedCall | undefined {
  return memory.recent.find((r) => r.callId === callId);
}

/** Records (or updates) what became of `callId`, forgetting the oldest beyond RECENT_CALLS_KEPT. */
export function remember(memory: CallMemory, callId: CallId, outcome: CallOutcome): CallMemory {
  const others = memory.recent.filter((r) => r.callId !== callId);
  const recent = [...others, { callId, outcome }];
  return { ...memory, recent: recent.length > RECENT_CALLS_KEPT ? recent.slice(recent.length - RECENT_CALLS_KEPT) : recent };
}

export type RingAdmission =
  | { readonly admitted: true; readonly memory: CallMemory }
  /** `report`: this is the first ring refused in this flood, to be reported as an anomaly. */
  | { readonly admitted: false; readonly memory: CallMemory; readonly report: boolean };

/** Takes one ring from `user`'s allowance at event time `now`, if one is left. */
export function admitRing(memory: CallMemory, user: string, now: number): RingAdmission {
  const known = memory.allowances.find((a) => a.user === user);
  const current = known ? refilled(known, now) : { user, tokens: RING_BURST, refilledAt: now, floodReported: false };
  if (current.tokens >= 1) {
    return { admitted: true, memory: withAllowance(memory, { ...current, tokens: current.tokens - 1, floodReported: false }, now) };
  }
  if (current === known && known.floodReported) return { admitted: false, memory, report: false };
  return { admitted: false, memory: withAllowance(memory, { ...current, floodReported: true }, now), report: !current.floodReported };
}

/** The allowance with the whole refills earned since `refilledAt`. */
function refilled(allowance: RingAllowance, now: number): RingAllowance {
  // Written so that NaN and a clock that stepped back both earn nothing.
  if (!(now > allowance.refilledAt)) return allowance;
  const earned = Math.floor((now - allowance.refilledAt) / RING_REFILL_MS);
  if (!(earned >= 1)) return allowance;
  const tokens = Math.min(RING_BURST, allowance.tokens + earned);
  return { ...allowance, tokens, refilledAt: tokens === RING_BURST ? now : allowance.refilledAt + earned * RING_REFILL_MS };
}

/** Stores `allowance` as the most recently used, evicting allowances that carry no information first. */
function withAllowance(memory: CallMemory, allowance: RingAllowance, now: number): CallMemory {
  let allowances = [...memory.allowances.filter((a) => a.user !== allowance.user), allowance];
  if (allowances.length > MAX_RING_ALLOWANCES) {
    // A full allowance is what an unknown contact starts with: forgetting it changes nothing.
    const informative = allowances.filter((a) => a === allowance || refilled(a, now).tokens < RING_BURST || a.floodReported);
    allowances = informative.length <= MAX_RING_ALLOWANCES ? informative : informative.slice(informative.length - MAX_RING_ALLOWANCES);
  }
  return { ...memory, allowances };
}

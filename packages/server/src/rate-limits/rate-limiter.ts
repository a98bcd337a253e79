/**
 * @module rate-limits/rate-limiter
 * The rate limiter contract, and the one algorithm every backend implements: GCRA (the generic
 * cell rate algorithm), a token bucket kept as a single number per key, the "theoretical arrival
 * time" (TAT). A key whose TAT is in the past is a full bucket, so it can be forgotten: that is
 * what keeps memory bounded however many keys an attacker invents.
 */

/** A steady rate with room for a burst. */
export interface RateRule {
  /** Actions per `periodMs`, sustained. */
  readonly limit: number;
  readonly periodMs: number;
  /** Actions allowed at once from a full bucket; at least 1. */
  readonly burst: number;
}

export interface RateCheck {
  readonly key: string;
  readonly rule: RateRule;
}

export type RateDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

export interface RateLimiter {
  /**
   * Takes one action from every check's bucket at `now`, all or nothing: when any bucket is empty,
   * none is charged and the answer says how long until all of them allow it.
   */
  take(checks: readonly RateCheck[], now: number): Promise<RateDecision>;
  /** Forgets keys whose buckets are full again at `now`; returns how many it forgot. */
  prune(now: number): Promise<number>;
  close(): Promise<void>;
}

/** Milliseconds one action adds to a key's TAT. */
export function emissionInterval(rule: RateRule): number {
  return rule.periodMs / rule.limit;
}

/**
 * One GCRA step for one key: the TAT after taking an action at `now`, and how long to wait when
 * the action does not fit. `tat` is undefined for a key never seen (or forgotten).
 */
export function gcraStep(tat: number | undefined, now: number, rule: RateRule): { readonly tat: number; readonly waitMs: number } {
  const interval = emissionInterval(rule);
  const next = Math.max(tat ?? now, now) + interval;
  // The bucket holds `burst` intervals of credit: the action fits if the new TAT is within it.
  const waitMs = next - now - interval * rule.burst;
  // A sliver over zero is floating-point noise from intervals like 1000/3, not a real wait.
  return { tat: next, waitMs: waitMs > 1e-6 ? Math.ceil(waitMs) : 0 };
}

/** Checks sorted by key with duplicates merged, so backends that lock rows lock them in one order. */
export function orderedChecks(checks: readonly RateCheck[]): RateCheck[] {
  const byKey = new Map<string, RateCheck>();
  for (const check of checks) byKey.set(check.key, check);
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

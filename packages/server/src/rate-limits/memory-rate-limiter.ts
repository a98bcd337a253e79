/**
 * @module rate-limits/memory-rate-limiter
 * GCRA state in process memory: the shared state of a single node. Keys whose bucket is full again
 * are dropped on a sweep; if an attacker still makes more than `maxKeys` live keys, the oldest are
 * dropped (they lose their limit early, which is the price of never growing without bound).
 */
import { gcraStep, orderedChecks, type RateCheck, type RateDecision, type RateLimiter } from './rate-limiter.js';

export const DEFAULT_MAX_KEYS = 200_000;

export class MemoryRateLimiter implements RateLimiter {
  /** Key to TAT, in insertion order (a key is re-inserted when it changes, so oldest first). */
  private readonly tats = new Map<string, number>();

  constructor(private readonly maxKeys = DEFAULT_MAX_KEYS) {}

  get size(): number {
    return this.tats.size;
  }

  take(checks: readonly RateCheck[], now: number): Promise<RateDecision> {
    const steps = orderedChecks(checks).map((check) => ({ key: check.key, ...gcraStep(this.tats.get(check.key), now, check.rule) }));
    const waitMs = Math.max(0, ...steps.map((s) => s.waitMs));
    if (waitMs > 0) return Promise.resolve({ allowed: false, retryAfterMs: waitMs });
    for (const step of steps) {
      this.tats.delete(step.key);
      this.tats.set(step.key, step.tat);
    }
    if (this.tats.size > this.maxKeys) this.shrink(now);
    return Promise.resolve({ allowed: true });
  }

  prune(now: number): Promise<number> {
    let forgotten = 0;
    for (const [key, tat] of this.tats) {
      if (tat <= now) {
        this.tats.delete(key);
        forgotten += 1;
      }
    }
    return Promise.resolve(forgotten);
  }

  close(): Promise<void> {
    this.tats.clear();
    return Promise.resolve();
  }

  private shrink(now: number): void {
    void this.prune(now);
    // Still too many live keys: drop the least recently charged down to 90 % so this stays rare.
    const target = Math.floor(this.maxKeys * 0.9);
    for (const key of this.tats.keys()) {
      if (this.tats.size <= target) break;
      this.tats.delete(key);
    }
  }
}

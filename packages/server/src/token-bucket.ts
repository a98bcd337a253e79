/** @module token-bucket A token bucket: a steady rate with room for bursts (reconnect drains, bulk uploads). */
import type { Clock } from './clock.js';

export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

export const DEFAULT_RATE_LIMIT: RateLimit = { perSecond: 200, burst: 2000 };

/** One clock for every bucket, rather than a closure made per bucket (one per connection). */
const monotonicNow: Clock = () => performance.now();

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly limit: RateLimit,
    private readonly now: Clock = monotonicNow,
  ) {
    this.tokens = limit.burst;
    this.last = this.now();
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Seconds until the next token, rounded up; 0 when one is there now. */
  waitSeconds(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / this.limit.perSecond);
  }

  /** Back at the full burst: a bucket in this state can be forgotten and made again. */
  isFull(): boolean {
    this.refill();
    return this.tokens >= this.limit.burst;
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.last) / 1000) * this.limit.perSecond);
    this.last = now;
  }
}

/**
 * @module services/ring-limiter
 * Rings (and strangers' call requests) per calling account. A ring makes another member's
 * device ring, so it is limited far below ordinary messages: a flood of rings is harassment
 * even when each one is harmless. The limit is per node (see docs/SECURITY.md).
 */
import { ErrorCode } from '@sotto/protocol';
import type { Clock } from '../clock.js';
import { ServerError } from '../errors.js';

export interface RingLimit {
  /** Rings an account may place per minute, sustained; also the burst. */
  readonly perMinute: number;
}

export const DEFAULT_RING_LIMIT: RingLimit = { perMinute: 6 };

/** Buckets are dropped once full again, so idle callers cost nothing; this caps the rest. */
const MAX_TRACKED_ACCOUNTS = 100_000;

interface Bucket {
  tokens: number;
  last: number;
}

export class RingLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limit: RingLimit,
    private readonly now: Clock,
  ) {}

  /** Counts one ring from `account`, or throws RATE_LIMITED saying when the next one is allowed. */
  take(account: string): void {
    const now = this.now();
    const perMs = this.limit.perMinute / 60_000;
    const bucket = this.buckets.get(account) ?? { tokens: this.limit.perMinute, last: now };
    bucket.tokens = Math.min(this.limit.perMinute, bucket.tokens + (now - bucket.last) * perMs);
    bucket.last = now;
    if (bucket.tokens < 1) {
      const waitSeconds = Math.ceil((1 - bucket.tokens) / perMs / 1000);
      this.buckets.set(account, bucket);
      throw new ServerError(
        ErrorCode.RATE_LIMITED,
        `Too many calls: at most ${this.limit.perMinute} a minute. Try again in ${waitSeconds} s.`,
      );
    }
    bucket.tokens -= 1;
    this.buckets.set(account, bucket);
    if (this.buckets.size > MAX_TRACKED_ACCOUNTS) this.prune(now, perMs);
  }

  private prune(now: number, perMs: number): void {
    for (const [account, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.last) * perMs >= this.limit.perMinute) this.buckets.delete(account);
    }
  }
}

/**
 * @module services/ring-limiter
 * Rings (and strangers' call requests) per calling account. A ring makes another member's
 * device ring, so it is limited far below ordinary messages: a flood of rings is harassment
 * even when each one is harmless. The limit is per node (see docs/SECURITY.md).
 */
import { ErrorCode } from '@sotto/protocol';
import type { Clock } from '../clock.js';
import { ServerError } from '../errors.js';
import { TokenBucket } from '../token-bucket.js';

export interface RingLimit {
  /** Rings an account may place per minute, sustained; also the burst. */
  readonly perMinute: number;
}

export const DEFAULT_RING_LIMIT: RingLimit = { perMinute: 6 };

/** Buckets are dropped once full again, so idle callers cost nothing; this caps the rest. */
const MAX_TRACKED_ACCOUNTS = 100_000;

export class RingLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly limit: RingLimit,
    private readonly now: Clock,
  ) {}

  /** Counts one ring from `account`, or throws RATE_LIMITED saying when the next one is allowed. */
  take(account: string): void {
    let bucket = this.buckets.get(account);
    if (!bucket) {
      bucket = new TokenBucket({ perSecond: this.limit.perMinute / 60, burst: this.limit.perMinute }, this.now);
      this.buckets.set(account, bucket);
    }
    if (!bucket.take()) {
      throw new ServerError(
        ErrorCode.RATE_LIMITED,
        `Too many calls: at most ${this.limit.perMinute} a minute. Try again in ${bucket.waitSeconds()} s.`,
      );
    }
    if (this.buckets.size > MAX_TRACKED_ACCOUNTS) {
      for (const [name, b] of this.buckets) if (b.isFull()) this.buckets.delete(name);
    }
  }
}

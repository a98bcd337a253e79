/**
 * @module storage/postgres/postgres-rate-limiter
 * The rate limiter every node sharing a PostgreSQL database shares: the GCRA state of
 * rate-limits/rate-limiter.ts kept in `rate_limits`, one row per key. A take is one round trip:
 * the `rate_limit_take` function (migration 0003) locks the keys' rows in order, decides all or
 * nothing exactly as gcraStep does, and writes the new TATs only when every bucket has room.
 */
import type pg from 'pg';
import { emissionInterval, orderedChecks, type RateCheck, type RateDecision, type RateLimiter } from '../../rate-limits/rate-limiter.js';
import { retriedStatement } from './transaction.js';

export class PostgresRateLimiter implements RateLimiter {
  /** The store's pool: the store owns it and ends it. */
  constructor(private readonly pool: pg.Pool) {}

  async take(checks: readonly RateCheck[], now: number): Promise<RateDecision> {
    // Sorted, so every caller locks rows in one order (see the function's comment in 0003).
    const ordered = orderedChecks(checks);
    if (ordered.length === 0) return { allowed: true };
    const result = await this.query<{ wait: number }>(
      'SELECT rate_limit_take($1::text[], $2::float8[], $3::float8[], $4::float8) AS wait',
      [ordered.map((c) => c.key), ordered.map((c) => emissionInterval(c.rule)), ordered.map((c) => c.rule.burst), now],
    );
    const wait = result.rows[0]?.wait ?? 0;
    return wait > 0 ? { allowed: false, retryAfterMs: wait } : { allowed: true };
  }

  async prune(now: number): Promise<number> {
    return (await this.query('DELETE FROM rate_limits WHERE tat <= $1', [now])).rowCount ?? 0;
  }

  /** The pool belongs to the store, which closes it. */
  async close(): Promise<void> {}

  /** One statement, its own transaction; a deadlock (keys given in another order) is tried again. */
  private query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    return retriedStatement(() => this.pool.query<R>(text, values));
  }
}

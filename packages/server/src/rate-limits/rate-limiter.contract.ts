/**
 * @module rate-limits/rate-limiter.contract
 * The rate limiter contract suite, run against every backend (memory, PostgreSQL), so a cluster
 * node throttles exactly as a single node does.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { RateLimiter, RateRule } from './rate-limiter.js';

let counter = 0;
/** Unique per run, so a shared database needs no cleanup between tests. */
function key(name: string): string {
  counter += 1;
  return `test:${name}:${Date.now().toString(36)}:${counter}`;
}

const PER_MINUTE_6: RateRule = { limit: 6, periodMs: 60_000, burst: 6 };
const START = 1_800_000_000_000;

export function runRateLimiterContract(name: string, make: () => Promise<RateLimiter>): void {
  describe(`rate limiter contract: ${name}`, () => {
    let limiter: RateLimiter;
    before(async () => {
      limiter = await make();
    });
    after(async () => {
      await limiter.close();
    });

    test('a full bucket allows the burst, then refuses with the time to the next token', async () => {
      const k = key('burst');
      for (let i = 0; i < 6; i += 1) assert.deepEqual(await limiter.take([{ key: k, rule: PER_MINUTE_6 }], START), { allowed: true });
      assert.deepEqual(await limiter.take([{ key: k, rule: PER_MINUTE_6 }], START), { allowed: false, retryAfterMs: 10_000 });
      assert.deepEqual(await limiter.take([{ key: k, rule: PER_MINUTE_6 }], START + 4_000), { allowed: false, retryAfterMs: 6_000 });
    });

    test('tokens come back at the sustained rate', async () => {
      const k = key('refill');
      for (let i = 0; i < 6; i += 1) await limiter.take([{ key: k, rule: PER_MINUTE_6 }], START);
      assert.equal((await limiter.take([{ key: k, rule: PER_MINUTE_6 }], START + 10_000)).allowed, true);
      assert.equal((await limiter.take([{ key: k, rule: PER_MINUTE_6 }], START + 10_000)).allowed, false);
      // A whole period later the bucket is full again.
      for (let i = 0; i < 6; i += 1) assert.equal((await limiter.take([{ key: k, rule: PER_MINUTE_6 }], START + 80_000)).allowed, true);
    });

    test('a refused action charges nothing, in any of its buckets', async () => {
      const account = key('account');
      const address = key('address');
      const tight: RateRule = { limit: 1, periodMs: 60_000, burst: 1 };
      assert.equal((await limiter.take([{ key: address, rule: tight }], START)).allowed, true);
      // The account bucket is full, the address bucket empty: refused, and the account keeps its token.
      const refused = await limiter.take([{ key: account, rule: PER_MINUTE_6 }, { key: address, rule: tight }], START);
      assert.deepEqual(refused, { allowed: false, retryAfterMs: 60_000 });
      for (let i = 0; i < 6; i += 1) assert.equal((await limiter.take([{ key: account, rule: PER_MINUTE_6 }], START)).allowed, true);
    });

    test('the longest wait of several buckets is the one reported', async () => {
      const a = key('a');
      const b = key('b');
      await limiter.take([{ key: a, rule: { limit: 1, periodMs: 1_000, burst: 1 } }], START);
      await limiter.take([{ key: b, rule: { limit: 1, periodMs: 30_000, burst: 1 } }], START);
      const decision = await limiter.take([
        { key: a, rule: { limit: 1, periodMs: 1_000, burst: 1 } },
        { key: b, rule: { limit: 1, periodMs: 30_000, burst: 1 } },
      ], START);
      assert.deepEqual(decision, { allowed: false, retryAfterMs: 30_000 });
    });

    test('keys are independent', async () => {
      const a = key('ind-a');
      const b = key('ind-b');
      const one: RateRule = { limit: 1, periodMs: 60_000, burst: 1 };
      assert.equal((await limiter.take([{ key: a, rule: one }], START)).allowed, true);
      assert.equal((await limiter.take([{ key: a, rule: one }], START)).allowed, false);
      assert.equal((await limiter.take([{ key: b, rule: one }], START)).allowed, true);
    });

    test('fractional intervals do not refuse actions that fit', async () => {
      const k = key('fraction');
      const rule: RateRule = { limit: 3, periodMs: 1_000, burst: 3 };
      let allowed = 0;
      // 3 a second for 10 s, evenly spaced: every one fits.
      for (let i = 0; i < 30; i += 1) if ((await limiter.take([{ key: k, rule }], START + Math.round((i * 1000) / 3))).allowed) allowed += 1;
      assert.equal(allowed, 30);
    });

    test('concurrent takes never allow more than the burst', async () => {
      const k = key('race');
      const results = await Promise.all(Array.from({ length: 20 }, () => limiter.take([{ key: k, rule: PER_MINUTE_6 }], START)));
      assert.equal(results.filter((r) => r.allowed).length, 6);
    });

    test('prune forgets full buckets only', async () => {
      const idle = key('idle');
      const busy = key('busy');
      const hour: RateRule = { limit: 1, periodMs: 3_600_000, burst: 1 };
      const t = START + 10_000_000;
      await limiter.take([{ key: idle, rule: { limit: 1, periodMs: 1_000, burst: 1 } }], t);
      await limiter.take([{ key: busy, rule: hour }], t);
      assert.ok((await limiter.prune(t + 5_000)) >= 1);
      // The busy key still remembers its empty bucket.
      assert.equal((await limiter.take([{ key: busy, rule: hour }], t + 5_000)).allowed, false);
      assert.equal((await limiter.take([{ key: idle, rule: { limit: 1, periodMs: 1_000, burst: 1 } }], t + 5_000)).allowed, true);
    });
  });
}

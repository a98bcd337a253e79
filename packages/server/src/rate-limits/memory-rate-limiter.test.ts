import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryRateLimiter } from './memory-rate-limiter.js';
import { runRateLimiterContract } from './rate-limiter.contract.js';

runRateLimiterContract('memory', async () => new MemoryRateLimiter());

test('memory stays bounded however many keys an attacker invents', async () => {
  const limiter = new MemoryRateLimiter(1_000);
  const rule = { limit: 1, periodMs: 3_600_000, burst: 1 };
  // Every key's bucket stays empty for an hour, so pruning alone cannot help.
  for (let i = 0; i < 100_000; i += 1) await limiter.take([{ key: `address:${i}`, rule }], 1_000);
  assert.ok(limiter.size <= 1_000, `size ${limiter.size}`);
  // The newest keys are still limited.
  assert.equal((await limiter.take([{ key: 'address:99999', rule }], 1_000)).allowed, false);
});

test('full buckets are forgotten on prune', async () => {
  const limiter = new MemoryRateLimiter();
  for (let i = 0; i < 100; i += 1) await limiter.take([{ key: `k${i}`, rule: { limit: 10, periodMs: 1_000, burst: 10 } }], 0);
  assert.equal(await limiter.prune(1_000), 100);
  assert.equal(limiter.size, 0);
});

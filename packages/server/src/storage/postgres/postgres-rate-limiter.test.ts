/** @module storage/postgres/postgres-rate-limiter.test The rate limiter contract on PostgreSQL, and the limits shared by several nodes. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { runRateLimiterContract } from '../../rate-limits/rate-limiter.contract.js';
import type { RateRule } from '../../rate-limits/rate-limiter.js';
import { PostgresStore } from './postgres-store.js';
import { describeWithPostgres, withTestSchema, type TestSchema } from './test-database.js';

const schemas: TestSchema[] = [];
const stores: PostgresStore[] = [];
after(async () => {
  for (const store of stores) await store.close();
  for (const schema of schemas) await schema.drop();
});

async function nodes(count: number): Promise<PostgresStore[]> {
  const schema = await withTestSchema();
  schemas.push(schema);
  const made = await Promise.all(Array.from({ length: count }, () => PostgresStore.connect(schema.url, { maxConnections: 4 })));
  stores.push(...made);
  return made;
}

await describeWithPostgres('rate limiter contract: postgres', () => {
  runRateLimiterContract('postgres', async () => (await nodes(1))[0]!.rateLimiter());

  test('the store hands out one limiter', async () => {
    const [store] = await nodes(1);
    assert.equal(store!.rateLimiter(), store!.rateLimiter());
  });

  test('three nodes taking at once admit the burst once between them, over overlapping keys', async () => {
    const cluster = await nodes(3);
    const rule: RateRule = { limit: 5, periodMs: 60_000, burst: 5 };
    const now = 1_800_000_000_000;
    const account = `account:${Date.now()}`;
    const addresses = ['address:a', 'address:b'].map((a) => `${a}:${Date.now()}`);
    // Each take names the account and one of two addresses, in either order: rows are locked in key order regardless.
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => {
        const checks = [{ key: addresses[i % 2]!, rule: { limit: 100, periodMs: 60_000, burst: 100 } }, { key: account, rule }];
        return cluster[i % 3]!.rateLimiter().take(i % 4 < 2 ? checks : checks.reverse(), now);
      }),
    );
    assert.equal(results.filter((r) => r.allowed).length, 5);
    assert.ok(results.every((r) => r.allowed || r.retryAfterMs === 12_000));
  });
});

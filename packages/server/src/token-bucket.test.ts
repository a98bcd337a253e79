/** @module token-bucket.test Burst and refill of the rate limiter. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from './token-bucket.js';

test('a bucket allows its burst, then its rate', () => {
  let now = 0;
  const bucket = new TokenBucket({ perSecond: 10, burst: 5 }, () => now);
  for (let i = 0; i < 5; i++) assert.equal(bucket.take(), true);
  assert.equal(bucket.take(), false);
  now += 100; // one token's worth at 10/s
  assert.equal(bucket.take(), true);
  assert.equal(bucket.take(), false);
  now += 60_000; // refills, but never past the burst
  for (let i = 0; i < 5; i++) assert.equal(bucket.take(), true);
  assert.equal(bucket.take(), false);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '@sotto/protocol';
import { ServerError } from '../errors.js';
import { RingLimiter } from './ring-limiter.js';

function refused(fn: () => void): ServerError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ServerError);
    return error;
  }
  assert.fail('expected RATE_LIMITED');
}

test('a caller gets perMinute rings at once, then one more every 60/perMinute seconds', () => {
  let now = 1_000_000;
  const limiter = new RingLimiter({ perMinute: 3 }, () => now);
  for (let i = 0; i < 3; i++) limiter.take('mallory');
  const error = refused(() => limiter.take('mallory'));
  assert.equal(error.code, ErrorCode.RATE_LIMITED);
  assert.match(error.message, /at most 3 a minute\. Try again in 20 s\./);
  now += 19_000;
  refused(() => limiter.take('mallory'));
  now += 1_000;
  limiter.take('mallory');
});

test('each caller has its own allowance', () => {
  const limiter = new RingLimiter({ perMinute: 1 }, () => 0);
  limiter.take('mallory');
  refused(() => limiter.take('mallory'));
  limiter.take('alice');
});

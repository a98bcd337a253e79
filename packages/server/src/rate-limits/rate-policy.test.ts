import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '@sotto/protocol';
import { ServerError } from '../errors.js';
import { MemoryRateLimiter } from './memory-rate-limiter.js';
import { DEFAULT_RATE_RULES, mergeRateRules, NO_RATE_RULES, RatePolicy, type RateAction, type RateSubject } from './rate-policy.js';

function setup(rules = DEFAULT_RATE_RULES) {
  let now = 1_000_000;
  const hits: { action: RateAction; subject: RateSubject; target: string }[] = [];
  const policy = new RatePolicy(new MemoryRateLimiter(), rules, () => now, (action, subject, target) => hits.push({ action, subject, target }));
  return { policy, hits, advance: (ms: number) => (now += ms) };
}

test('a refusal is RATE_LIMITED with the wait in seconds and in retryAfterMs, and is reported', async () => {
  const { policy, hits } = setup();
  for (let i = 0; i < 6; i += 1) await policy.take('ring', { account: 'mallory', device: 'd1' }, 'alice');
  await assert.rejects(policy.take('ring', { account: 'mallory', device: 'd1' }, 'alice'), (error: unknown) => {
    assert.ok(error instanceof ServerError);
    assert.equal(error.code, ErrorCode.RATE_LIMITED);
    assert.equal(error.retryAfterMs, 10_000);
    assert.match(error.message, /Too many calls: at most 6 a minute\. Try again in 10 s\./);
    return true;
  });
  assert.deepEqual(hits, [{ action: 'ring', subject: { account: 'mallory', device: 'd1' }, target: 'alice' }]);
});

test('accounts sharing one address are limited together by address', async () => {
  const { policy } = setup(mergeRateRules({ contactRequest: { address: { limit: 3, periodMs: 3_600_000, burst: 3 } } }));
  for (let i = 0; i < 3; i += 1) await policy.take('contactRequest', { account: `fresh${i}`, address: '203.0.113.9' });
  await assert.rejects(policy.take('contactRequest', { account: 'fresh9', address: '203.0.113.9' }), /contact requests/);
  // Another address is unaffected.
  await policy.take('contactRequest', { account: 'fresh9', address: '198.51.100.1' });
});

test('a device is limited apart from the other devices of its account', async () => {
  const { policy } = setup(mergeRateRules({ ring: { account: { limit: 100, periodMs: 60_000, burst: 100 } } }));
  for (let i = 0; i < 6; i += 1) await policy.take('ring', { account: 'bob', device: 'phone' });
  await assert.rejects(policy.take('ring', { account: 'bob', device: 'phone' }));
  await policy.take('ring', { account: 'bob', device: 'laptop' });
});

test('registration is limited per address only, and loopback (no address) is not', async () => {
  const { policy } = setup();
  for (let i = 0; i < 20; i += 1) await policy.take('register', { address: '203.0.113.1' });
  await assert.rejects(policy.take('register', { address: '203.0.113.1' }), /registrations from this address/);
  for (let i = 0; i < 50; i += 1) await policy.take('register', {});
});

test('the limits come back with time', async () => {
  const { policy, advance } = setup();
  for (let i = 0; i < 10; i += 1) await policy.take('contactRequest', { account: 'carol' });
  await assert.rejects(policy.take('contactRequest', { account: 'carol' }));
  advance(3 * 60_000); // 20 an hour: one every 3 minutes
  await policy.take('contactRequest', { account: 'carol' });
});

test('NO_RATE_RULES limits nothing', async () => {
  const { policy } = setup(NO_RATE_RULES);
  for (let i = 0; i < 10_000; i += 1) await policy.take('message', { account: 'bench', device: 'd', address: '203.0.113.1' });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ReplayWindow, type ReplayVerdict } from './replay-window.js';

test('a CTR is fresh once, then seen; out-of-order CTRs inside the window are fresh', () => {
  const window = new ReplayWindow(4);
  assert.equal(window.check(5n), 'fresh');
  window.accept(5n);
  assert.equal(window.check(5n), 'seen');
  assert.equal(window.check(3n), 'fresh', 'late but inside the window');
  window.accept(3n);
  assert.equal(window.check(3n), 'seen');
  assert.equal(window.check(2n), 'fresh', '5 - 2 = 3 < 4');
  assert.equal(window.check(1n), 'too-old', '5 - 1 = 4: outside a window of 4');
  window.accept(9n);
  assert.equal(window.check(5n), 'too-old');
  assert.equal(window.check(6n), 'fresh', 'skipped CTRs stay usable');
  assert.equal(window.check(9n), 'seen');
  window.accept(100n);
  assert.equal(window.check(97n), 'fresh', 'a jump wider than the window clears it');
  assert.equal(window.check(96n), 'too-old');
});

test('the window refuses a size below 1', () => {
  for (const size of [0, -1, 1.5]) assert.throws(() => new ReplayWindow(size), /at least one slot/);
});

test('the window agrees with a model that remembers every accepted CTR', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 16 }), fc.array(fc.bigInt({ min: 0n, max: 80n }), { maxLength: 200 }), (size, ctrs) => {
      const window = new ReplayWindow(size);
      const accepted = new Set<bigint>();
      let highest: bigint | undefined;
      for (const ctr of ctrs) {
        let expected: ReplayVerdict = 'fresh';
        if (highest !== undefined && ctr <= highest) {
          if (highest - ctr >= BigInt(size)) expected = 'too-old';
          else if (accepted.has(ctr)) expected = 'seen';
        }
        assert.equal(window.check(ctr), expected, `ctr ${ctr}`);
        if (expected === 'fresh') {
          window.accept(ctr);
          accepted.add(ctr);
          if (highest === undefined || ctr > highest) highest = ctr;
        }
      }
    }),
    { numRuns: 300 },
  );
});

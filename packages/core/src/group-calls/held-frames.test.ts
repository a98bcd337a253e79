import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeldFrames } from './held-frames.js';

test('held frames: at most the bound; each due once its holder moved on from the epoch it was held in, or after the hold', () => {
  let now = 0;
  const held = new HeldFrames<string>(() => now, 3, 1_000);
  assert.equal(held.hold('a', 5n), true);
  assert.equal(held.hold('b', 5n), true);
  assert.equal(held.hold('c', 5n), true);
  assert.equal(held.hold('d', 5n), false, 'a fourth frame is refused, not held');
  assert.deepEqual(held.due(5n), [], 'still at epoch 5, within the hold');
  assert.deepEqual(held.due(6n), ['a', 'b', 'c'], 'the commit arrived: all due, in arrival order');
  assert.equal(held.size, 0);
  held.hold('e', 6n);
  now = 600;
  held.hold('f', 6n);
  now = 1_001;
  assert.deepEqual(held.due(6n), ['e'], 'held longer than the hold: due, to be refused');
  assert.deepEqual([held.size, held.due(6n)], [1, []]);
  held.clear();
  assert.equal(held.size, 0);
});

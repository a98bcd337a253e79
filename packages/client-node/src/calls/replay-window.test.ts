import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_REPLAY_WINDOW, ReplayWindow, type ReplayVerdict } from './replay-window.js';

/** The rule written the slow, obvious way: every accepted index kept in a set. */
class ModelWindow {
  private readonly accepted = new Set<number>();
  private highest = -1;

  constructor(private readonly size: number) {}

  admit(index: number): ReplayVerdict {
    let verdict: ReplayVerdict;
    if (index > this.highest) verdict = 'fresh';
    else if (this.highest - index >= this.size) verdict = 'too-old';
    else verdict = this.accepted.has(index) ? 'replayed' : 'fresh';
    if (verdict === 'fresh') {
      this.accepted.add(index);
      this.highest = Math.max(this.highest, index);
    }
    return verdict;
  }
}

/**
 * Index sequences as packets arrive: mostly the next one, some lost (a gap), some late or copied
 * (an index behind the newest, inside or just outside the window), and rare jumps, from a start
 * anywhere in the 48-bit space. A late packet does not move the sender on: the cursor stays.
 */
type Arrival = { advance: number } | { behind: number };
const arrivals = fc.record({
  start: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 2 ** 47 })),
  steps: fc.array(
    fc.oneof(
      { weight: 30, arbitrary: fc.constant<Arrival>({ advance: 1 }) },
      { weight: 3, arbitrary: fc.integer({ min: 2, max: 6 }).map((advance): Arrival => ({ advance })) },
      { weight: 5, arbitrary: fc.integer({ min: 0, max: 1100 }).map((behind): Arrival => ({ behind })) },
      { weight: 1, arbitrary: fc.integer({ min: 100, max: 100_000 }).map((advance): Arrival => ({ advance })) },
    ),
    { minLength: 50, maxLength: 600, size: 'max' },
  ),
});
const sizes = fc.constantFrom(64, 72, 128, 1024);

function indicesOf({ start, steps }: { start: number; steps: Arrival[] }): number[] {
  const indices: number[] = [];
  let at = start;
  for (const step of steps) {
    if ('advance' in step) {
      at += step.advance;
      indices.push(at);
    } else {
      indices.push(Math.max(0, at - step.behind));
    }
  }
  return indices;
}

test('the window gives the same verdict as the obvious rule, packet after packet', () => {
  fc.assert(
    fc.property(arrivals, sizes, (input, size) => {
      const window = new ReplayWindow(size);
      const model = new ModelWindow(size);
      for (const index of indicesOf(input)) {
        assert.equal(window.admit(index), model.admit(index), `index ${index}`);
      }
    }),
    { numRuns: 500 },
  );
});

test('no index is admitted twice, and check() records nothing', () => {
  fc.assert(
    fc.property(arrivals, (input) => {
      const window = new ReplayWindow();
      const admitted = new Set<number>();
      for (const index of indicesOf(input)) {
        const checked = window.check(index);
        const verdict = window.admit(index);
        assert.equal(verdict, checked, 'check() foretells admit()');
        if (verdict === 'fresh') {
          assert.ok(!admitted.has(index), `index ${index} admitted twice`);
          admitted.add(index);
        }
        assert.notEqual(window.admit(index), 'fresh', 'the same index at once again is never fresh');
      }
    }),
  );
});

test('reordering within the window is accepted; older than the window is too old', () => {
  const window = new ReplayWindow(64);
  assert.equal(window.admit(1000), 'fresh');
  assert.equal(window.admit(1000), 'replayed');
  assert.equal(window.admit(937), 'fresh', 'the oldest index the window holds');
  assert.equal(window.admit(936), 'too-old', 'one before it');
  assert.equal(window.admit(999), 'fresh');
  assert.equal(window.admit(999), 'replayed');
  assert.equal(window.admit(1064), 'fresh', 'moving the window by a full size');
  assert.equal(window.admit(1000), 'too-old');
  assert.equal(window.admit(1001), 'fresh', 'the slot 1001 shares with 937 was cleared when the window moved');
  assert.equal(window.highestIndex, 1064);
});

test('the first packet may have any index, and a jump beyond the window forgets everything before it', () => {
  const window = new ReplayWindow();
  assert.equal(window.admit(2 ** 48 - 1 - 5), 'fresh');
  const other = new ReplayWindow();
  for (let i = 0; i < 10; i++) assert.equal(other.admit(i), 'fresh');
  assert.equal(other.admit(10 + DEFAULT_REPLAY_WINDOW * 3), 'fresh');
  assert.equal(other.admit(9), 'too-old');
  assert.equal(other.admit(11 + DEFAULT_REPLAY_WINDOW * 2), 'fresh', 'inside the moved window and never seen');
});

test('sizes and indices out of range are refused', () => {
  assert.throws(() => new ReplayWindow(32), RangeError, 'RFC 3711 asks for at least 64');
  assert.throws(() => new ReplayWindow(100), RangeError);
  const window = new ReplayWindow();
  for (const bad of [-1, 1.5, 2 ** 48, Number.NaN]) assert.throws(() => window.admit(bad), RangeError);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emitter, subscribeSide, subscribeSides } from './events.js';

test('a throwing listener neither stops the others nor the code that fires', () => {
  const errors: unknown[] = [];
  const emitter = new Emitter<number>({ onListenerError: (error) => errors.push(error) });
  const seen: string[] = [];
  emitter.event((n) => seen.push(`a${n}`));
  emitter.event(() => {
    throw new Error('listener bug');
  });
  emitter.event((n) => seen.push(`c${n}`));
  assert.doesNotThrow(() => emitter.fire(1));
  assert.deepEqual(seen, ['a1', 'c1']);
  assert.equal(errors.length, 1);
  assert.equal((errors[0] as Error).message, 'listener bug');
});

test('by default the listener error is rethrown later, outside the firing code', () => {
  const emitter = new Emitter<void>();
  emitter.event(() => {
    throw new Error('seen later');
  });
  const original = globalThis.queueMicrotask;
  const scheduled: (() => void)[] = [];
  globalThis.queueMicrotask = (callback) => void scheduled.push(callback);
  try {
    assert.doesNotThrow(() => emitter.fire());
  } finally {
    globalThis.queueMicrotask = original;
  }
  assert.equal(scheduled.length, 1);
  assert.throws(() => scheduled[0]!(), /seen later/);
});

test('unsubscribing stops delivery', () => {
  const emitter = new Emitter<number>();
  const seen: number[] = [];
  const off = emitter.event((n) => seen.push(n));
  emitter.fire(1);
  off();
  emitter.fire(2);
  assert.deepEqual(seen, [1]);
});

test('a subscribe side delivers what the owner fires, and offers no way to fire', () => {
  const emitter = new Emitter<number>();
  const side = subscribeSide(emitter);
  const seen: number[] = [];
  const unsubscribe = side.event((n) => seen.push(n));
  emitter.fire(1);
  unsubscribe();
  emitter.fire(2);
  assert.deepEqual(seen, [1]);
  assert.deepEqual(Object.keys(side), ['event']);
  assert.equal('fire' in side, false);
  // @ts-expect-error: only the owner of the emitter can fire
  assert.throws(() => side.fire(3), TypeError);
  assert.ok(Object.isFrozen(side));
});

test('subscribeSides exposes every emitter of an events object, and nothing that fires', () => {
  class Owned {
    readonly didStart = new Emitter<string>();
    readonly didStop = new Emitter<number>();
  }
  const owned = new Owned();
  const sides = subscribeSides(owned);
  assert.deepEqual(Object.keys(sides).sort(), ['didStart', 'didStop']);
  const seen: unknown[] = [];
  sides.didStart.event((s) => seen.push(s));
  sides.didStop.event((n) => seen.push(n));
  owned.didStart.fire('a');
  owned.didStop.fire(7);
  assert.deepEqual(seen, ['a', 7]);
  for (const side of Object.values(sides)) assert.equal('fire' in side, false);
  // @ts-expect-error: the public side has no fire
  assert.throws(() => sides.didStart.fire('b'), TypeError);
  assert.ok(Object.isFrozen(sides));
});

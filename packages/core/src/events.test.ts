import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emitter } from './events.js';

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

/** @module storage/keyed-queue.test One job at a time per key, keys side by side, drained keys forgotten. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedQueue } from './keyed-queue.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

test('jobs of one key run one at a time in order; a failure does not stop the next', async () => {
  const queue = new KeyedQueue();
  const seen: string[] = [];
  const job = (name: string, fail = false) => async () => {
    seen.push(`${name} start`);
    await tick();
    seen.push(`${name} end`);
    if (fail) throw new Error(name);
    return name;
  };
  const a = queue.run('k', job('a', true));
  const b = queue.run('k', job('b'));
  await assert.rejects(a, /a/);
  assert.equal(await b, 'b');
  assert.deepEqual(seen, ['a start', 'a end', 'b start', 'b end']);
});

test('jobs of different keys run side by side, and a drained key is forgotten', async () => {
  const queue = new KeyedQueue();
  const seen: string[] = [];
  const job = (name: string) => async () => {
    seen.push(`${name} start`);
    await tick();
    seen.push(`${name} end`);
  };
  await Promise.all([queue.run('x', job('x')), queue.run('y', job('y'))]);
  assert.deepEqual(seen.slice(0, 2).sort(), ['x start', 'y start']);
  await tick();
  assert.equal(queue.size, 0);
});

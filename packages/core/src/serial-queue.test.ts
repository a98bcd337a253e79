import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SerialQueue } from './serial-queue.js';

test('jobs run one at a time, in order, and a failure does not stop the queue', async () => {
  const queue = new SerialQueue();
  const log: string[] = [];
  const slow = queue.run(async () => {
    log.push('a-start');
    await new Promise((r) => setTimeout(r, 20));
    log.push('a-end');
  });
  const failing = queue.run(async () => {
    log.push('b');
    throw new Error('boom');
  });
  const last = queue.run(async () => {
    log.push('c');
    return 42;
  });
  await slow;
  await assert.rejects(failing, /boom/);
  assert.equal(await last, 42);
  assert.deepEqual(log, ['a-start', 'a-end', 'b', 'c']);
});

/** @module gateway/frame-queue.test Frames waiting to be handled: high marks in frames and in bytes, low marks for reading again. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameQueue, type FrameQueueLimits } from './frame-queue.js';

const limits: FrameQueueLimits = { maxFrames: 4, resumeFrames: 1, maxBytes: 1000, resumeBytes: 300 };

test('tiny frames stop the reading by count', () => {
  const queue = new FrameQueue<number>(limits);
  assert.deepEqual([1, 2, 3, 4].map((n) => queue.push(n, 10)), [false, false, false, true]);
  assert.equal(queue.hasRoom, false);
  queue.shift();
  queue.shift();
  assert.equal(queue.hasRoom, false, 'two frames held: over the low mark');
  assert.equal(queue.shift(), 3);
  assert.equal(queue.hasRoom, true);
});

test('large frames stop it by bytes long before the count', () => {
  const queue = new FrameQueue<string>(limits);
  assert.equal(queue.push('a', 600), false);
  assert.equal(queue.push('b', 400), true, '1,000 bytes held');
  assert.equal(queue.bytesHeld, 1000);
  queue.shift();
  assert.equal(queue.hasRoom, false, '400 bytes: over the 300-byte low mark');
  queue.shift();
  assert.equal(queue.hasRoom, true);
  assert.equal(queue.bytesHeld, 0);
  assert.equal(queue.shift(), undefined);
  assert.equal(queue.bytesHeld, 0, 'shifting an empty queue counts nothing');
});

test('clear forgets everything', () => {
  const queue = new FrameQueue<number>(limits);
  queue.push(1, 900);
  queue.push(2, 900);
  queue.clear();
  assert.equal(queue.length, 0);
  assert.equal(queue.bytesHeld, 0);
  assert.equal(queue.hasRoom, true);
});

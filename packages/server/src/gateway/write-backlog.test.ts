/** @module gateway/write-backlog.test The bound on what a connection holds for its client: high and low marks, stalls, waiters. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WriteBacklog, type BacklogLimits } from './write-backlog.js';

const limits: BacklogLimits = { maxBytes: 1000, resumeBytes: 200, maxFrames: 10, resumeFrames: 3, stallMs: 5_000 };

test('full at the byte mark, writable again only under both low marks', () => {
  const backlog = new WriteBacklog(limits, () => 0);
  assert.equal(backlog.wrote(600), false);
  assert.equal(backlog.wrote(999), false);
  assert.equal(backlog.wrote(1000), true, 'the frame that reaches the mark makes it full');
  assert.equal(backlog.isFull, true);
  assert.equal(backlog.wrote(1500), false, 'already full: no second transition');
  assert.equal(backlog.flushed(900), false, 'between the marks it stays full');
  assert.equal(backlog.flushed(300), false);
  assert.equal(backlog.isFull, true);
  assert.equal(backlog.flushed(200), true, 'at the low mark, with one frame still held, it drains');
  assert.equal(backlog.isFull, false);
  assert.equal(backlog.framesHeld, 1);
});

test('tiny frames fill it by count long before their bytes would', () => {
  const backlog = new WriteBacklog(limits, () => 0);
  for (let i = 1; i < 10; i += 1) assert.equal(backlog.wrote(i * 20), false);
  assert.equal(backlog.wrote(200), true, 'the tenth frame held');
  for (let i = 0; i < 6; i += 1) assert.equal(backlog.flushed(50), false, 'still more than 3 frames held');
  assert.equal(backlog.flushed(40), true, 'three frames held: writable');
});

test('waiters are released by the drain, or by abandoning the connection', async () => {
  const backlog = new WriteBacklog(limits, () => 0);
  assert.equal(backlog.whenWritable(), undefined, 'nothing to wait for while writable');
  backlog.wrote(5000);
  let released = 0;
  const first = backlog.whenWritable()!.then(() => (released += 1));
  const second = backlog.whenWritable()!.then(() => (released += 1));
  await Promise.resolve();
  assert.equal(released, 0);
  backlog.flushed(0);
  await Promise.all([first, second]);
  assert.equal(released, 2);
  backlog.wrote(5000);
  const third = backlog.whenWritable()!;
  backlog.abandon();
  await third;
  assert.equal(backlog.isFull, false);
});

test('a full backlog with nothing leaving stalls after stallMs; each frame that leaves restarts the count', () => {
  let now = 0;
  const backlog = new WriteBacklog(limits, () => now);
  backlog.wrote(5000);
  now = 4_999;
  assert.equal(backlog.stalled(), false);
  assert.equal(backlog.untilStalled(), 1);
  backlog.flushed(4000); // a slow reader: progress, though still full
  now = 9_000;
  assert.equal(backlog.stalled(), false);
  now = 9_999;
  assert.equal(backlog.stalled(), true);
  assert.equal(backlog.untilStalled(), 0);
  backlog.flushed(0);
  assert.equal(backlog.stalled(), false, 'a drained backlog never stalls');
});

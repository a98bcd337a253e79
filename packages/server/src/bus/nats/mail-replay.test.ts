/** @module bus/nats/mail-replay.test Unconfirmed mail notifications survive a failed round-trip or a disconnect, within a bound. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MailReplay } from './mail-replay.js';

const dev = (n: number) => ({ username: `u${n}`, deviceId: `d${n}` });

/** Round-trips the test settles by hand. */
function harness(limit = 100) {
  const confirms: { resolve: () => void; reject: () => void }[] = [];
  const log: string[] = [];
  const replay = new MailReplay(limit, {
    confirm: () => new Promise<void>((resolve, reject) => confirms.push({ resolve, reject: () => reject(new Error('lost')) })),
    retry: () => log.push('retry'),
    overflow: () => log.push('overflow'),
  });
  return { replay, confirms, log };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('MailReplay', () => {
  test('a burst costs one round-trip, and a confirmed one is forgotten', async () => {
    const { replay, confirms } = harness();
    for (let i = 0; i < 10; i++) replay.sent(dev(i));
    assert.equal(confirms.length, 1);
    assert.equal(replay.size, 10);
    replay.sent(dev(10)); // arrives during the round-trip: waits for the next one
    confirms[0]!.resolve();
    await settle();
    assert.equal(confirms.length, 2);
    confirms[1]!.resolve();
    await settle();
    assert.equal(replay.size, 0);
    assert.deepEqual(replay.takePending(), []);
  });

  test('a failed round-trip makes its devices pending and asks for a retry', async () => {
    const { replay, confirms, log } = harness();
    replay.sent(dev(1));
    replay.sent(dev(2)); // sent after the first round-trip began: the second one covers it
    confirms[0]!.reject();
    await settle();
    assert.equal(confirms.length, 2);
    confirms[1]!.reject();
    await settle();
    assert.deepEqual(log, ['retry', 'retry']);
    assert.deepEqual(replay.takePending(), [dev(1), dev(2)]);
    assert.deepEqual(replay.takePending(), []);
  });

  test('a disconnect makes unconfirmed devices pending; held ones join them once each', () => {
    const { replay, confirms } = harness();
    replay.sent(dev(1)); // in the round-trip
    replay.sent(dev(2)); // waiting for the next
    replay.lost();
    replay.held(dev(3));
    replay.held(dev(3));
    replay.held(dev(2));
    assert.equal(confirms.length, 1);
    assert.deepEqual(replay.takePending(), [dev(2), dev(3)]);
  });

  test('beyond the bound, devices are dropped and reported', () => {
    const { replay, log } = harness(3);
    for (let i = 0; i < 5; i++) replay.held(dev(i));
    assert.equal(replay.size, 3);
    assert.deepEqual(log, ['overflow', 'overflow']);
  });

  test('after stop, nothing is remembered and late failures are ignored', async () => {
    const { replay, confirms, log } = harness();
    replay.sent(dev(1));
    replay.stop();
    confirms[0]!.reject();
    await settle();
    replay.held(dev(2));
    assert.equal(replay.size, 0);
    assert.deepEqual(log, []);
  });
});

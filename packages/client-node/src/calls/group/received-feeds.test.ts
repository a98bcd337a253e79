/**
 * @module calls/group/received-feeds.test
 * Who a member hears, feed by feed, with a fake keyring: a frame's first byte names its sender,
 * its second the epoch it was sealed under. The bug these guard against (issue 20): packets still
 * arriving on a subscription being torn down, or frames held for it, announced a participant who
 * had left as heard again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SFrameError, type GroupCallFrames, type GroupCallMember } from '@sotto/core';
import { ReceivedFeeds } from './received-feeds.js';

const NAMES = ['ana', 'ben', 'cat'];
const member = (index: number): GroupCallMember => ({ user: NAMES[index]!, device: 'd1' });

/** Epoch `epoch` opens frames sealed under it; a frame of a later epoch is "ahead". */
function fakeFrames(): GroupCallFrames & { epoch: bigint } {
  return {
    epoch: 1n,
    seal: (frame) => frame,
    open(frame) {
      if (BigInt(frame[1]!) !== this.epoch) throw new SFrameError('UNKNOWN_KID', 'not under this epoch');
      return { from: member(frame[0]!), plaintext: frame.subarray(2) };
    },
    isAhead(frame) {
      return this.epoch !== undefined && BigInt(frame[1]!) > this.epoch;
    },
    epochKeys: () => [],
    onEpochChange: () => () => undefined,
  };
}

interface Sub {
  readonly id: string;
}

function setUp() {
  const said: string[] = [];
  const current = new Map<number, Sub>();
  const frames = fakeFrames();
  let now = 0;
  const feeds = new ReceivedFeeds<Sub>(
    frames,
    { onHeard: (m) => said.push(`heard ${m.user}`), onLeft: (m) => said.push(`left ${m.user}`), onFrameRefused: (reason) => said.push(`refused ${reason}`) },
    (feed, sub) => current.get(feed) === sub,
    () => undefined,
    () => now,
  );
  const frame = (from: number, epoch = frames.epoch) => Uint8Array.from([from, Number(epoch), 7, 7]);
  return { said, current, frames, feeds, frame, advance: (ms: number) => (now += ms) };
}

test('packets still arriving on a subscription after its feed ended announce nobody again', () => {
  const { said, current, feeds, frame } = setUp();
  const benSub = { id: 'ben' };
  current.set(10, benSub);
  feeds.received(benSub, 10, frame(1));
  feeds.received(benSub, 10, frame(1));
  current.delete(10);
  feeds.ended(10);
  feeds.received(benSub, 10, frame(1)); // sent before Janus said "unpublished", handled after
  assert.deepEqual(said, ['heard ben', 'left ben']);
  assert.deepEqual(feeds.counts, { framesOpened: 2, framesRefused: 0 });
});

test('frames held for a subscription that ended are dropped when their epoch comes', () => {
  const { said, current, frames, feeds, frame } = setUp();
  const benSub = { id: 'ben' };
  const catSub = { id: 'cat' };
  current.set(10, benSub);
  current.set(11, catSub);
  feeds.received(benSub, 10, frame(1));
  feeds.received(benSub, 10, frame(1, 2n)); // ben moved to epoch 2 first: held
  current.delete(10);
  feeds.ended(10);
  frames.epoch = 2n;
  feeds.received(catSub, 11, frame(2)); // the next packet retries what is held
  assert.deepEqual(said, ['heard ben', 'left ben', 'heard cat']);
});

test('a held frame of a current subscription opens once this device reaches its epoch', () => {
  const { said, current, frames, feeds, frame } = setUp();
  const benSub = { id: 'ben' };
  current.set(10, benSub);
  feeds.received(benSub, 10, frame(1, 2n));
  assert.deepEqual(said, []);
  frames.epoch = 2n;
  feeds.received(benSub, 10, frame(1));
  assert.deepEqual(said, ['heard ben']);
  assert.deepEqual(feeds.counts, { framesOpened: 2, framesRefused: 0 });
});

test('a participant on two feeds leaves when the last one ends; a feed relabelled to another sender is refused', () => {
  const { said, current, feeds, frame } = setUp();
  const first = { id: 'first' };
  const second = { id: 'second' };
  current.set(10, first);
  current.set(12, second);
  feeds.received(first, 10, frame(1));
  feeds.received(second, 12, frame(1));
  feeds.received(second, 12, frame(2)); // the SFU puts cat's frames on ben's feed
  current.delete(10);
  feeds.ended(10);
  assert.deepEqual(said, ['heard ben', 'refused UNKNOWN_KID']);
  current.delete(12);
  feeds.ended(12);
  assert.deepEqual(said, ['heard ben', 'refused UNKNOWN_KID', 'left ben']);
});

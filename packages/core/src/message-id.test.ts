import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newMessageId } from './message-id.js';
import type { Clock, Random } from './ports.js';

const clockAt = (now: number): Clock => ({ now: () => now, setTimeout: () => 0, clearTimeout: () => {} });
let counter = 0;
const random: Random = { bytes: (n) => new Uint8Array(n).map(() => (counter++ * 37) % 256) };

test('an id is 16 bytes: the time in ms, 48 bits big-endian, then random bytes', () => {
  const now = 0x0123_4567_89ab;
  const id = newMessageId(clockAt(now), random);
  assert.equal(id.byteLength, 16);
  assert.deepEqual([...id.subarray(0, 6)], [0x01, 0x23, 0x45, 0x67, 0x89, 0xab]);
  assert.notDeepEqual([...newMessageId(clockAt(now), random).subarray(6)], [...id.subarray(6)], 'the tail differs for the same ms');
});

test('ids of later milliseconds sort after earlier ones, byte by byte', () => {
  const start = Date.UTC(2026, 11, 6);
  const ids = [0, 1, 255, 256, 65_536, 86_400_000].map((dt) => newMessageId(clockAt(start + dt), random));
  const sorted = [...ids].sort((a, b) => Buffer.compare(a, b));
  assert.deepEqual(sorted, ids);
});

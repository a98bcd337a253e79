/** @module gateway/connection-caps.test The total and per-address caps on open sockets, and the total kept under the open-file limit. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionCaps, totalCapFor } from './connection-caps.js';

test('the total is a hard cap; released sockets make room again', () => {
  const caps = new ConnectionCaps({ total: 3, perAddress: 10 });
  assert.deepEqual([caps.admit(), caps.admit(), caps.admit(), caps.admit()], [true, true, true, false]);
  caps.release();
  assert.equal(caps.admit(), true);
  assert.equal(caps.open, 3);
});

test('one address gets its share and no more; other addresses are not touched by it', () => {
  const caps = new ConnectionCaps({ total: 100, perAddress: 2 });
  assert.deepEqual([caps.admitFrom('198.51.100.7'), caps.admitFrom('198.51.100.7'), caps.admitFrom('198.51.100.7')], [true, true, false]);
  assert.equal(caps.admitFrom('2001:db8:1:2::/64'), true);
  caps.releaseFrom('198.51.100.7');
  assert.equal(caps.admitFrom('198.51.100.7'), true);
  caps.releaseFrom('198.51.100.7');
  caps.releaseFrom('198.51.100.7');
  assert.equal(caps.heldBy('198.51.100.7'), 0);
});

test('the total stays under the open-file limit with room for the database and the logs', () => {
  assert.equal(totalCapFor(1024), 768);
  assert.equal(totalCapFor(4096), 3840);
  assert.equal(totalCapFor(20_000), 19_744, 'the idle-density benchmark holds 19,000');
  assert.equal(totalCapFor(1_048_576), 1_048_576 - 10_486);
  assert.equal(totalCapFor(100), 16, 'never below a usable minimum');
  assert.equal(totalCapFor(Number.POSITIVE_INFINITY), Number.POSITIVE_INFINITY);
});

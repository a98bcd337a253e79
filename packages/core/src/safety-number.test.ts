import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSafetyNumber, safetyNumber } from './safety-number.js';

const key = (n: number) => new Uint8Array(32).fill(n);

test('both sides compute the same 60 digits', () => {
  const alice = { username: 'alice', devices: [{ deviceId: 'a1', identityKey: key(1) }] };
  const bob = { username: 'bob', devices: [{ deviceId: 'b1', identityKey: key(2) }] };
  const ab = safetyNumber(alice, bob);
  assert.equal(ab, safetyNumber(bob, alice));
  assert.match(ab, /^\d{60}$/);
  assert.equal(formatSafetyNumber(ab).split(' ').length, 12);
});

test('a different key gives a different number', () => {
  const alice = { username: 'alice', devices: [{ deviceId: 'a1', identityKey: key(1) }] };
  const bob = { username: 'bob', devices: [{ deviceId: 'b1', identityKey: key(2) }] };
  const mallory = { username: 'bob', devices: [{ deviceId: 'b1', identityKey: key(3) }] };
  assert.notEqual(safetyNumber(alice, bob), safetyNumber(alice, mallory));
});

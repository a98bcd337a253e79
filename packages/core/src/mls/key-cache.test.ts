import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyCache, bytesKey } from './key-cache.js';

test('the cache never holds more than its capacity and evicts the least recently used', () => {
  const cache = new KeyCache<number>(3);
  for (let i = 0; i < 100; i++) {
    cache.set(`k${i}`, i);
    assert.ok(cache.size <= 3);
  }
  assert.deepEqual([cache.get('k97'), cache.get('k98'), cache.get('k99')], [97, 98, 99]);
  assert.equal(cache.get('k0'), undefined);

  cache.get('k97'); // now most recently used, so k98 is the oldest
  cache.set('new', -1);
  assert.equal(cache.get('k98'), undefined);
  assert.equal(cache.get('k97'), 97);
  assert.equal(cache.size, 3);
});

test('re-setting a key replaces its value without growing the cache', () => {
  const cache = new KeyCache<string>(2);
  cache.set('a', 'one');
  cache.set('a', 'two');
  assert.equal(cache.size, 1);
  assert.equal(cache.get('a'), 'two');
  cache.clear();
  assert.equal(cache.size, 0);
});

test('capacity must be a positive integer', () => {
  assert.throws(() => new KeyCache(0), RangeError);
  assert.throws(() => new KeyCache(1.5), RangeError);
});

test('bytesKey is exact: different bytes give different keys, equal bytes equal keys', () => {
  assert.equal(bytesKey(Uint8Array.of(1, 2, 3)), bytesKey(Uint8Array.of(1, 2, 3)));
  assert.notEqual(bytesKey(Uint8Array.of(1, 2, 3)), bytesKey(Uint8Array.of(1, 2, 4)));
  assert.notEqual(bytesKey(Uint8Array.of(0)), bytesKey(Uint8Array.of(0, 0)));
  assert.equal(bytesKey(Uint8Array.of(255, 0)).length, 2);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialsOf } from './initials.js';

test('initials come from the display name\'s first two words', () => {
  assert.equal(initialsOf('bob', 'Bob Builder'), 'BB');
  assert.equal(initialsOf('bob', 'bob the builder'), 'BT');
  assert.equal(initialsOf('zoe', '  Zoë  '), 'Z');
});

test('without a display name (empty or only spaces), the username\'s first letter', () => {
  assert.equal(initialsOf('alice'), 'A');
  assert.equal(initialsOf('alice', '   '), 'A');
});

test('a letter outside the basic plane stays whole', () => {
  assert.equal(initialsOf('x', '😀 smile'), '😀S');
});

test('an empty username with no name shows a question mark rather than nothing', () => {
  assert.equal(initialsOf(''), '?');
});

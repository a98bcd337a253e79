import { test } from 'node:test';
import assert from 'node:assert/strict';
import { typingLabel } from './typing.js';

test('typingLabel: nothing when nobody types; "typing…" in a direct chat; who, in a group', () => {
  assert.equal(typingLabel([], false), undefined);
  assert.equal(typingLabel([], true), undefined);
  assert.equal(typingLabel(['ada'], false), 'typing…');
  assert.equal(typingLabel(['ada'], true), 'ada is typing…');
  assert.equal(typingLabel(['ada', 'bob'], true), 'ada and bob are typing…');
  assert.equal(typingLabel(['ada', 'bob', 'cyd'], true), '3 people are typing…');
});

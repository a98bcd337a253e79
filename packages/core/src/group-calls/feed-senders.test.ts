import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FeedSenders } from './feed-senders.js';

test("a feed carries one sender: the first whose frame opened on it; another's frames on it are refused, until the feed ends", () => {
  const feeds = new FeedSenders();
  const bob = { user: 'bob', device: 'b1' };
  const carol = { user: 'carol', device: 'c1' };
  assert.equal(feeds.admit(7, bob), 'first');
  assert.equal(feeds.admit(7, bob), 'same');
  assert.equal(feeds.admit(7, carol), 'other', "carol's frames on bob's feed");
  assert.equal(feeds.admit(7, { user: 'bob', device: 'b2' }), 'other', 'another device of the same account');
  assert.equal(feeds.admit(8, carol), 'first', 'her own feed');
  feeds.forget(7);
  assert.equal(feeds.admit(7, carol), 'first');
});

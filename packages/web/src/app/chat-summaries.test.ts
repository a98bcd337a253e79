import { test } from 'node:test';
import assert from 'node:assert/strict';
import { orderChats } from './chat-summaries.js';

test('pinned chats come first, each part newest activity first', () => {
  const rows = [
    { name: 'old', pinned: false, lastActivity: 1 },
    { name: 'pinned-old', pinned: true, lastActivity: 2 },
    { name: 'new', pinned: false, lastActivity: 9 },
    { name: 'pinned-new', pinned: true, lastActivity: 5 },
  ];
  assert.deepEqual(orderChats(rows).map((r) => r.name), ['pinned-new', 'pinned-old', 'new', 'old']);
});

test('with nothing pinned the order is newest first, as before', () => {
  const rows = [3, 7, 5].map((lastActivity) => ({ pinned: false, lastActivity }));
  assert.deepEqual(orderChats(rows).map((r) => r.lastActivity), [7, 5, 3]);
});

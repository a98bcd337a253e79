import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mutedGroupIdsOf, orderChats } from './chat-summaries.js';

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

test('a direct chat is muted on every one of its groups; a group only on its own; an expired mute is none', () => {
  const conversations = [
    { groupId: 'd1', kind: 'direct', name: 'alice' },
    { groupId: 'd2', kind: 'direct', name: 'alice' },
    { groupId: 'd3', kind: 'direct', name: 'carol' },
    { groupId: 'g1', kind: 'group', name: 'team' },
    { groupId: 'g2', kind: 'group', name: 'team' },
  ];
  const now = 1_000;
  const muted = mutedGroupIdsOf(conversations, { d1: { mutedUntil: -1 }, d3: { mutedUntil: 999 }, g1: { mutedUntil: 2_000 } }, now);
  assert.deepEqual([...muted].sort(), ['d1', 'd2', 'g1']);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StoredMessage } from '@sotto/core';
import { buildTimeline, dayLabel, unreadMarkOf } from './timeline.js';

const NOW = new Date(2026, 5, 10, 15, 0).getTime();
const DAY = 86_400_000;

function message(id: string, at: number, extra: Partial<StoredMessage> = {}): StoredMessage {
  return { messageId: id, groupId: 'g', sender: 'alice', senderDevice: 'd', body: id, sentAt: at, receivedAt: at, outgoing: false, status: 'read', ...extra };
}

test('day labels: Today, Yesterday, a weekday within the week, then a date (with the year when it differs)', () => {
  assert.equal(dayLabel(NOW - 60_000, NOW), 'Today');
  assert.equal(dayLabel(new Date(2026, 5, 9, 23, 59).getTime(), NOW), 'Yesterday');
  assert.equal(dayLabel(NOW - 3 * DAY, NOW), new Date(NOW - 3 * DAY).toLocaleDateString([], { weekday: 'long' }));
  assert.equal(dayLabel(NOW - 30 * DAY, NOW), new Date(NOW - 30 * DAY).toLocaleDateString([], { day: 'numeric', month: 'long' }));
  assert.match(dayLabel(new Date(2025, 0, 2).getTime(), NOW), /2025/);
});

test('a date line where each day starts, the unread line before the first unread message, notices apart', () => {
  const messages = [
    message('a', NOW - DAY),
    message('n', NOW - 2000, { notice: 'timer', status: 'read' }),
    message('b', NOW - 1000, { status: 'delivered' }),
    message('c', NOW - 500, { status: 'delivered' }),
  ];
  const mark = unreadMarkOf(messages);
  assert.deepEqual(mark, { firstId: 'b', count: 2 });
  assert.deepEqual(buildTimeline(messages, NOW, mark).map((i) => (i.kind === 'day' ? i.label : i.kind === 'unread' ? `unread ${i.count}` : `${i.kind} ${i.key}`)), [
    'Yesterday', 'message a', 'Today', 'notice n', 'unread 2', 'message b', 'message c',
  ]);
});

test('own messages and notices are never unread; nothing unread means no line', () => {
  const messages = [message('a', NOW, { outgoing: true, status: 'sent' }), message('n', NOW, { notice: 'devices', status: 'delivered' })];
  assert.equal(unreadMarkOf(messages), undefined);
  assert.equal(buildTimeline(messages, NOW).filter((i) => i.kind === 'unread').length, 0);
});

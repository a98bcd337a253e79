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

test('calls with the contact take their place among the messages by when they ended, with their own day lines', () => {
  const call = (id: string, endedAt: number) => ({ callId: id, peer: 'alice', direction: 'incoming' as const, outcome: 'missed' as const, durationMs: 0, endedAt });
  const messages = [message('a', NOW - 5000), message('b', NOW - 1000)];
  const calls = [call('late', NOW - 500), call('yesterday', NOW - DAY), call('between', NOW - 3000), call('tie', NOW - 1000)];
  const lines = buildTimeline(messages, NOW, undefined, calls).map((i) => (i.kind === 'day' ? i.label : i.kind === 'call' ? `call ${i.call.callId}` : `${i.kind} ${i.key}`));
  assert.deepEqual(lines, ['Yesterday', 'call yesterday', 'Today', 'message a', 'call between', 'message b', 'call tie', 'call late']);
  assert.deepEqual(buildTimeline([], NOW, undefined, [call('only', NOW - 10)]).map((i) => i.kind), ['day', 'call']);
});

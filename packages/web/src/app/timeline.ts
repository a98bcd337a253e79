/**
 * @module app/timeline
 * What a chat's message list shows between its messages: a date line where a new day starts
 * ("Today", "Yesterday", then the weekday within a week, then the date), notices the engine
 * wrote into the chat, the calls with the contact (from the call log, in their place by time, as
 * WhatsApp and Signal show them), and the "N unread messages" line where the unread ones began
 * when the member opened the chat.
 */
import type { StoredCallLogEntry, StoredMessage } from '@sotto/core';

export type TimelineItem =
  | { readonly kind: 'day'; readonly key: string; readonly label: string }
  | { readonly kind: 'unread'; readonly key: string; readonly count: number }
  | { readonly kind: 'notice'; readonly key: string; readonly message: StoredMessage }
  | { readonly kind: 'message'; readonly key: string; readonly message: StoredMessage }
  | { readonly kind: 'call'; readonly key: string; readonly call: StoredCallLogEntry };

/** Where the unread messages started when the chat was opened. */
export interface UnreadMark {
  readonly firstId: string;
  readonly count: number;
}

/** The moment the member sees for a message: when they sent it, or when it arrived here. */
export function timeOf(m: StoredMessage): number {
  return m.outgoing ? m.sentAt : m.receivedAt;
}

/** Incoming messages not yet read (notices are never unread): the first one and how many. */
export function unreadMarkOf(messages: readonly StoredMessage[]): UnreadMark | undefined {
  const unread = messages.filter((m) => !m.outgoing && m.notice === undefined && m.status !== 'read');
  return unread.length === 0 ? undefined : { firstId: unread[0]!.messageId, count: unread.length };
}

function startOfDay(ms: number): number {
  const d = new Date(ms);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** "Today", "Yesterday", "Monday" (within the last week), "12 March" (this year), "12 March 2025". */
export function dayLabel(ms: number, now: number): string {
  const days = Math.round((startOfDay(now) - startOfDay(ms)) / 86_400_000);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  const date = new Date(ms);
  if (days > 1 && days < 7) return date.toLocaleDateString([], { weekday: 'long' });
  const sameYear = date.getFullYear() === new Date(now).getFullYear();
  return date.toLocaleDateString([], { day: 'numeric', month: 'long', ...(sameYear ? {} : { year: 'numeric' }) });
}

/**
 * The chat's lines in time order: `calls` (the contact's, oldest first, as the call log keeps them)
 * go between the messages by when each call ended; at equal times the message comes first.
 */
export function buildTimeline(messages: readonly StoredMessage[], now: number, unread?: UnreadMark, calls: readonly StoredCallLogEntry[] = []): TimelineItem[] {
  const items: TimelineItem[] = [];
  let day: number | undefined;
  const dayLine = (at: number) => {
    const start = startOfDay(at);
    if (start === day) return;
    day = start;
    items.push({ kind: 'day', key: `day-${start}`, label: dayLabel(start, now) });
  };
  const sortedCalls = [...calls].sort((a, b) => a.endedAt - b.endedAt);
  let next = 0;
  const callsUntil = (at: number) => {
    for (; next < sortedCalls.length && sortedCalls[next]!.endedAt < at; next += 1) {
      const call = sortedCalls[next]!;
      dayLine(call.endedAt);
      items.push({ kind: 'call', key: `call-${call.callId}-${call.direction}`, call });
    }
  };
  for (const message of messages) {
    callsUntil(timeOf(message));
    dayLine(timeOf(message));
    if (unread && message.messageId === unread.firstId) items.push({ kind: 'unread', key: 'unread', count: unread.count });
    items.push({ kind: message.notice !== undefined ? 'notice' : 'message', key: message.messageId, message });
  }
  callsUntil(Number.POSITIVE_INFINITY);
  return items;
}

/**
 * @module message-format
 * How one stored message is shown: a line for people, a record for `--json`. Shared by the
 * live printer and `sotto messages`.
 */
import type { StoredMessage } from '@sotto/core';

export function formatMessage(conversation: string, m: StoredMessage): string {
  const who = m.outgoing ? 'you' : m.sender;
  return `[${conversation}] ${who}: ${m.body}${m.outgoing ? ` (${m.status})` : ''}`;
}

export function messageRecord(conversation: string, m: StoredMessage): Record<string, unknown> {
  return { type: 'message', conversation, ...m };
}

/**
 * @module message-status
 * A message's status only moves forward (pending, sent, delivered, read), so a
 * late "sent" never hides a "delivered". Every store and the inbox ask here.
 */
import type { MessageStatus } from './ports.js';

const ORDER: Record<MessageStatus, number> = { pending: 0, sent: 1, delivered: 2, read: 3 };

/** True when going from `current` to `next` is a step forward. */
export function isStatusAdvance(current: MessageStatus, next: MessageStatus): boolean {
  return ORDER[current] < ORDER[next];
}

/**
 * @module message-rules
 * Who may do what to a message, decided the same way by the device that acts and by every
 * device that receives the action: only its sender's account edits (a text, within 15 minutes of
 * sending it) or deletes it for everyone (within 2 days); any member reacts, once per account,
 * the newest reaction counting. Times are the sender's clock on both sides (the original's
 * `sentAt` and the action's), so a device that was offline for a week still agrees.
 */
import { LIMITS } from '@sotto/protocol';
import type { MessageChange, MessageReaction, StoredMessage } from './ports.js';

/** Why an action is refused, in words for the member (sender side) or the drop log (receiver side). */
export type ActionVerdict = { readonly ok: true; readonly change: MessageChange } | { readonly ok: false; readonly reason: string };

const refuse = (reason: string): ActionVerdict => ({ ok: false, reason });

export function judgeEdit(target: StoredMessage, by: string, body: string, sentAt: number): ActionVerdict {
  if (target.deletedAt !== undefined) return refuse('That message was deleted.');
  if (target.sender !== by) return refuse('Only its sender can edit a message.');
  if (target.attachment !== undefined) return refuse('A file cannot be edited; only a text can.');
  const age = sentAt - target.sentAt;
  if (!(age >= 0 && age <= LIMITS.editWindowMs)) return refuse(`A message can be edited for ${LIMITS.editWindowMs / 60_000} minutes after it was sent.`);
  // An older edit arriving after a newer one changes nothing.
  if (target.editedAt !== undefined && sentAt <= target.editedAt) return refuse('A newer edit is already shown.');
  return { ok: true, change: { messageId: target.messageId, body, editedAt: sentAt } };
}

export function judgeRetract(target: StoredMessage, by: string, sentAt: number): ActionVerdict {
  if (target.deletedAt !== undefined) return refuse('That message was already deleted.');
  if (target.sender !== by) return refuse('Only its sender can delete a message for everyone.');
  const age = sentAt - target.sentAt;
  if (!(age >= 0 && age <= LIMITS.retractWindowMs)) return refuse(`A message can be deleted for everyone for ${LIMITS.retractWindowMs / 3_600_000} hours after it was sent.`);
  return { ok: true, change: { messageId: target.messageId, deletedAt: sentAt } };
}

/** `emoji` empty takes the account's reaction back. */
export function judgeReaction(target: StoredMessage, by: string, emoji: string, sentAt: number): ActionVerdict {
  if (target.deletedAt !== undefined) return refuse('That message was deleted.');
  const current = target.reactions ?? [];
  const own = current.find((r) => r.user === by);
  if (own !== undefined && sentAt < own.sentAt) return refuse('A newer reaction is already shown.');
  const others = current.filter((r) => r.user !== by);
  const reactions: MessageReaction[] = emoji === '' ? others : [...others, { user: by, emoji, sentAt }];
  return { ok: true, change: { messageId: target.messageId, reactions } };
}

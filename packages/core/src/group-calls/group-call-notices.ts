/**
 * @module group-calls/group-call-notices
 * "ana joined the call": the lines a group's chat keeps of its call, one per device joining or
 * leaving (GroupCallNotice inside MLS), and what they add up to: who is in the call now. A
 * device that never says it left (its app was killed) counts as in the call for
 * GROUP_CALL_NOTICE_TTL_MS after it joined, then no longer.
 */
import { GroupCallEvent } from '@sotto/protocol';
import type { StoredMessage } from '../ports.js';
import type { GroupCallMember } from './group-call-keyring.js';

export const GROUP_CALL_NOTICE_TTL_MS = 6 * 60 * 60 * 1000;

/** Notices looked at for "in progress": the newest this many of the chat's messages. */
export const GROUP_CALL_NOTICE_WINDOW = 500;

export type GroupCallNoticeKind = 'call-joined' | 'call-left';

export function noticeKindOf(event: GroupCallEvent): GroupCallNoticeKind {
  return event === GroupCallEvent.JOINED ? 'call-joined' : 'call-left';
}

/** The chat line: "You joined the call", "ana left the call". */
export function groupCallNoticeText(sender: string, self: string, kind: GroupCallNoticeKind): string {
  const who = sender === self ? 'You' : sender;
  return `${who} ${kind === 'call-joined' ? 'joined' : 'left'} the call`;
}

/** Who is in the group's call now, from its chat's notices (newest `GROUP_CALL_NOTICE_WINDOW` messages). */
export function participantsFrom(messages: readonly StoredMessage[], now: number): GroupCallMember[] {
  const latest = new Map<string, StoredMessage>();
  for (const message of messages) {
    if (message.notice !== 'call-joined' && message.notice !== 'call-left') continue;
    const key = `${message.sender}\n${message.senderDevice}`;
    const seen = latest.get(key);
    if (!seen || message.sentAt >= seen.sentAt) latest.set(key, message);
  }
  return [...latest.values()]
    .filter((m) => m.notice === 'call-joined' && now - m.sentAt < GROUP_CALL_NOTICE_TTL_MS)
    .sort((a, b) => a.sentAt - b.sentAt)
    .map((m) => ({ user: m.sender, device: m.senderDevice }));
}

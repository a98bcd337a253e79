/**
 * @module app/chat-summaries
 * The chat list's rows: one per direct peer (whatever MLS groups carry it) and one per group,
 * with the last message and the unread count, newest activity first.
 */
import type { SottoClient, StoredMessage } from '@sotto/core';
import type { ChatRef } from './view.js';

export interface ChatSummary {
  readonly chat: ChatRef;
  readonly title: string;
  readonly last: StoredMessage | undefined;
  readonly unread: number;
  readonly active: boolean;
  readonly lastActivity: number;
}

function at(message: StoredMessage): number {
  return message.outgoing ? message.sentAt : message.receivedAt;
}

export async function loadChatSummaries(client: SottoClient): Promise<ChatSummary[]> {
  const conversations = await client.listConversations();
  const direct = new Map<string, { groupIds: string[]; createdAt: number; active: boolean }>();
  const rows: ChatSummary[] = [];
  for (const c of conversations) {
    if (c.kind === 'direct') {
      const entry = direct.get(c.name) ?? { groupIds: [], createdAt: c.createdAt, active: false };
      entry.groupIds.push(c.groupId);
      entry.active ||= c.active;
      direct.set(c.name, entry);
      continue;
    }
    const [last] = await client.listMessages(c.groupId, 1).then((m) => m.slice(-1));
    rows.push({
      chat: { kind: 'group', groupId: c.groupId, name: c.name },
      title: c.name,
      last,
      unread: await client.unreadCount(c.groupId),
      active: c.active,
      lastActivity: last ? at(last) : c.createdAt,
    });
  }
  for (const [peer, entry] of direct) {
    const last = (await client.listDirectMessages(peer, 1)).at(-1);
    let unread = 0;
    for (const groupId of entry.groupIds) unread += await client.unreadCount(groupId);
    rows.push({ chat: { kind: 'direct', peer }, title: peer, last, unread, active: entry.active, lastActivity: last ? at(last) : entry.createdAt });
  }
  return rows.sort((a, b) => b.lastActivity - a.lastActivity);
}

/** The MLS groups behind a chat: several for a direct chat while both sides' first groups converge. */
export async function groupIdsOf(client: SottoClient, chat: ChatRef): Promise<string[]> {
  if (chat.kind === 'group') return [chat.groupId];
  return (await client.listConversations()).filter((c) => c.kind === 'direct' && c.name === chat.peer).map((c) => c.groupId);
}

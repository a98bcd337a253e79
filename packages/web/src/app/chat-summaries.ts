/**
 * @module app/chat-summaries
 * The chat list's rows: one per direct peer (whatever MLS groups carry it) and one per group,
 * with the last message, the unread count and how the member keeps it (muted, pinned, archived);
 * pinned first, then newest activity first.
 */
import type { SottoClient, StoredMessage } from '@sotto/core';
import { isMuted } from './notifications.js';
import type { ChatRef } from './view.js';

export interface ChatSummary {
  readonly chat: ChatRef;
  readonly title: string;
  readonly last: StoredMessage | undefined;
  readonly unread: number;
  readonly active: boolean;
  readonly lastActivity: number;
  readonly muted: boolean;
  readonly pinned: boolean;
  readonly archived: boolean;
}

type Flags = Pick<ChatSummary, 'muted' | 'pinned' | 'archived'>;
type ChatFlagsById = NonNullable<Awaited<ReturnType<SottoClient['getSettings']>>['chats']>;

/** A chat's flags: those of any of its MLS groups (a direct chat's are kept on the one openDirect names). */
function flagsOf(chats: ChatFlagsById, groupIds: readonly string[], now: number): Flags {
  const all = groupIds.map((id) => chats[id] ?? {});
  return { muted: all.some((f) => isMuted(f.mutedUntil, now)), pinned: all.some((f) => f.pinned === true), archived: all.some((f) => f.archived === true) };
}

/**
 * The MLS groups whose chat is muted. A direct chat is muted as a whole: its flags sit on one of
 * its groups (openDirect's), and a message arriving on another group of the same peer (while the
 * two sides' first groups converge) is just as muted.
 */
export function mutedGroupIdsOf(
  conversations: readonly { readonly groupId: string; readonly kind: string; readonly name: string }[],
  chats: ChatFlagsById,
  now: number,
): Set<string> {
  const muted = new Set<string>();
  const byPeer = new Map<string, string[]>();
  for (const c of conversations) {
    if (c.kind === 'direct') byPeer.set(c.name, [...(byPeer.get(c.name) ?? []), c.groupId]);
    else if (isMuted(chats[c.groupId]?.mutedUntil, now)) muted.add(c.groupId);
  }
  for (const groupIds of byPeer.values()) {
    if (groupIds.some((id) => isMuted(chats[id]?.mutedUntil, now))) for (const id of groupIds) muted.add(id);
  }
  return muted;
}

export async function mutedGroupIds(client: SottoClient): Promise<Set<string>> {
  const [conversations, settings] = await Promise.all([client.listConversations(), client.getSettings()]);
  return mutedGroupIdsOf(conversations, settings.chats ?? {}, Date.now());
}

/** Pinned chats first, then the newest activity. */
export function orderChats<T extends Pick<ChatSummary, 'pinned' | 'lastActivity'>>(rows: T[]): T[] {
  return rows.sort((a, b) => Number(b.pinned) - Number(a.pinned) || b.lastActivity - a.lastActivity);
}

function at(message: StoredMessage): number {
  return message.outgoing ? message.sentAt : message.receivedAt;
}

export async function loadChatSummaries(client: SottoClient): Promise<ChatSummary[]> {
  const conversations = await client.listConversations();
  // One read of the settings for every row: the list reloads at every engine event.
  const chats = (await client.getSettings()).chats ?? {};
  const now = Date.now();
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
      ...flagsOf(chats, [c.groupId], now),
    });
  }
  for (const [peer, entry] of direct) {
    const last = (await client.listDirectMessages(peer, 1)).at(-1);
    let unread = 0;
    for (const groupId of entry.groupIds) unread += await client.unreadCount(groupId);
    rows.push({
      chat: { kind: 'direct', peer }, title: peer, last, unread, active: entry.active, lastActivity: last ? at(last) : entry.createdAt,
      ...flagsOf(chats, entry.groupIds, now),
    });
  }
  return orderChats(rows);
}

/** The MLS groups behind a chat: several for a direct chat while both sides' first groups converge. */
export async function groupIdsOf(client: SottoClient, chat: ChatRef): Promise<string[]> {
  if (chat.kind === 'group') return [chat.groupId];
  return (await client.listConversations()).filter((c) => c.kind === 'direct' && c.name === chat.peer).map((c) => c.groupId);
}

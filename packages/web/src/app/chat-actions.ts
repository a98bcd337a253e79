/**
 * @module app/chat-actions
 * What the composer does with a chat: a group is sent to by its id (two groups may share a
 * name), a direct chat through the one conversation the engine keeps with that peer.
 */
import { checkMessageText, type SottoClient, type StoredMessage } from '@sotto/core';
import type { ChatRef } from './view.js';

/** The part of the engine sending needs (a narrow type, so a test can stand in for it). */
export type ChatSender = Pick<SottoClient, 'openDirect' | 'sendText'>;

export async function sendToChat(client: ChatSender, chat: ChatRef, text: string): Promise<StoredMessage> {
  if (chat.kind === 'group') return client.sendText(chat.groupId, text);
  // Checked before the direct conversation is looked up or started: a bad message starts nothing.
  checkMessageText(text);
  return client.sendText(await client.openDirect(chat.peer), text);
}

/**
 * @module support/engine-internals
 * The engine's internal conversation layer, for tests that play a hostile or broken client:
 * they do what the public, id-based API refuses (add a third member to a 1:1, send hand-made
 * call signals, open a second 1:1). Honest members' steps use the public API.
 */
import { ContactAction, ContactRespondSchema, create, FrameType, type AppContent } from '@sotto/protocol';
import type { SottoClient, StoredConversation, StoredMessage } from '@sotto/core';

export interface ConversationInternals {
  ensureDirect(peer: string): Promise<StoredConversation>;
  findDirect(peer: string): Promise<StoredConversation | undefined>;
  addMembers(conversation: StoredConversation, usernames: string[]): Promise<void>;
  /** Without the public API's checks: any text, to any conversation, whoever its members are. */
  sendText(groupId: string, text: string): Promise<StoredMessage>;
  sendSignal(conversation: StoredConversation, content: AppContent, ring: boolean): Promise<void>;
}

export function internalsOf(client: SottoClient): ConversationInternals {
  return (client as unknown as { conversations: ConversationInternals }).conversations;
}

/**
 * Accepts `username`'s request as a client that sets up no chat would (an older one, or one whose
 * set-up failed): the CONTACT_RESPOND frame alone, without `respondToContact`'s 1:1.
 */
export async function acceptWithoutChat(client: SottoClient, username: string): Promise<void> {
  const session = (client as unknown as { session: { request(type: FrameType, body: unknown): Promise<unknown> } }).session;
  await session.request(FrameType.CONTACT_RESPOND, create(ContactRespondSchema, { username, action: ContactAction.ACCEPT }));
  await client.refreshContacts();
}

/**
 * @module message-ids
 * Messages by the id `sync` prints: the whole id, or a unique prefix of 8 or more hex digits,
 * looked up in every conversation of this profile.
 */
import { ClientError, type SottoClient, type StoredMessage } from '@sotto/core';

/** The message whose id is `id`, or the one message whose id starts with it (at least 8 hex digits). */
export async function findMessage(client: SottoClient, id: string): Promise<StoredMessage> {
  const wanted = id.toLowerCase();
  if (!/^[0-9a-f]{8,32}$/.test(wanted)) throw new ClientError('INVALID_INPUT', 'A message id is 8 to 32 hexadecimal digits (as `sotto sync` prints it).');
  const matches: StoredMessage[] = [];
  for (const conversation of await client.listConversations()) {
    for (const message of await client.listMessages(conversation.groupId, 1000)) if (message.messageId.startsWith(wanted)) matches.push(message);
  }
  if (matches.length === 0) throw new ClientError('INVALID_INPUT', `No message here has the id ${id}.`);
  if (matches.length > 1) throw new ClientError('INVALID_INPUT', `${matches.length} messages start with ${id}; give more of the id.`);
  return matches[0]!;
}


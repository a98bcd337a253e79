/**
 * @module conversation-names
 * The one place the CLI turns what a member types (a contact's username, a
 * group's name or the first characters of its id) into the conversation id
 * the engine works by. An ambiguous name is refused with the ids to choose
 * from, never guessed.
 */
import { checkMessageText, ClientError, type SottoClient, type StoredConversation } from '@sotto/core';

/** Shortest id prefix taken as an id rather than a name (`sotto group list` shows 16 characters). */
const MIN_ID_PREFIX = 8;

/**
 * The id of an active group, named by its exact name or by an id prefix of at least 8 characters.
 * `text`, when given, is checked first (a bad message is reported as such, whatever the name).
 */
export async function resolveGroup(client: SottoClient, name: string, text?: string): Promise<string> {
  if (text !== undefined) checkMessageText(text);
  return (await findGroup(client, name, { includeLeft: false })).groupId;
}

/**
 * The id of a group to read: an active one, or else one this device was in and has left or was
 * removed from (its history stays on the device, and reading it must not need the group).
 */
export async function resolveGroupToRead(client: SottoClient, name: string): Promise<string> {
  try {
    return (await findGroup(client, name, { includeLeft: false })).groupId;
  } catch (error) {
    if (!(error instanceof ClientError && error.code === 'UNKNOWN_GROUP')) throw error;
    return (await findGroup(client, name, { includeLeft: true })).groupId;
  }
}

/**
 * The id of the direct conversation with `username`, started if there is none. `text`, when
 * given, is checked first, so a message that cannot be sent starts no conversation.
 */
export async function resolveDirect(client: SottoClient, username: string, text?: string): Promise<string> {
  if (text !== undefined) checkMessageText(text);
  return client.openDirect(username);
}

/** Groups by name or id prefix; ambiguous names are refused with the candidates' ids. */
async function findGroup(client: SottoClient, name: string, options: { includeLeft: boolean }): Promise<StoredConversation> {
  const groups = (await client.listConversations()).filter((c) => c.kind === 'group' && (c.active || options.includeLeft));
  const byId = name.length >= MIN_ID_PREFIX ? groups.filter((c) => c.groupId.startsWith(name)) : [];
  const match = byId.length > 0 ? byId : groups.filter((c) => c.name === name);
  if (match.length === 0) throw new ClientError('UNKNOWN_GROUP', `No group named "${name}".`);
  if (match.length > 1) {
    throw new ClientError('INVALID_INPUT', `${match.length} groups are named "${name}"; name one by its id (sotto group list): ${match.map((c) => c.groupId.slice(0, 16)).join(', ')}.`);
  }
  return match[0]!;
}

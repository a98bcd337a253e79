/**
 * @module message-change
 * The one rule every store follows to change a stored message after the fact: an edit replaces
 * its text, a deletion for everyone empties it and drops its file's descriptor (the key with it)
 * for good, and reactions replace the list. A deleted message stays deleted whatever comes later.
 */
import type { MessageChange, StoredMessage } from './ports.js';

export function applyMessageChange(message: StoredMessage, change: MessageChange): StoredMessage {
  if (message.deletedAt !== undefined) return message;
  if (change.deletedAt !== undefined) {
    const { attachment: _dropped, reactions: _gone, replyTo: _reply, ...kept } = message;
    return { ...kept, body: '', deletedAt: change.deletedAt };
  }
  const { reactions: before, ...rest } = message;
  const reactions = change.reactions ?? before;
  return {
    ...rest,
    ...(change.body !== undefined ? { body: change.body } : {}),
    ...(change.editedAt !== undefined ? { editedAt: change.editedAt } : {}),
    ...(reactions !== undefined && reactions.length > 0 ? { reactions } : {}),
  };
}

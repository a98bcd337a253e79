/**
 * @module app/message-view
 * What the chat says about one message beyond its text: which actions its menu offers (edit and
 * delete for everyone are asked of the engine's own rules, so the menu never offers what every
 * receiver would refuse), and the one line a reply quotes of it.
 */
import { describeAttachment, judgeEdit, judgeRetract, type StoredMessage } from '@sotto/core';

export interface MessageOffers {
  readonly reply: boolean;
  readonly react: boolean;
  readonly edit: boolean;
  readonly deleteForEveryone: boolean;
  readonly forward: boolean;
  readonly copy: boolean;
}

const NOTHING: MessageOffers = { reply: false, react: false, edit: false, deleteForEveryone: false, forward: false, copy: false };

/** `canWrite`: the member may send in this chat now (a left group or a pending contact: read only). */
export function offersFor(message: StoredMessage, me: string, now: number, canWrite: boolean): MessageOffers {
  if (message.notice !== undefined || message.deletedAt !== undefined) return NOTHING;
  return {
    reply: canWrite,
    react: canWrite,
    edit: canWrite && judgeEdit(message, me, message.body, now).ok,
    deleteForEveryone: canWrite && judgeRetract(message, me, now).ok,
    forward: true,
    copy: message.body !== '',
  };
}

/** "Photo", "Voice note", "File": what a file is called where its contents cannot be shown. */
export function fileKind(message: StoredMessage): string | undefined {
  if (!message.attachment) return undefined;
  try {
    const display = describeAttachment(message)?.display;
    return display === 'image' ? 'Photo' : display === 'voice-note' ? 'Voice note' : 'File';
  } catch {
    return 'File';
  }
}

/** The quoted line of a message: its sender as the member reads it, and its first line. */
export function quoteOf(message: StoredMessage): { readonly sender: string; readonly text: string } {
  const sender = message.outgoing ? 'You' : message.sender;
  if (message.deletedAt !== undefined) return { sender, text: 'This message was deleted' };
  const firstLine = message.body.split('\n', 1)[0]!;
  const kind = fileKind(message);
  const text = kind ? (firstLine ? `${kind}: ${firstLine}` : kind) : firstLine;
  return { sender, text: text.length > 120 ? `${text.slice(0, 119)}…` : text };
}

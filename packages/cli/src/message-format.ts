/**
 * @module message-format
 * How one stored message is shown: a line for people, a record for `--json`. Shared by the
 * live printer and `sotto messages`. A file is described from its descriptor (name, type, size,
 * what it may be shown as), never with the key or digest that open and check it.
 */
import { describeAttachment, type StoredMessage } from '@sotto/core';

/** Bytes as people read them: 512 B, 1.4 KB, 12.0 MB (powers of 1,000, as file managers show). */
export function formatSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** What the CLI says of a message's file, or undefined for a text. */
export function fileRecord(m: StoredMessage): Record<string, unknown> | undefined {
  let file;
  try {
    file = describeAttachment(m);
  } catch {
    return { display: 'file', unreadable: true };
  }
  if (!file) return undefined;
  return {
    fileName: file.fileName,
    mediaType: file.mediaType,
    typeLabel: file.typeLabel,
    display: file.display,
    size: file.size,
    ...(file.width !== undefined ? { width: file.width, height: file.height } : {}),
    ...(file.durationMs !== undefined ? { durationMs: file.durationMs } : {}),
    ...(file.reason !== undefined ? { reason: file.reason } : {}),
  };
}

export function formatMessage(conversation: string, m: StoredMessage): string {
  const who = m.outgoing ? 'you' : m.sender;
  if (m.notice !== undefined) return `[${conversation}] -- ${m.body} --`;
  if (m.deletedAt !== undefined) return `[${conversation}] ${who}: (this message was deleted)`;
  const file = fileRecord(m);
  const marks = [
    m.forwarded ? '(forwarded) ' : '',
    m.replyTo !== undefined ? `(reply to ${m.replyTo.slice(0, 12)}) ` : '',
  ].join('');
  const after = [
    m.editedAt !== undefined ? ' (edited)' : '',
    m.expiresAt !== undefined ? ` (disappears ${new Date(m.expiresAt).toISOString().slice(0, 16).replace('T', ' ')} UTC)` : '',
    m.reactions && m.reactions.length > 0 ? ` [${m.reactions.map((r) => `${r.emoji} ${r.user}`).join(', ')}]` : '',
  ].join('');
  const what = file
    ? `[${file.display === 'image' ? 'photo' : file.display === 'voice-note' ? 'voice note' : 'file'} "${String(file.fileName)}", ${String(file.typeLabel)}, ${formatSize(Number(file.size))}; sotto save ${m.messageId.slice(0, 12)}]${m.body ? ` ${m.body}` : ''}`
    : m.body;
  return `[${conversation}] ${who}: ${marks}${what}${after}${m.outgoing ? ` (${m.status})` : ''}`;
}

export function messageRecord(conversation: string, m: StoredMessage): Record<string, unknown> {
  // A notice the device wrote into the chat is no message: scripts see it under its own type.
  if (m.notice !== undefined) return { type: 'notice', conversation, notice: m.notice, text: m.body, username: m.sender, at: m.receivedAt };
  const { attachment, ...rest } = m;
  return { type: 'message', conversation, ...rest, ...(attachment ? { attachment: fileRecord(m) } : {}) };
}

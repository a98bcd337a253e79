/**
 * @module commands/files
 * Files from the CLI: `sotto send <user> --file <path> [--as-file] [caption...]` and `sotto group
 * send <group> --file <path> [caption...]` (through `sendFile`; photos are re-encoded first), `--voice <file.wav>` for a voice note (through
 * `sendVoiceNote`), and `sotto save <message-id> [dir]`, which
 * fetches, checks and decrypts a received file into a directory, only when asked.
 */
import type { Command } from 'commander';
import { ClientError, type FileSource, type SottoClient } from '@sotto/core';
import { createOutput, type Output } from '../output.js';
import { withClient, type GlobalOptions } from '../profile.js';
import { formatSize } from '../message-format.js';
import { findMessage } from '../message-ids.js';

/**
 * Encrypts and uploads `path`, then sends it to `conversationId` with `caption`; prints the result.
 * A photo is re-encoded first (metadata gone) and sent with a preview, unless `asFile` keeps the
 * original bytes as a plain file.
 */
export async function sendFile(client: SottoClient, conversationId: string, path: string, caption: string, out: Output, to: Record<string, string>, asFile = false): Promise<void> {
  const { fileSource } = await import('@sotto/client-node');
  let source: FileSource;
  try {
    source = await fileSource(path);
  } catch {
    throw new ClientError('INVALID_INPUT', `${path} is not a file this CLI can read.`);
  }
  const photo = asFile ? undefined : await (await import('@sotto/client-node/photo')).preparePhoto(path);
  if (photo) out.print('note: the photo was re-encoded before sending: location and camera details are removed (--as-file sends the original as a file)', { type: 'file-note', reencoded: true });
  const options = { ...(caption ? { caption } : {}), ...(photo?.options ?? {}), ...(asFile ? { asFile: true } : {}) };
  const file = photo?.file ?? source;
  const sent = await client.attachments.send(conversationId, file, options);
  for (const warning of sent.nameWarnings) out.print(`note: ${warning}`, { type: 'file-warning', message: warning });
  out.print(`sent ${sent.message.messageId} (${formatSize(file.size)})`, { type: 'sent', messageId: sent.message.messageId, bytes: file.size, ...to });
}

/** Encodes the WAV at `path` as an Ogg Opus voice note (with its duration and waveform) and sends it. */
export async function sendVoiceNote(client: SottoClient, conversationId: string, path: string, caption: string, out: Output, to: Record<string, string>): Promise<void> {
  const { voiceNoteFromWav } = await import('@sotto/client-node/calls');
  const note = await voiceNoteFromWav(path);
  const sent = await client.attachments.send(conversationId, note.file, { ...note.options, ...(caption ? { caption } : {}) });
  out.print(`sent voice note ${sent.message.messageId} (${(Number(note.options.durationMs) / 1000).toFixed(1)} s, ${formatSize(note.file.size)})`, {
    type: 'sent', messageId: sent.message.messageId, bytes: note.file.size, durationMs: note.options.durationMs, ...to,
  });
}

export function registerFileCommands(program: Command, globals: () => GlobalOptions): void {
  const out = (): Output => createOutput(globals().json ?? false);
  program
    .command('save')
    .description("fetch, check and decrypt a received file into a directory (nothing is fetched until you ask)")
    .argument('<message-id>', 'the message carrying the file (as sync prints it; a unique prefix will do)')
    .argument('[dir]', 'where to save it', '.')
    .action(async (id: string, dir: string) => {
      const { directorySink } = await import('@sotto/client-node');
      const output = out();
      const result = await withClient(globals(), async (client) => {
        const message = await findMessage(client, id);
        const sink = directorySink(dir);
        const saved = await client.attachments.save(message.messageId, sink);
        return { saved, path: sink.savedPath ?? dir };
      });
      const { saved, path } = result;
      for (const warning of saved.nameWarnings) output.print(`note: ${warning}`, { type: 'file-warning', message: warning });
      if (saved.classification.reason) output.print(`note: ${saved.classification.reason}`, { type: 'file-warning', message: saved.classification.reason });
      output.print(`saved ${path} (${formatSize(saved.size)}, ${saved.classification.mediaType})`, {
        type: 'saved', path, bytes: saved.size, mediaType: saved.classification.mediaType, display: saved.classification.display,
      });
    });
}

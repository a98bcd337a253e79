/**
 * @module app/send-file
 * What the composer sends when the member picked, dropped or pasted a file: a photo (JPEG, PNG,
 * WebP by its bytes, not its name) is re-encoded in the image sandbox first, so its metadata
 * (EXIF location, camera serials) never leaves the device; "send as file" keeps the original
 * bytes. Everything else goes as it is, as a file.
 */
import type { SentFile, SottoClient } from '@sotto/core';
import { SNIFF_HEAD_BYTES } from '@sotto/core';
import { blobSource } from '../media/file-ports.js';
import { checkImageHeader } from '../media/image-checks.js';
import { reencodePhoto } from '../media/image-sandbox.js';
import type { VoiceNote } from '../media/voice-recorder.js';
import type { ChatRef } from './view.js';

export interface PickedFile {
  readonly blob: Blob;
  readonly name: string;
  /** A JPEG, PNG or WebP whose header says it can be opened: offered for re-encoding. */
  readonly photo: boolean;
}

/** Looks at the head of a picked file (no decoding) to tell whether it is a photo. */
export async function pickFile(file: File): Promise<PickedFile> {
  const head = new Uint8Array(await file.slice(0, SNIFF_HEAD_BYTES).arrayBuffer());
  // A pasted image has a generic name; it still needs one.
  const name = file.name || 'pasted file';
  return { blob: file, name, photo: checkImageHeader(head).ok };
}

/** The conversation a chat's messages go to: a group's id, or the one direct conversation with the peer. */
export async function conversationOf(client: Pick<SottoClient, 'openDirect'>, chat: ChatRef): Promise<string> {
  return chat.kind === 'group' ? chat.groupId : client.openDirect(chat.peer);
}

function asJpegName(name: string): string {
  const base = name.replace(/\.[^./\\]{1,10}$/, '');
  return `${base || 'photo'}.jpg`;
}

export interface SendChoice {
  readonly caption: string;
  /** Keep a photo's original bytes, as a plain file. */
  readonly asFile: boolean;
  readonly onProgress: (fraction: number) => void;
}

export async function sendPickedFile(client: SottoClient, chat: ChatRef, picked: PickedFile, choice: SendChoice): Promise<SentFile> {
  const caption = choice.caption.trim();
  const options = caption ? { caption } : {};
  const conversation = await conversationOf(client, chat);
  if (picked.photo && !choice.asFile) {
    const photo = await reencodePhoto(new Uint8Array(await picked.blob.arrayBuffer()));
    const blob = new Blob([photo.photo as BlobPart], { type: 'image/jpeg' });
    const source = blobSource(blob, asJpegName(picked.name), (bytes) => choice.onProgress(bytes / blob.size));
    return client.attachments.send(conversation, source, {
      ...options, width: photo.width, height: photo.height, ...(photo.thumbnail.byteLength > 0 ? { thumbnail: photo.thumbnail } : {}),
    });
  }
  const source = blobSource(picked.blob, picked.name, (bytes) => choice.onProgress(bytes / picked.blob.size));
  return client.attachments.send(conversation, source, { ...options, asFile: true });
}

export async function sendVoiceNote(client: SottoClient, chat: ChatRef, note: VoiceNote): Promise<SentFile> {
  const conversation = await conversationOf(client, chat);
  const source = blobSource(new Blob([note.bytes as BlobPart], { type: 'audio/ogg' }), 'voice-note.ogg');
  return client.attachments.send(conversation, source, { durationMs: note.durationMs, waveform: note.waveform });
}

/**
 * @module attachments/attachments
 * `client.attachments`: sending a file and saving a received one, end to end encrypted.
 *
 * Sending: the file's head is sniffed, a fresh key encrypts it as a stream (`blob-cipher.ts`), the
 * server reserves room for the exact ciphertext size (CREATE_UPLOAD) and receives the ciphertext
 * over HTTP in resumable chunks (`blob-http.ts`); then the key, the ciphertext's digest, the size,
 * the sniffed type and the sanitised name go to the conversation inside MLS, like a text.
 *
 * Saving happens only when the member asks: the ciphertext is fetched, its digest and every chunk's
 * tag checked as it streams into the platform's sink, and the sink keeps the file only once all of
 * it checked (a swapped, cut or extended blob leaves nothing). The bytes are sniffed again; what
 * they are, not what the sender said, decides how the file may be shown.
 */
import { AppContentSchema, AttachmentKind, AttachmentSchema, CreateUploadSchema, FrameType, create, fromBinary, toBinary, type Attachment } from '@sotto/protocol';
import { equalBytes, toHex } from '../bytes.js';
import type { EngineContext } from '../context.js';
import type { Conversations } from '../conversations.js';
import { ClientError } from '../errors.js';
import { newMessageId } from '../message-id.js';
import { expiryFor, timerOf } from '../disappearing.js';
import type { HttpPort, StoredMessage } from '../ports.js';
import { BLOB_KEY_BYTES, CiphertextDigest, ciphertextSize, decryptStream, digestAlong, encryptStream } from './blob-cipher.js';
import { downloadBlob, uploadBlob } from './blob-http.js';
import { buildAttachment, describeReceived, kindForMediaType, type ReceivedAttachment } from './descriptor.js';
import { checkImageDimensions } from './image-dimensions.js';
import { sanitizeFileName } from './file-name.js';
import { classify, sniffMediaType, SNIFF_HEAD_BYTES, type Classification } from './sniff.js';

/** A file to send, as the platform reads it: its name, its size, and its bytes from the start each time. */
export interface FileSource {
  readonly name: string;
  readonly size: number;
  /** The whole file from its first byte; called again when an upload resumes. */
  read(): AsyncIterable<Uint8Array>;
}

export interface SendFileOptions {
  readonly caption?: string;
  /** Send a photo or a recording as a plain file. */
  readonly asFile?: boolean;
  /** Images: the sender's re-encoded preview (at most 12 KiB) and the size in pixels. */
  readonly thumbnail?: Uint8Array;
  readonly width?: number;
  readonly height?: number;
  /** Voice notes: from `voiceNoteShape`. */
  readonly durationMs?: number;
  readonly waveform?: Uint8Array;
}

export interface SentFile {
  readonly message: StoredMessage;
  /** What sanitising the name changed, for the member. */
  readonly nameWarnings: readonly string[];
}

/** Where a received file goes: written as it is checked, kept only on `commit`. */
export interface FileSink {
  write(chunk: Uint8Array): Promise<void>;
  /** All of it checked: keep it, under `fileName` (sanitised for the bytes' real type). */
  commit(fileName: string): Promise<void>;
  /** Something failed: nothing written may remain. */
  abort(): Promise<void>;
}

export interface SavedFile {
  readonly fileName: string;
  readonly size: number;
  /** How the bytes may be shown (an image, a voice note, or a file), decided from the bytes. */
  readonly classification: Classification;
  readonly nameWarnings: readonly string[];
}

/** The descriptor a stored message carries, or undefined for a text. */
export function attachmentOf(message: StoredMessage): Attachment | undefined {
  return message.attachment ? fromBinary(AttachmentSchema, message.attachment) : undefined;
}

/** What a screen may show of a message's file before anything is downloaded (the sender's claim, checked). */
export function describeAttachment(message: StoredMessage): ReceivedAttachment | undefined {
  const attachment = attachmentOf(message);
  return attachment ? describeReceived(attachment) : undefined;
}

export class Attachments {
  constructor(
    private readonly ctx: EngineContext,
    private readonly conversations: Conversations,
    private readonly http: HttpPort | undefined,
    private readonly audience: Parameters<Conversations['send']>[3],
  ) {}

  /** Encrypts, uploads and sends `file` to the conversation; resolves once the server has the message. */
  async send(conversationId: string, file: FileSource, options: SendFileOptions = {}): Promise<SentFile> {
    const http = this.requireHttp();
    if (!Number.isSafeInteger(file.size) || file.size < 1) throw new ClientError('INVALID_INPUT', 'A file to send holds at least one byte.');
    const head = await headOf(file.read(), SNIFF_HEAD_BYTES);
    const sniffed = await sniffMediaType(head);
    const shape = imageShape(head, sniffed.mediaType, options);
    const key = this.ctx.random.bytes(BLOB_KEY_BYTES);
    const size = ciphertextSize(file.size);
    const ticket = await this.ctx.session.request(FrameType.CREATE_UPLOAD, create(CreateUploadSchema, { size: BigInt(size) }));
    if (ticket.case !== 'upload') throw new ClientError('REMOTE', 'Unexpected answer to an upload request.');
    // Each pass (a resumed upload starts one) hashes the whole ciphertext again: the last one to finish counts.
    let digest = new CiphertextDigest();
    await uploadBlob(http, this.ctx.identity.serverUrl, { blobId: toHex(ticket.value.blobId), token: ticket.value.token }, size, () => {
      digest = new CiphertextDigest();
      return digestAlong(encryptStream(key, counted(file.read(), file.size)), digest);
    });
    const built = buildAttachment({
      blobId: ticket.value.blobId, key, digest: digest.digest(), size: file.size, mediaType: sniffed.mediaType, fileName: file.name,
      ...options, ...shape,
    });
    const messageId = newMessageId(this.ctx.clock, this.ctx.random);
    const now = this.ctx.clock.now();
    const seconds = await timerOf(this.ctx.store, conversationId);
    const expiresAt = expiryFor(seconds, now);
    const attachment = { ...built.attachment, expireSeconds: seconds };
    const content = create(AppContentSchema, { messageId, sentAt: BigInt(now), body: { case: 'attachment', value: attachment } });
    const record: StoredMessage = {
      messageId: toHex(messageId), groupId: conversationId, sender: this.ctx.identity.username, senderDevice: this.ctx.identity.deviceId,
      body: built.attachment.caption, sentAt: now, receivedAt: now, outgoing: true, status: 'pending',
      attachment: toBinary(AttachmentSchema, attachment), ...(expiresAt !== undefined ? { expiresAt } : {}),
    };
    await this.conversations.send({ groupId: conversationId }, content, record, this.audience);
    this.ctx.logger.info({ bytes: file.size }, 'file sent');
    return { message: { ...record, status: 'sent' }, nameWarnings: built.nameWarnings };
  }

  /**
   * Fetches, checks and decrypts the file of `messageId` into `sink`. Only on the member's request:
   * nothing calls this by itself. A blob that is not what the sender sent is FILE_TAMPERED and
   * the sink is aborted.
   */
  async save(messageId: string, sink: FileSink): Promise<SavedFile> {
    const http = this.requireHttp();
    const message = await this.ctx.store.getMessage(messageId);
    const attachment = message && attachmentOf(message);
    if (!attachment) throw new ClientError('INVALID_INPUT', 'That message carries no file.');
    const claimed = describeReceived(attachment);
    const digest = new CiphertextDigest();
    const head: Uint8Array[] = [];
    let headBytes = 0;
    let written = 0;
    try {
      const cipher = downloadBlob(http, this.ctx.identity.serverUrl, toHex(attachment.blobId));
      for await (const chunk of decryptStream(attachment.key, digestAlong(cipher, digest))) {
        written += chunk.byteLength;
        if (written > claimed.size) throw tampered('it is longer than its sender said');
        if (headBytes < SNIFF_HEAD_BYTES) {
          head.push(chunk.subarray(0, SNIFF_HEAD_BYTES - headBytes));
          headBytes += Math.min(chunk.byteLength, SNIFF_HEAD_BYTES - headBytes);
        }
        await sink.write(chunk);
      }
      if (written !== claimed.size) throw tampered('it is shorter than its sender said');
      if (!equalBytes(digest.digest(), attachment.digest)) throw tampered('its digest does not match');
      const bytes = concat(head, headBytes);
      const classification = await classify(bytes, { mediaType: attachment.mediaType, kind: attachment.kind, fileName: attachment.fileName });
      const { name, warnings } = sanitizeFileName(attachment.fileName, classification.mediaType);
      await sink.commit(name);
      return { fileName: name, size: written, classification, nameWarnings: warnings };
    } catch (error) {
      await sink.abort().catch(() => undefined);
      if (error instanceof ClientError && (error.code === 'FILE_UNAVAILABLE' || error.code === 'FILE_TAMPERED')) throw error;
      // The stream's own refusal (a tag that does not verify, a cut or extended stream).
      if (error instanceof ClientError && error.code === 'INVALID_INPUT') throw tampered(error.message);
      throw error;
    }
  }

  private requireHttp(): HttpPort {
    if (!this.http) throw new ClientError('INVALID_INPUT', 'This client cannot move files (no HTTP client was given to it).');
    return this.http;
  }
}

/**
 * An image sent as an image carries its size: the caller's, or read here from its header. One
 * whose header cannot be read, or that is too large to open safely, goes as a plain file.
 */
function imageShape(head: Uint8Array, mediaType: string, options: SendFileOptions): Partial<SendFileOptions> {
  if (options.asFile === true || kindForMediaType(mediaType) !== AttachmentKind.IMAGE || options.width !== undefined) return {};
  const size = checkImageDimensions(head, mediaType);
  return size.ok ? { width: size.width, height: size.height } : { asFile: true, thumbnail: undefined };
}

function tampered(why: string): ClientError {
  return new ClientError('FILE_TAMPERED', `The file is not what its sender sent (${why}); nothing of it was kept.`);
}

/** The first `limit` bytes of a stream (or all of it, if shorter). */
async function headOf(source: AsyncIterable<Uint8Array>, limit: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of source) {
    parts.push(chunk.subarray(0, limit - length));
    length += Math.min(chunk.byteLength, limit - length);
    if (length >= limit) break;
  }
  return concat(parts, length);
}

/** The file as read, refused if it is not the size it said: a file changed while sending is not sent half. */
async function* counted(source: AsyncIterable<Uint8Array>, size: number): AsyncIterable<Uint8Array> {
  let read = 0;
  for await (const chunk of source) {
    read += chunk.byteLength;
    if (read > size) throw new ClientError('INVALID_INPUT', 'The file grew while it was being sent; nothing was sent.');
    yield chunk;
  }
  if (read !== size) throw new ClientError('INVALID_INPUT', 'The file shrank while it was being sent; nothing was sent.');
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/**
 * @module attachments/descriptor
 * The `Attachment` descriptor that travels inside the MLS message: built by the sender from what
 * it knows of the file (choosing the kind from the sniffed type, sanitising the name, checking
 * every field as a receiver will), and read back by the receiver into what a UI may show before
 * anything is downloaded. Nothing here is trusted to describe the bytes: after download the
 * receiver sniffs them (`sniff.ts` `classify`) and sanitises the name again with what it found.
 */
import { AttachmentKind, AttachmentSchema, ProtocolError, checkAttachment, create, type Attachment } from '@sotto/protocol';
import { ClientError } from '../errors.js';
import { OCTET_STREAM, allowedMediaType, describeMediaType, type Display } from './media-types.js';
import { sanitizeFileName } from './file-name.js';

/** What the sender knows once the file is encrypted and uploaded. */
export interface AttachmentFacts {
  readonly blobId: Uint8Array;
  /** The fresh key the file was encrypted under (`blob-cipher.ts`). */
  readonly key: Uint8Array;
  /** SHA-256 of the ciphertext as uploaded. */
  readonly digest: Uint8Array;
  /** Plaintext bytes. */
  readonly size: number | bigint;
  /** As `sniffMediaType` named the bytes; anything unlisted travels as application/octet-stream. */
  readonly mediaType: string;
  /** The name as the member's system gave it; sanitised here. */
  readonly fileName: string;
  readonly caption?: string;
  /** Send a photo or recording as a plain file (say, a photo kept as it is, not re-encoded). */
  readonly asFile?: boolean;
  /** Images: a small preview the sender re-encoded, and the size in pixels. */
  readonly thumbnail?: Uint8Array;
  readonly width?: number;
  readonly height?: number;
  /** Voice notes: from `voiceNoteShape`. */
  readonly durationMs?: number;
  readonly waveform?: Uint8Array;
}

export interface BuiltAttachment {
  readonly attachment: Attachment;
  /** What sanitising the name changed that the member should be told (sender side). */
  readonly nameWarnings: readonly string[];
}

const invalid = (message: string, cause?: unknown) => new ClientError('INVALID_INPUT', message, cause === undefined ? undefined : { cause });

/** IMAGE only for JPEG, PNG and WebP; VOICE_NOTE only for Ogg Opus; everything else a FILE. */
export function kindForMediaType(mediaType: string): AttachmentKind {
  const display = allowedMediaType(mediaType)?.display;
  if (display === 'image') return AttachmentKind.IMAGE;
  if (display === 'voice-note') return AttachmentKind.VOICE_NOTE;
  return AttachmentKind.FILE;
}

function wholeNumber(value: number | undefined, what: string): number {
  if (value === undefined || !Number.isSafeInteger(value) || value < 1) throw invalid(`${what} must be a whole number, 1 or more.`);
  return value;
}

export function buildAttachment(facts: AttachmentFacts): BuiltAttachment {
  const mediaType = allowedMediaType(facts.mediaType) === undefined ? OCTET_STREAM : facts.mediaType;
  const kind = facts.asFile === true ? AttachmentKind.FILE : kindForMediaType(mediaType);
  const image = kind === AttachmentKind.IMAGE;
  const voice = kind === AttachmentKind.VOICE_NOTE;
  const hasImageFields = facts.thumbnail !== undefined || facts.width !== undefined || facts.height !== undefined;
  const hasVoiceFields = facts.durationMs !== undefined || facts.waveform !== undefined;
  if (hasImageFields && !image) throw invalid('Only an image sent as an image carries a preview and dimensions.');
  if (hasVoiceFields && !voice) throw invalid('Only a voice note carries a duration and a waveform.');
  if (typeof facts.size !== 'bigint' && !Number.isSafeInteger(facts.size)) throw invalid('A file size must be a whole number of bytes.');
  const { name, warnings } = sanitizeFileName(facts.fileName, mediaType);
  const attachment = create(AttachmentSchema, {
    blobId: facts.blobId,
    key: facts.key,
    digest: facts.digest,
    size: BigInt(facts.size),
    kind,
    mediaType,
    fileName: name,
    caption: facts.caption ?? '',
    ...(image ? {
      thumbnail: facts.thumbnail ?? new Uint8Array(0),
      width: wholeNumber(facts.width, 'An image width'),
      height: wholeNumber(facts.height, 'An image height'),
    } : {}),
    ...(voice ? { durationMs: wholeNumber(facts.durationMs, 'A voice note duration'), waveform: facts.waveform ?? new Uint8Array(0) } : {}),
  });
  try {
    checkAttachment(attachment);
  } catch (error) {
    if (error instanceof ProtocolError) throw invalid(error.message, error);
    throw error;
  }
  return { attachment, nameWarnings: warnings };
}

/** What a receiver may show of an attachment before downloading it: all of it the sender's claim. */
export interface ReceivedAttachment {
  /** The most the claim allows; the bytes decide after download, and can only lower it. */
  readonly display: Display;
  readonly mediaType: string;
  /** "a JPEG photo", "a PDF", "a file of a type Sotto does not recognise". */
  readonly typeLabel: string;
  /** Sanitised again here, with the type it claims. */
  readonly fileName: string;
  readonly nameWarnings: readonly string[];
  readonly size: number;
  readonly caption: string;
  /** Why it is shown as a file although its kind claims more. */
  readonly reason?: string;
  readonly width?: number;
  readonly height?: number;
  /** Still the sender's bytes: decode only in the sandbox. */
  readonly thumbnail?: Uint8Array;
  readonly durationMs?: number;
  readonly waveform?: Uint8Array;
}

/**
 * The receiver's view of a descriptor (checked again here, so a caller that skipped
 * `decodeAppContent` gets a `ClientError` rather than a surprise). A kind that its media type does
 * not support (a "photo" whose stated type is a PDF) is shown as a file, with the reason.
 */
export function describeReceived(attachment: Attachment): ReceivedAttachment {
  try {
    checkAttachment(attachment);
  } catch (error) {
    if (error instanceof ProtocolError) throw invalid(`This attachment is malformed: ${error.message}`, error);
    throw error;
  }
  const entry = allowedMediaType(attachment.mediaType);
  const mediaType = entry === undefined ? OCTET_STREAM : entry.mediaType;
  const { name, warnings } = sanitizeFileName(attachment.fileName, mediaType);
  const base = {
    mediaType,
    typeLabel: describeMediaType(mediaType),
    fileName: name,
    nameWarnings: warnings,
    size: Number(attachment.size),
    caption: attachment.caption,
  };
  const claimed = attachment.kind === AttachmentKind.IMAGE ? 'image' : attachment.kind === AttachmentKind.VOICE_NOTE ? 'voice-note' : 'file';
  if (claimed !== 'file' && entry?.display !== claimed) {
    const says = claimed === 'image' ? 'a photo' : 'a voice note';
    return { ...base, display: 'file', reason: `This file says it is ${says} but states its type as ${attachment.mediaType}; it is shown as a file.` };
  }
  if (claimed === 'image') {
    return { ...base, display: 'image', width: attachment.width, height: attachment.height, thumbnail: attachment.thumbnail };
  }
  if (claimed === 'voice-note') {
    return { ...base, display: 'voice-note', durationMs: attachment.durationMs, waveform: attachment.waveform };
  }
  return { ...base, display: 'file' };
}

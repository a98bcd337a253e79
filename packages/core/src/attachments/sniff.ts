/**
 * @module attachments/sniff
 * Decides from a file's own first bytes what a receiver may do with it: show an image or play a
 * voice note after the member taps it, or only offer it as a file to save. What the sender
 * claims (media type, kind, file name) can only lower that, never raise it: anything whose bytes
 * are not on the allow-list, or are not what the claim says, is a plain file, with a sentence
 * saying why. Run by the sender too, to choose what to claim.
 *
 * The bytes are named by `file-type` (its browser-safe `core` entry: no node:*), and a listed type
 * must also pass this module's own strict signature check, so one library's lenient match cannot
 * alone let bytes reach a decoder. `decideDisplay` is the synchronous decision (fuzzed);
 * `classify` adds the asynchronous sniff in front of it.
 */
import { fileTypeFromBuffer } from 'file-type/core';
import { AttachmentKind } from '@sotto/protocol';
import { OCTET_STREAM, allowedMediaType, allowedSniffedType, mediaTypeForExtension, type Display } from './media-types.js';
import { checkImageDimensions } from './image-dimensions.js';

/** How many leading bytes of a file callers pass: enough for every signature and image header read here. */
export const SNIFF_HEAD_BYTES = 64 * 1024;

export interface Sniffed {
  /** A listed media type, or `application/octet-stream`. */
  readonly mediaType: string;
  /** What `file-type` called the bytes, listed or not (for the member's explanation); undefined when it did not know. */
  readonly detected: string | undefined;
}

/** What travelled with the file: all of it the sender's word. */
export interface ClaimedAttachment {
  readonly mediaType: string;
  readonly kind: AttachmentKind;
  readonly fileName: string;
}

export interface Classification {
  readonly display: Display;
  /** What the bytes are: a listed media type, or `application/octet-stream`. */
  readonly mediaType: string;
  /** Why it is shown as a file although it claimed more, for the member. */
  readonly reason?: string;
  /** For an image, its size as read from its header. */
  readonly width?: number;
  readonly height?: number;
}

const matches = (head: Uint8Array, at: number, expected: readonly number[] | string): boolean => {
  const bytes = typeof expected === 'string' ? [...expected].map((c) => c.charCodeAt(0)) : expected;
  if (at + bytes.length > head.byteLength) return false;
  return bytes.every((byte, i) => head[at + i] === byte);
};

/** This module's own signature for each listed type, stricter than a first-bytes match alone. */
const SIGNATURES: ReadonlyMap<string, (head: Uint8Array) => boolean> = new Map([
  ['image/jpeg', (h: Uint8Array) => matches(h, 0, [0xff, 0xd8, 0xff])],
  ['image/png', (h: Uint8Array) => matches(h, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) && matches(h, 12, 'IHDR')],
  ['image/webp', (h: Uint8Array) => matches(h, 0, 'RIFF') && matches(h, 8, 'WEBPVP8')],
  ['application/pdf', (h: Uint8Array) => matches(h, 0, '%PDF-')],
  // An Ogg page (version 0) whose first packet is an Opus identification header.
  ['audio/ogg', (h: Uint8Array) => matches(h, 0, 'OggS\u0000') && matches(h, 28, 'OpusHead')],
  ['audio/wav', (h: Uint8Array) => matches(h, 0, 'RIFF') && matches(h, 8, 'WAVEfmt ')],
]);

/** Whether `head` carries the signature of the listed `mediaType` (false for anything unlisted). */
export function matchesSignature(head: Uint8Array, mediaType: string): boolean {
  return SIGNATURES.get(mediaType)?.(head) ?? false;
}

/** Names the bytes: a listed type only when `file-type` and the signature check agree. */
export async function sniffMediaType(head: Uint8Array): Promise<Sniffed> {
  let detected: string | undefined;
  try {
    detected = (await fileTypeFromBuffer(head.subarray(0, SNIFF_HEAD_BYTES)))?.mime;
  } catch {
    detected = undefined; // a parser that gives up names nothing; the file stays a file
  }
  const entry = detected === undefined ? undefined : allowedSniffedType(detected);
  const mediaType = entry !== undefined && matchesSignature(head, entry.mediaType) ? entry.mediaType : OCTET_STREAM;
  return { mediaType, detected };
}

/** Markers of a second format hidden in a picture or recording: a PDF (readers look in the first KiB) or a web page. */
const POLYGLOT_MARKERS = ['%PDF-', '<html', '<script', '<svg'];

function hiddenFormat(head: Uint8Array): string | undefined {
  // Latin-1 keeps one character per byte, so a marker is found wherever it lies; lower case for HTML.
  let text = '';
  for (let at = 0; at < head.byteLength; at += 8192) text += String.fromCharCode(...head.subarray(at, Math.min(head.byteLength, at + 8192)));
  const lower = text.toLowerCase();
  return POLYGLOT_MARKERS.find((marker) => lower.includes(marker.toLowerCase()));
}

const KIND_LABEL: Partial<Record<AttachmentKind, string>> = {
  [AttachmentKind.IMAGE]: 'a photo',
  [AttachmentKind.VOICE_NOTE]: 'a voice note',
};

const DISPLAY_FOR_KIND: Partial<Record<AttachmentKind, Display>> = {
  [AttachmentKind.IMAGE]: 'image',
  [AttachmentKind.VOICE_NOTE]: 'voice-note',
};

function extensionOf(fileName: string): string | undefined {
  const match = /\.([\p{L}\p{N}]{1,16})$/u.exec(typeof fileName === 'string' ? fileName : '');
  return match?.[1];
}

/** What the claim says the file is, in words, when it says anything beyond "a file". */
function claimedLabel(claimed: ClaimedAttachment): string | undefined {
  return allowedMediaType(claimed.mediaType)?.label
    ?? KIND_LABEL[claimed.kind]
    ?? mediaTypeForExtension(extensionOf(claimed.fileName) ?? '')?.label;
}

const asFile = (mediaType: string, reason?: string): Classification => (reason === undefined ? { display: 'file', mediaType } : { display: 'file', mediaType, reason });
const shownAsFile = (says: string, is: string) => `This file says it is ${says} but its bytes are ${is}; it is shown as a file.`;

/**
 * The decision, from what the bytes were sniffed as, the bytes themselves (for the signature,
 * polyglot and image-size checks) and the claim. Synchronous and total: it never throws.
 */
export function decideDisplay(sniffed: Sniffed, head: Uint8Array, claimed: ClaimedAttachment): Classification {
  const entry = allowedMediaType(sniffed.mediaType);
  const says = claimedLabel(claimed);
  if (entry === undefined || !matchesSignature(head, entry.mediaType)) {
    if (says === undefined) return asFile(OCTET_STREAM);
    const is = sniffed.detected !== undefined && allowedSniffedType(sniffed.detected) === undefined
      ? `a different kind of file (${sniffed.detected})`
      : 'not a type Sotto shows';
    return asFile(OCTET_STREAM, shownAsFile(says, is));
  }
  if (claimed.mediaType !== entry.mediaType) return asFile(entry.mediaType, shownAsFile(says ?? `of type ${claimed.mediaType || 'unknown'}`, entry.label));
  const nameSays = mediaTypeForExtension(extensionOf(claimed.fileName) ?? '');
  if (nameSays !== undefined && nameSays !== entry) {
    return asFile(entry.mediaType, `This file's name says it is ${nameSays.label} but its bytes are ${entry.label}; it is shown as a file.`);
  }
  const wanted = DISPLAY_FOR_KIND[claimed.kind];
  if (wanted === undefined || entry.display === 'file') {
    // The sender chose "file" (say, a photo sent as a document): nothing to explain. A claim of
    // more than the type allows (a PDF as a photo) is explained.
    return wanted === undefined ? asFile(entry.mediaType) : asFile(entry.mediaType, shownAsFile(KIND_LABEL[claimed.kind]!, entry.label));
  }
  if (wanted !== entry.display) return asFile(entry.mediaType, shownAsFile(KIND_LABEL[claimed.kind]!, entry.label));
  const hidden = hiddenFormat(head);
  if (hidden !== undefined) {
    const what = hidden === '%PDF-' ? 'a PDF' : 'a web page';
    return asFile(entry.mediaType, `This file is ${entry.label} that also carries ${what} inside; it is shown as a file.`);
  }
  if (entry.display === 'image') {
    const size = checkImageDimensions(head, entry.mediaType);
    if (!size.ok) return asFile(entry.mediaType, `This image cannot be shown: ${size.reason} It is shown as a file.`);
    return { display: 'image', mediaType: entry.mediaType, width: size.width, height: size.height };
  }
  return { display: entry.display, mediaType: entry.mediaType };
}

/** Sniffs `head` (the file's first `SNIFF_HEAD_BYTES`, or all of a shorter file) and decides. */
export async function classify(head: Uint8Array, claimed: ClaimedAttachment): Promise<Classification> {
  return decideDisplay(await sniffMediaType(head), head, claimed);
}

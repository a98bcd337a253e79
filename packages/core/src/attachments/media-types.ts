/**
 * @module attachments/media-types
 * The allow-list of attachment types: what each is called on the wire, how a receiver may show it,
 * which file-name extensions belong to it, and how a person would name it in a sentence. A type
 * not listed here travels as `application/octet-stream` and is only ever a file to save.
 *
 * Why these and no more: JPEG, PNG and WebP are what phones and browsers produce and what a
 * browser can decode and re-encode in a worker; PDF is the document people send (kept as a file,
 * never rendered); Ogg Opus is the one voice-note format, so a receiver plays exactly one audio
 * container (a browser recording Opus in WebM, as Chromium's MediaRecorder does, puts the packets
 * in Ogg pages before sending). WAV is listed so a WAV keeps its name and type, but as a file: the
 * CLI reads a WAV's samples (`wav.ts`) for the waveform and must encode them to Ogg Opus to send a
 * voice note. Plain text is not listed: no signature identifies it, so "this is text" could never
 * be checked against the bytes; a `.txt` still travels, as a file saved under its own name.
 */

export const OCTET_STREAM = 'application/octet-stream';

/** How a receiver may show an attachment once the member taps it. */
export type Display = 'image' | 'voice-note' | 'file';

export interface MediaTypeEntry {
  /** The wire name (`Attachment.media_type`): what `file-type` calls it, without parameters. */
  readonly mediaType: string;
  /** What `file-type` reports for it: the same, but Opus is `audio/ogg; codecs=opus`. */
  readonly sniffedAs: string;
  readonly display: Display;
  /** Lower-case extensions that name this type; the first is the one added to a name that lacks it. */
  readonly extensions: readonly string[];
  /** For sentences: "This file says it is a JPEG photo…". */
  readonly label: string;
}

export const ALLOWED_MEDIA_TYPES: readonly MediaTypeEntry[] = [
  { mediaType: 'image/jpeg', sniffedAs: 'image/jpeg', display: 'image', extensions: ['jpg', 'jpeg', 'jpe', 'jfif'], label: 'a JPEG photo' },
  { mediaType: 'image/png', sniffedAs: 'image/png', display: 'image', extensions: ['png'], label: 'a PNG image' },
  { mediaType: 'image/webp', sniffedAs: 'image/webp', display: 'image', extensions: ['webp'], label: 'a WebP image' },
  { mediaType: 'application/pdf', sniffedAs: 'application/pdf', display: 'file', extensions: ['pdf'], label: 'a PDF' },
  { mediaType: 'audio/ogg', sniffedAs: 'audio/ogg; codecs=opus', display: 'voice-note', extensions: ['ogg', 'opus', 'oga'], label: 'an Opus voice note' },
  { mediaType: 'audio/wav', sniffedAs: 'audio/wav', display: 'file', extensions: ['wav'], label: 'a WAV recording' },
];

const BY_MEDIA_TYPE = new Map(ALLOWED_MEDIA_TYPES.map((entry) => [entry.mediaType, entry]));
const BY_SNIFFED = new Map(ALLOWED_MEDIA_TYPES.map((entry) => [entry.sniffedAs, entry]));
const BY_EXTENSION = new Map(ALLOWED_MEDIA_TYPES.flatMap((entry) => entry.extensions.map((ext) => [ext, entry] as const)));

/** The entry for a wire media type, or undefined when it is not on the list. */
export function allowedMediaType(mediaType: string): MediaTypeEntry | undefined {
  return BY_MEDIA_TYPE.get(mediaType);
}

/** The entry for what `file-type` reported, or undefined when it is not on the list. */
export function allowedSniffedType(sniffedMime: string): MediaTypeEntry | undefined {
  return BY_SNIFFED.get(sniffedMime);
}

/** The listed type a file-name extension claims (`jpg` -> JPEG), if any. */
export function mediaTypeForExtension(extension: string): MediaTypeEntry | undefined {
  return BY_EXTENSION.get(extension.toLowerCase());
}

/** A phrase for any media type, listed or not, for messages to the member. */
export function describeMediaType(mediaType: string): string {
  const entry = BY_MEDIA_TYPE.get(mediaType) ?? BY_SNIFFED.get(mediaType);
  if (entry !== undefined) return entry.label;
  return mediaType === OCTET_STREAM || mediaType === '' ? 'a file of a type Sotto does not recognise' : `a file of type ${mediaType}`;
}

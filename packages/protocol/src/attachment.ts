/**
 * @module attachment
 * The structural rules of an `Attachment` descriptor inside MLS content: sizes and shapes only,
 * checked before anything else reads it. Whether its bytes are what it claims is decided later,
 * by the receiver sniffing the decrypted file (core `attachments/`), never from these fields.
 */
import { AttachmentKind, ErrorCode, type Attachment } from './gen/sotto/v1/wire_pb.js';
import { ProtocolError } from './errors.js';
import { isPlainText, LIMITS } from './limits.js';

/** `type/subtype`, lower case, as sniffing names them. */
const MEDIA_TYPE = /^[a-z]+\/[a-z0-9][a-z0-9.+-]*$/;
/** Far above any cap an operator would set, but a bound: 2^53 - 1 would pass `Number` otherwise. */
export const ATTACHMENT_MAX_BYTES = 4 * 1024 ** 3;

const utf8 = new TextEncoder();

export function checkAttachment(attachment: Attachment): void {
  const bad = (message: string) => new ProtocolError(ErrorCode.INVALID_ARGUMENT, message);
  if (attachment.blobId.byteLength !== LIMITS.blobIdBytes) throw bad(`An attachment's blob id must be ${LIMITS.blobIdBytes} bytes.`);
  if (attachment.key.byteLength !== LIMITS.attachmentKeyBytes) throw bad(`An attachment's key must be ${LIMITS.attachmentKeyBytes} bytes.`);
  if (attachment.digest.byteLength !== LIMITS.attachmentDigestBytes) throw bad(`An attachment's digest must be ${LIMITS.attachmentDigestBytes} bytes.`);
  if (attachment.size < 1n || attachment.size > BigInt(ATTACHMENT_MAX_BYTES)) throw bad('An attachment must hold 1 byte to 4 GiB.');
  if (attachment.mediaType.length > LIMITS.mediaTypeMaxLength || !MEDIA_TYPE.test(attachment.mediaType)) {
    throw bad('An attachment names no valid media type.');
  }
  if (utf8.encode(attachment.fileName).byteLength > LIMITS.attachmentFileNameMaxBytes || !isPlainText(attachment.fileName, LIMITS.attachmentFileNameMaxBytes)) {
    throw bad(`An attachment's file name must be plain text of at most ${LIMITS.attachmentFileNameMaxBytes} bytes.`);
  }
  if (!isPlainText(attachment.caption, LIMITS.attachmentCaptionMaxChars)) {
    throw bad(`A caption must be plain text of at most ${LIMITS.attachmentCaptionMaxChars} characters.`);
  }
  const image = attachment.kind === AttachmentKind.IMAGE;
  const voice = attachment.kind === AttachmentKind.VOICE_NOTE;
  if (!image && !voice && attachment.kind !== AttachmentKind.FILE) throw bad('An attachment must be a file, an image or a voice note.');
  if (attachment.thumbnail.byteLength > (image ? LIMITS.attachmentThumbnailMaxBytes : 0)) {
    throw bad(`Only an image may carry a preview, of at most ${LIMITS.attachmentThumbnailMaxBytes} bytes.`);
  }
  const side = image ? LIMITS.attachmentMaxPixelsPerSide : 0;
  if (attachment.width > side || attachment.height > side) throw bad(`Only an image has dimensions, at most ${LIMITS.attachmentMaxPixelsPerSide} pixels a side.`);
  if (attachment.durationMs > (voice ? LIMITS.voiceNoteMaxMs : 0)) throw bad('Only a voice note has a duration, of at most 15 minutes.');
  if (attachment.waveform.byteLength > (voice ? LIMITS.voiceNoteWaveformMaxSamples : 0)) {
    throw bad(`Only a voice note has a waveform, of at most ${LIMITS.voiceNoteWaveformMaxSamples} samples.`);
  }
}

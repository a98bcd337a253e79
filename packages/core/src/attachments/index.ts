/**
 * @module attachments
 * The pure pieces of attachments: streaming encryption of a file under its own key, sniffing and
 * the allow-list, image-size guards, file-name sanitising, voice-note waveforms (from WAV too), and the
 * `Attachment` descriptor both ways. No I/O: bytes and async iterables of bytes in and out.
 */
export {
  BLOB_CHUNK_BYTES, BLOB_KEY_BYTES, BLOB_TAG_BYTES, CiphertextDigest, ciphertextSize, decryptStream, digestAlong, encryptStream,
} from './blob-cipher.js';
export {
  ALLOWED_MEDIA_TYPES, OCTET_STREAM, allowedMediaType, describeMediaType, mediaTypeForExtension, type Display, type MediaTypeEntry,
} from './media-types.js';
export {
  SNIFF_HEAD_BYTES, classify, decideDisplay, matchesSignature, sniffMediaType, type ClaimedAttachment, type Classification, type Sniffed,
} from './sniff.js';
export { IMAGE_MAX_PIXELS, IMAGE_MAX_SIDE, checkImageDimensions, type ImageDimensions } from './image-dimensions.js';
export { FILE_NAME_MAX_BYTES, sanitizeFileName, type SanitizedFileName } from './file-name.js';
export { WAVEFORM_MAX_BARS, voiceNoteShape, type PcmAudio, type VoiceNoteShape } from './waveform.js';
export { readWavPcm } from './wav.js';
export {
  buildAttachment, describeReceived, kindForMediaType, type AttachmentFacts, type BuiltAttachment, type ReceivedAttachment,
} from './descriptor.js';
export { OPUS_GRANULE_RATE, oggCrc, oggOpusFile, type OggOpusOptions } from './ogg-opus.js';

/**
 * @module group-calls/media-frame
 * How much of a group call's frame travels in clear. An audio frame (Opus) is sealed whole. A
 * video frame (VP8) keeps its first bytes in clear, ahead of the SFrame ciphertext: the receiving
 * browser's depacketiser reads them to tell a key frame and its size (RFC 6386 section 9.1: a
 * 3-byte frame tag, and on a key frame a start code and the dimensions, 10 bytes in all), and the
 * SFU reads them to know when a new subscriber can start. Those bytes are the SFrame metadata of
 * the frame (RFC 9605 section 4.4.3): authenticated with it, so a frame whose clear bytes were
 * changed does not open. They say a frame's kind, size class and picture dimensions, nothing of
 * its picture.
 */

/** What a group call's frame carries: the microphone's Opus, or the camera's VP8. */
export type GroupCallMediaKind = 'audio' | 'video';

/** The VP8 frame tag, plus a key frame's start code and dimensions (RFC 6386 section 9.1). */
const VP8_DELTA_CLEAR_BYTES = 3;
const VP8_KEY_CLEAR_BYTES = 10;

/**
 * Bytes at the start of `frame` kept in clear: 0 for audio; for VP8, 10 on a key frame and 3 on
 * any other (the frame tag's lowest bit is 0 on a key frame). The sender reads it from its
 * plaintext and the receiver from the same first byte, which arrived in clear; a frame no longer
 * than its clear bytes is no VP8 frame, and is neither sealed nor opened.
 */
export function clearPrefixLength(kind: GroupCallMediaKind, frame: Uint8Array): number {
  if (kind === 'audio' || frame.length === 0) return 0;
  return (frame[0]! & 0x01) === 0 ? VP8_KEY_CLEAR_BYTES : VP8_DELTA_CLEAR_BYTES;
}

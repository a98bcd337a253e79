/**
 * @module fuzz/targets/app-content
 * `decodeAppContent` on raw bytes, as a client sees them after MLS decryption: refused with one
 * of its three codes, or returned only when every rule of its validation holds (checked here
 * again, independently), and re-encodable.
 */
import {
  APP_CONTENT_MAX_BYTES, AttachmentKind, CALL_CANDIDATE_MAX_CHARS, CALL_SDP_MAX_CHARS, CallMedia, ErrorCode, LIMITS, ProtocolError,
  decodeAppContent, encodeAppContent,
} from '@sotto/protocol';
import { plainTextOracle } from '../lib/text-oracle.mjs';

const DECODE_ERRORS = new Set([ErrorCode.FRAME_TOO_LARGE, ErrorCode.FRAME_MALFORMED, ErrorCode.INVALID_ARGUMENT]);
const CALL_ID = /^[0-9a-f]{32}$/;
const DEVICE_ID = /^[0-9a-f]{1,64}$/;

function expect(condition, rule) {
  if (!condition) throw new Error(`decodeAppContent accepted content that breaks: ${rule}`);
}

function checkCall(signal) {
  expect(CALL_ID.test(signal.callId), 'call id is 32 lower-case hex characters');
  expect(signal.toDevice === '' || DEVICE_ID.test(signal.toDevice), 'a call signal names no device, or a device id');
  const kind = signal.kind;
  switch (kind.case) {
    case 'ring': expect(kind.value.media === CallMedia.AUDIO || kind.value.media === CallMedia.VIDEO, 'a ring is for audio or video'); break;
    case 'offer': case 'answer':
      expect(kind.value.sdp.length >= 1 && kind.value.sdp.length <= CALL_SDP_MAX_CHARS, 'SDP is 1-16 KiB characters');
      break;
    case 'ice':
      expect(kind.value.candidate.length >= 1 && kind.value.candidate.length <= CALL_CANDIDATE_MAX_CHARS, 'candidate is 1-1024 characters');
      break;
    case 'accept': case 'decline': case 'busy': case 'hangup': case 'videoRequest': case 'videoAccept': case 'videoDecline': break;
    default: expect(false, `call signal has a known kind (got ${String(kind.case)})`);
  }
}

/** The structural rules of a file's descriptor, written again from PROTOCOL.md §10 and §13. */
function checkAttachment(a) {
  expect(a.blobId.byteLength === 16 && a.key.byteLength === 32 && a.digest.byteLength === 32, 'blob id 16, key 32, digest 32 bytes');
  expect(a.size >= 1n && a.size <= 4n * 1024n ** 3n, 'a file holds 1 byte to 4 GiB');
  expect(/^[a-z]+\/[a-z0-9][a-z0-9.+-]*$/.test(a.mediaType) && a.mediaType.length <= 100, 'a media type is type/subtype');
  expect(new TextEncoder().encode(a.fileName).byteLength <= 255 && plainTextOracle(a.fileName, 255), 'a file name is plain text of at most 255 bytes');
  expect(plainTextOracle(a.caption, 1024), 'a caption is plain text of at most 1,024 characters');
  const image = a.kind === AttachmentKind.IMAGE;
  const voice = a.kind === AttachmentKind.VOICE_NOTE;
  expect(image || voice || a.kind === AttachmentKind.FILE, 'a known kind');
  expect(a.thumbnail.byteLength <= (image ? 12 * 1024 : 0), 'only an image has a preview, of at most 12 KiB');
  expect(a.width <= (image ? 16384 : 0) && a.height <= (image ? 16384 : 0), 'only an image has dimensions, at most 16,384');
  expect(a.durationMs <= (voice ? 15 * 60_000 : 0) && a.waveform.byteLength <= (voice ? 64 : 0), 'only a voice note has a duration and waveform');
}

/** @param {Buffer} data */
export function fuzz(data) {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let content;
  try {
    content = decodeAppContent(bytes);
  } catch (error) {
    if (error instanceof ProtocolError && DECODE_ERRORS.has(error.code)) return;
    throw error;
  }
  expect(bytes.byteLength <= APP_CONTENT_MAX_BYTES, 'at most 20 KiB');
  expect(content.messageId.byteLength === LIMITS.messageIdBytes, 'message id is 16 bytes');
  const body = content.body;
  switch (body.case) {
    case 'text':
      expect(plainTextOracle(body.value.body, LIMITS.textMaxChars), 'text is plain, at most 4,000 characters');
      expect(body.value.replyTo.byteLength === 0 || body.value.replyTo.byteLength === 16, 'a reply names no message or a 16-byte id');
      expect(body.value.expireSeconds === 0 || (body.value.expireSeconds >= 60 && body.value.expireSeconds <= 7_776_000), 'a text\'s timer is off or a minute to 90 days');
      break;
    case 'reaction':
      expect(body.value.messageId.byteLength === 16, 'a reaction names a 16-byte id');
      expect(body.value.emoji === '' || ([...body.value.emoji].length <= 8 && !/[\p{L}\p{N}\s]/u.test(body.value.emoji.replace(/[0-9#*]/g, '')) && plainTextOracle(body.value.emoji, 8)), 'a reaction is one emoji or empty');
      break;
    case 'edit':
      expect(body.value.messageId.byteLength === 16, 'an edit names a 16-byte id');
      expect(plainTextOracle(body.value.body, LIMITS.textMaxChars) && body.value.body.trim() !== '', 'an edit is 1-4,000 characters of plain text');
      break;
    case 'retract': expect(body.value.messageId.byteLength === 16, 'a deletion names a 16-byte id'); break;
    case 'settingsSync': break;
    case 'profile':
      expect(plainTextOracle(body.value.displayName, 64) && body.value.avatar.byteLength <= 12 * 1024, 'a profile: a plain name of at most 64 characters, an avatar of at most 12 KiB');
      break;
    case 'typing': expect(typeof body.value.stopped === 'boolean', 'a typing indicator is one bool'); break;
    case 'groupCall': expect(body.value.event === 1 || body.value.event === 2, 'a group call notice says joined or left'); break;
    case 'timer': expect(body.value.seconds === 0 || (body.value.seconds >= 60 && body.value.seconds <= 7_776_000), 'a timer is off or a minute to 90 days'); break;
    case 'receipt':
      expect(body.value.messageIds.length <= 1000, 'a receipt names at most 1,000 ids');
      expect(body.value.messageIds.every((id) => id.byteLength === LIMITS.messageIdBytes), 'receipt ids are 16 bytes');
      break;
    case 'groupMeta':
      expect(body.value.name.length > 0 && plainTextOracle(body.value.name, 64), 'group name is 1-64 characters of plain text');
      break;
    case 'call': checkCall(body.value); break;
    case 'attachment': checkAttachment(body.value); break;
    default: expect(false, `content has a known body (got ${String(body.case)})`);
  }
  // What a client accepted it can send back (quote, forward, resend) without a surprise refusal.
  const again = decodeAppContent(encodeAppContent(content));
  expect(again.body.case === body.case, 're-encoded content decodes to the same kind');
}

/**
 * @module fuzz/targets/app-content
 * `decodeAppContent` on raw bytes, as a client sees them after MLS decryption: refused with one
 * of its three codes, or returned only when every rule of its validation holds (checked here
 * again, independently), and re-encodable.
 */
import {
  APP_CONTENT_MAX_BYTES, CALL_CANDIDATE_MAX_CHARS, CALL_SDP_MAX_CHARS, CallMedia, ErrorCode, LIMITS, ProtocolError,
  decodeAppContent, encodeAppContent,
} from '@sotto/protocol';
import { plainTextOracle } from '../lib/text-oracle.mjs';

const DECODE_ERRORS = new Set([ErrorCode.FRAME_TOO_LARGE, ErrorCode.FRAME_MALFORMED, ErrorCode.INVALID_ARGUMENT]);
const CALL_ID = /^[0-9a-f]{32}$/;

function expect(condition, rule) {
  if (!condition) throw new Error(`decodeAppContent accepted content that breaks: ${rule}`);
}

function checkCall(signal) {
  expect(CALL_ID.test(signal.callId), 'call id is 32 lower-case hex characters');
  const kind = signal.kind;
  switch (kind.case) {
    case 'ring': expect(kind.value.media === CallMedia.AUDIO, 'a ring is for audio'); break;
    case 'offer': case 'answer':
      expect(kind.value.sdp.length >= 1 && kind.value.sdp.length <= CALL_SDP_MAX_CHARS, 'SDP is 1-16 KiB characters');
      break;
    case 'ice':
      expect(kind.value.candidate.length >= 1 && kind.value.candidate.length <= CALL_CANDIDATE_MAX_CHARS, 'candidate is 1-1024 characters');
      break;
    case 'accept': case 'decline': case 'busy': case 'hangup': break;
    default: expect(false, `call signal has a known kind (got ${String(kind.case)})`);
  }
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
    case 'text': expect(plainTextOracle(body.value.body, LIMITS.textMaxChars), 'text is plain, at most 4,000 characters'); break;
    case 'receipt':
      expect(body.value.messageIds.length <= 1000, 'a receipt names at most 1,000 ids');
      expect(body.value.messageIds.every((id) => id.byteLength === LIMITS.messageIdBytes), 'receipt ids are 16 bytes');
      break;
    case 'groupMeta':
      expect(body.value.name.length > 0 && plainTextOracle(body.value.name, 64), 'group name is 1-64 characters of plain text');
      break;
    case 'call': checkCall(body.value); break;
    default: expect(false, `content has a known body (got ${String(body.case)})`);
  }
  // What a client accepted it can send back (quote, forward, resend) without a surprise refusal.
  const again = decodeAppContent(encodeAppContent(content));
  expect(again.body.case === body.case, 're-encoded content decodes to the same kind');
}

/**
 * @module content
 * End-to-end content carried inside MLS application messages. The server
 * never sees it; clients decode it only after MLS authenticated the sender.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { AppContentSchema, CallMedia, ErrorCode, GroupCallEvent, type AppContent, type CallSignal } from './gen/sotto/v1/wire_pb.js';
import { ProtocolError } from './errors.js';
import { isPlainText, LIMITS } from './limits.js';
import { checkAttachment } from './attachment.js';

/** Largest encoded AppContent, checked before decoding. */
export const APP_CONTENT_MAX_BYTES = 20 * 1024;

export function encodeAppContent(content: AppContent): Uint8Array {
  const bytes = toBinary(AppContentSchema, content);
  if (bytes.byteLength > APP_CONTENT_MAX_BYTES) {
    throw new ProtocolError(ErrorCode.INVALID_ARGUMENT, `Content of ${bytes.byteLength} bytes exceeds ${APP_CONTENT_MAX_BYTES}.`);
  }
  return bytes;
}

/** Decodes and validates content; anything out of shape is refused with INVALID_ARGUMENT. */
export function decodeAppContent(bytes: Uint8Array): AppContent {
  if (bytes.byteLength > APP_CONTENT_MAX_BYTES) {
    throw new ProtocolError(ErrorCode.FRAME_TOO_LARGE, `Content of ${bytes.byteLength} bytes exceeds ${APP_CONTENT_MAX_BYTES}.`);
  }
  let content: AppContent;
  try {
    content = fromBinary(AppContentSchema, bytes, { readUnknownFields: false });
  } catch (cause) {
    throw new ProtocolError(ErrorCode.FRAME_MALFORMED, 'Content could not be decoded.', { cause });
  }
  if (content.messageId.byteLength !== LIMITS.messageIdBytes) {
    throw new ProtocolError(ErrorCode.INVALID_ARGUMENT, 'Content message id must be 16 bytes.');
  }
  const body = content.body;
  switch (body.case) {
    case 'text':
      if (!isPlainText(body.value.body, LIMITS.textMaxChars)) {
        throw new ProtocolError(ErrorCode.INVALID_ARGUMENT, `Text must be plain text of at most ${LIMITS.textMaxChars} characters.`);
      }
      if (body.value.replyTo.byteLength !== 0 && body.value.replyTo.byteLength !== LIMITS.messageIdBytes) {
        throw new ProtocolError(ErrorCode.INVALID_ARGUMENT, 'A reply names a 16-byte message id.');
      }
      checkExpiry(body.value.expireSeconds);
      break;
    case 'reaction':
      checkTarget(body.value.messageId, 'A reaction');
      if (body.value.emoji !== '' && !isReactionEmoji(body.value.emoji)) {
        throw new ProtocolError(ErrorCode.INVALID_ARGUMENT, `A reaction is one emoji (at most ${LIMITS.reactionMaxCodePoints} code points), or empty to take it back.`);
      }
      break;
    case 'edit':
      checkTarget(body.value.messageId, 'An edit');
      if (!isPlainText(body.value.body, LIMITS.textMaxChars) || body.value.body.trim() === '') {
        throw new ProtocolError(ErrorCode.INVALID_ARGUMENT, `An edited text must be plain text of 1 to ${LIMITS.textMaxChars} characters.`);
      }
      break;
    case 'retract':
      checkTarget(body.value.messageId, 'A deletion');
      break;
    case 'settingsSync':
      if (body.value.chats.length > 1000 || body.value.chats.some((c) => c.groupId.byteLength !== LIMITS.groupIdBytes || c.mutedUntil < -1n)) {
        throw new ProtocolError(ErrorCode.INVALID_ARGUMENT, 'Chat settings name at most 1,000 chats by their 32-byte ids.');
      }
      break;
    case 'receipt':
      if (body.value.messageIds.length > 1000 || body.value.messageIds.some((id) => id.byteLength !== LIMITS.messageIdBytes)) {
        throw new ProtocolError(ErrorCode.INVALID_ARGUMENT, 'Receipt must name at most 1,000 16-byte message ids.');
      }
      break;
    case 'groupMeta':
      if (!isPlainText(body.value.name, 64) || body.value.name.length === 0) {
        throw new ProtocolError(ErrorCode.INVALID_ARGUMENT, 'Group name must be 1-64 characters of plain text.');
      }
      break;
    case 'call':
      checkCallSignal(body.value);
      break;
    case 'attachment':
      checkAttachment(body.value);
      checkExpiry(body.value.expireSeconds);
      break;
    case 'timer':
      checkExpiry(body.value.seconds);
      break;
    case 'profile':
      if (!isPlainText(body.value.displayName, LIMITS.displayNameMaxChars)) {
        throw new ProtocolError(ErrorCode.INVALID_ARGUMENT, `A display name is plain text of at most ${LIMITS.displayNameMaxChars} characters.`);
      }
      if (body.value.avatar.byteLength > LIMITS.avatarMaxBytes) {
        throw new ProtocolError(ErrorCode.INVALID_ARGUMENT, `An avatar is at most ${LIMITS.avatarMaxBytes} bytes.`);
      }
      break;
    case 'typing':
      // One bool: nothing to bound beyond the content's own size limit.
      break;
    case 'groupCall':
      if (body.value.event !== GroupCallEvent.JOINED && body.value.event !== GroupCallEvent.LEFT) {
        throw new ProtocolError(ErrorCode.INVALID_ARGUMENT, 'A group call notice says joined or left.');
      }
      break;
    case undefined:
      throw new ProtocolError(ErrorCode.INVALID_ARGUMENT, 'Content has no body.');
    default:
      throw missingCase(body);
  }
  return content;
}

/** A disappearing timer: off, or a minute to 90 days. */
export function isDisappearingTimer(seconds: number): boolean {
  return seconds === 0 || (seconds >= LIMITS.disappearingMinSeconds && seconds <= LIMITS.disappearingMaxSeconds);
}

function checkExpiry(seconds: number): void {
  if (!isDisappearingTimer(seconds)) {
    throw new ProtocolError(ErrorCode.INVALID_ARGUMENT, 'A disappearing timer is off, or a minute to 90 days.');
  }
}

function checkTarget(messageId: Uint8Array, what: string): void {
  if (messageId.byteLength !== LIMITS.messageIdBytes) throw new ProtocolError(ErrorCode.INVALID_ARGUMENT, `${what} names a 16-byte message id.`);
}

/** Pictographs, flags and keycaps, with their joiners, selectors and modifiers: at least one pictograph or flag. */
const EMOJI_PARTS = /^(?:\p{Extended_Pictographic}|\p{Emoji_Component}|\u200d|\ufe0f|\u20e3)+$/u;
const EMOJI_CORE = /\p{Extended_Pictographic}|\p{Regional_Indicator}/u;

/** One emoji as a reaction: emoji characters only, at most `LIMITS.reactionMaxCodePoints` code points. */
export function isReactionEmoji(text: string): boolean {
  return [...text].length <= LIMITS.reactionMaxCodePoints && EMOJI_PARTS.test(text) && EMOJI_CORE.test(text);
}

/** Call ids are 16 random bytes in lower-case hex. */
const CALL_ID = /^[0-9a-f]{32}$/;
/** Device ids as the server issues them (lower-case hex), as in device lists. */
const DEVICE_ID = /^[0-9a-f]{1,64}$/;
/** Bounds checked here are structural; SDP and candidates get their full validation in core. */
export const CALL_SDP_MAX_CHARS = 16 * 1024;
export const CALL_CANDIDATE_MAX_CHARS = 1024;

function checkCallSignal(signal: CallSignal): void {
  const bad = (message: string) => new ProtocolError(ErrorCode.INVALID_ARGUMENT, message);
  if (!CALL_ID.test(signal.callId)) throw bad('Call id must be 32 lower-case hex characters.');
  if (signal.toDevice !== '' && !DEVICE_ID.test(signal.toDevice)) throw bad('A call signal names no valid device.');
  const kind = signal.kind;
  switch (kind.case) {
    case 'ring':
      if (kind.value.media !== CallMedia.AUDIO && kind.value.media !== CallMedia.VIDEO) throw bad('A ring must be for an audio or a video call.');
      return;
    case 'offer':
    case 'answer':
      if (kind.value.sdp.length === 0 || kind.value.sdp.length > CALL_SDP_MAX_CHARS) {
        throw bad(`A session description must be 1-${CALL_SDP_MAX_CHARS} characters.`);
      }
      return;
    case 'ice':
      if (kind.value.candidate.length === 0 || kind.value.candidate.length > CALL_CANDIDATE_MAX_CHARS) {
        throw bad(`A candidate must be 1-${CALL_CANDIDATE_MAX_CHARS} characters.`);
      }
      return;
    case 'accept':
    case 'decline':
    case 'busy':
    case 'hangup':
    case 'videoRequest':
    case 'videoAccept':
    case 'videoDecline':
      return;
    case undefined:
      throw bad('Call signal has no kind.');
    default:
      throw missingCase(kind);
  }
}

export function textContent(messageId: Uint8Array, sentAt: number, text: string): AppContent {
  return create(AppContentSchema, { messageId, sentAt: BigInt(sentAt), body: { case: 'text', value: { body: text } } });
}

/** Exhaustiveness guard for switches over tagged unions. */
export function missingCase(value: never): never {
  throw new Error(`Unhandled case: ${JSON.stringify(value)}`);
}

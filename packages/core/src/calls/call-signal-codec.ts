/**
 * @module calls/call-signal-codec: the call machine's signals to and from their wire form
 * (`AppContent.call`), so the machine never sees protobuf and the wire never sees machine types.
 */
import {
  AppContentSchema, CallHangupReason, CallMedia, CallSignalSchema, create, missingCase,
  type AppContent, type CallSignal as WireCallSignal, type MessageInitShape,
} from '@sotto/protocol';
import type { CallSignal, HangupReason } from './call-types.js';

const HANGUP_TO_WIRE: Record<HangupReason, CallHangupReason> = {
  normal: CallHangupReason.NORMAL,
  glare: CallHangupReason.GLARE,
  timeout: CallHangupReason.TIMEOUT,
  failed: CallHangupReason.FAILED,
};

function hangupFromWire(reason: CallHangupReason): HangupReason {
  switch (reason) {
    case CallHangupReason.GLARE: return 'glare';
    case CallHangupReason.TIMEOUT: return 'timeout';
    case CallHangupReason.FAILED: return 'failed';
    // Unknown reasons from a newer client still end the call.
    default: return 'normal';
  }
}

/** `toDevice`: the one device the signal is for, or null for every device of the recipient's account. */
export function callSignalContent(signal: CallSignal, toDevice: string | null, messageId: Uint8Array, now: number): AppContent {
  return create(AppContentSchema, {
    messageId,
    sentAt: BigInt(now),
    body: { case: 'call', value: create(CallSignalSchema, { callId: signal.callId, kind: wireKind(signal), toDevice: toDevice ?? '' }) },
  });
}

/** The device a wire signal names as its recipient; null when it names none (it is for every device). */
export function callSignalRecipient(wire: WireCallSignal): string | null {
  return wire.toDevice === '' ? null : wire.toDevice;
}

function wireKind(signal: CallSignal): MessageInitShape<typeof CallSignalSchema>['kind'] {
  switch (signal.type) {
    case 'ring': return { case: 'ring', value: { media: signal.media === 'video' ? CallMedia.VIDEO : CallMedia.AUDIO, sentAt: BigInt(signal.sentAt) } };
    case 'accept': return { case: 'accept', value: {} };
    case 'decline': return { case: 'decline', value: {} };
    case 'busy': return { case: 'busy', value: {} };
    case 'offer': return { case: 'offer', value: { sdp: signal.sdp } };
    case 'answer': return { case: 'answer', value: { sdp: signal.sdp } };
    case 'ice': return { case: 'ice', value: { candidate: signal.candidate } };
    case 'hangup': return { case: 'hangup', value: { reason: HANGUP_TO_WIRE[signal.reason] } };
    case 'videoRequest': return { case: 'videoRequest', value: {} };
    case 'videoAccept': return { case: 'videoAccept', value: {} };
    case 'videoDecline': return { case: 'videoDecline', value: {} };
    default: throw missingCase(signal);
  }
}

/** The machine's form of a decoded (already structurally validated) wire signal. */
export function callSignalFromWire(wire: WireCallSignal): CallSignal | undefined {
  const callId = wire.callId;
  const kind = wire.kind;
  switch (kind.case) {
    case 'ring': return { type: 'ring', callId, media: kind.value.media === CallMedia.VIDEO ? 'video' : 'audio', sentAt: Number(kind.value.sentAt) };
    case 'accept': return { type: 'accept', callId };
    case 'decline': return { type: 'decline', callId };
    case 'busy': return { type: 'busy', callId };
    case 'offer': return { type: 'offer', callId, sdp: kind.value.sdp };
    case 'answer': return { type: 'answer', callId, sdp: kind.value.sdp };
    case 'ice': return { type: 'ice', callId, candidate: kind.value.candidate };
    case 'hangup': return { type: 'hangup', callId, reason: hangupFromWire(kind.value.reason) };
    case 'videoRequest': return { type: 'videoRequest', callId };
    case 'videoAccept': return { type: 'videoAccept', callId };
    case 'videoDecline': return { type: 'videoDecline', callId };
    case undefined: return undefined;
    default: throw missingCase(kind);
  }
}

/** @module calls/call-types: the vocabulary of a 1:1 call — signals, local events and effects. */

export type CallId = string;
export type MediaKind = 'audio';
export type Role = 'caller' | 'callee';

/** Why a hangup was sent; 'glare' marks the losing call of two simultaneous rings. */
export type HangupReason = 'normal' | 'glare' | 'timeout' | 'failed';

/**
 * Call signalling. These travel only inside the 1:1 conversation's MLS group, so by the time
 * they reach the machine the sender's user and device are authenticated (threat scenario 5).
 */
export type CallSignal =
  | { readonly type: 'ring'; readonly callId: CallId; readonly media: MediaKind; readonly sentAt: number }
  | { readonly type: 'accept'; readonly callId: CallId }
  | { readonly type: 'decline'; readonly callId: CallId }
  | { readonly type: 'busy'; readonly callId: CallId }
  | { readonly type: 'offer'; readonly callId: CallId; readonly sdp: string }
  | { readonly type: 'answer'; readonly callId: CallId; readonly sdp: string }
  | { readonly type: 'ice'; readonly callId: CallId; readonly candidate: string }
  | { readonly type: 'hangup'; readonly callId: CallId; readonly reason: HangupReason };

export type CallSignalType = CallSignal['type'];

/** A signal as delivered by the message pipeline, with what the pipeline knows about its sender. */
export interface RemoteSignalEvent {
  readonly type: 'remote';
  readonly signal: CallSignal;
  readonly fromUser: string;
  readonly fromDevice: string;
  readonly now: number;
  readonly senderIsContact: boolean;
  readonly senderBlocked: boolean;
}

/**
 * Everything that can happen to a call. Time only enters through `now` fields: the machine
 * owns no clock and no timer, so it can be explored exhaustively.
 */
export type CallEvent =
  | { readonly type: 'placeCall'; readonly callId: CallId; readonly peer: string; readonly peerDevice: string; readonly now: number }
  | { readonly type: 'localAccept'; readonly now: number }
  | { readonly type: 'localDecline'; readonly now: number }
  | { readonly type: 'localHangup'; readonly now: number }
  /** The ring timer started by `startRingTimer` fired; it names its call so a stale timer is inert. */
  | { readonly type: 'timeout'; readonly callId: CallId; readonly now: number }
  /** Clock progress; a ring past its deadline ends even if the shell's timer was lost. */
  | { readonly type: 'tick'; readonly now: number }
  /** The RTC stack produced our offer or answer (answer to `createOffer` / `createAnswer`). */
  | { readonly type: 'localDescription'; readonly sdp: string; readonly now: number }
  /** The RTC stack gathered a local ICE candidate. */
  | { readonly type: 'localCandidate'; readonly candidate: string; readonly now: number }
  | { readonly type: 'mediaConnected'; readonly now: number }
  | { readonly type: 'mediaFailed'; readonly now: number }
  | RemoteSignalEvent;

export type CallDirection = 'outgoing' | 'incoming';
export type CallOutcome = 'answered' | 'missed' | 'declined' | 'missed-request' | 'busy' | 'failed';

/** A call-log line: identifiers and timings only, never content. */
export interface CallLogEntry {
  readonly callId: CallId;
  readonly peer: string;
  readonly direction: CallDirection;
  readonly outcome: CallOutcome;
  readonly durationMs: number;
}

/** Kinds of call-state violation reported (without content) for the server to correlate. */
export type CallAnomalyKind = 'signal-before-accept' | 'renegotiation' | 'unexpected-signal';

/** Instructions for the thin shell; the machine itself performs nothing. */
export type CallEffect =
  | { readonly type: 'sendSignal'; readonly signal: CallSignal; readonly toUser: string; readonly toDevice: string }
  | { readonly type: 'createPeerConnection' }
  | { readonly type: 'getMicrophone' }
  | { readonly type: 'setRemoteDescription'; readonly sdp: string }
  | { readonly type: 'createOffer' }
  | { readonly type: 'createAnswer' }
  | { readonly type: 'addIceCandidate'; readonly candidate: string }
  | { readonly type: 'startRingTimer'; readonly callId: CallId; readonly ms: number }
  | { readonly type: 'cancelRingTimer' }
  | { readonly type: 'showIncomingRing'; readonly callId: CallId; readonly peer: string }
  | { readonly type: 'stopRinging' }
  | { readonly type: 'closePeerConnection' }
  | { readonly type: 'releaseMicrophone' }
  | { readonly type: 'logCall'; readonly entry: CallLogEntry }
  | { readonly type: 'reportAnomaly'; readonly kind: CallAnomalyKind; readonly fromUser: string; readonly fromDevice: string };

export type CallEffectType = CallEffect['type'];

/** Effects that touch the RTC stack or the microphone: forbidden before consent. */
export const RTC_EFFECTS: ReadonlySet<CallEffectType> = new Set<CallEffectType>([
  'createPeerConnection', 'getMicrophone', 'setRemoteDescription', 'createOffer', 'createAnswer', 'addIceCandidate',
]);

/** An unanswered ring stops after this long (issue 3). */
export const RING_TIMEOUT_MS = 45_000;
/** A ring older than this when it arrives is logged, never rung: it was delayed or replayed. */
export const RING_MAX_AGE_MS = 60_000;
/**
 * Remote candidates held until a remote description exists. Bounded so a peer cannot grow our
 * memory; the candidate policy validator applies its own, stricter cap before this.
 */
export const MAX_PENDING_CANDIDATES = 32;

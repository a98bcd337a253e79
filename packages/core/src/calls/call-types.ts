/**
 * @module calls/call-types: the vocabulary of a 1:1 call — signals, local events and effects.
 * A 1:1 call is between two accounts, each with one or more linked devices: the ring reaches
 * every device of the callee, and the call then runs between the caller's device and the one
 * callee device that accepted first.
 */

export type CallId = string;
/** A voice call, or a video call (audio and video; the callee may answer with voice only). */
export type MediaKind = 'audio' | 'video';
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
  | { readonly type: 'hangup'; readonly callId: CallId; readonly reason: HangupReason }
  /**
   * A voice call's move to video, by consent of both: one side asks, the other accepts or
   * declines; only then does the asker renegotiate (an offer with a video section), and each
   * camera opens only on its own member's ask or accept.
   */
  | { readonly type: 'videoRequest'; readonly callId: CallId }
  | { readonly type: 'videoAccept'; readonly callId: CallId }
  | { readonly type: 'videoDecline'; readonly callId: CallId };

export type CallSignalType = CallSignal['type'];

/** One device in a conversation, as MLS authenticates it. */
export interface CallDevice {
  readonly user: string;
  readonly device: string;
}

/**
 * A conversation as the shell read it from its MLS group state at that moment: its id, this
 * device, and every member device except this one (none when this device is no longer in it).
 * A call is bound to one conversation whose members are devices of exactly two accounts: this
 * one and the peer's (MLS credentials are valid only for devices on each account's signed list).
 */
export interface ConversationView {
  readonly groupId: string;
  readonly self: CallDevice;
  readonly others: readonly CallDevice[];
}

/** A signal as delivered by the message pipeline, with what the pipeline knows about its sender. */
export interface RemoteSignalEvent {
  readonly type: 'remote';
  readonly signal: CallSignal;
  readonly fromUser: string;
  readonly fromDevice: string;
  /** The one device the signal names as its recipient; null when it is for every device (a ring, an early hangup). */
  readonly toDevice: string | null;
  /** The conversation it arrived in, with its members after the message was processed. */
  readonly conversation: ConversationView;
  readonly now: number;
  readonly senderIsContact: boolean;
  readonly senderBlocked: boolean;
}

/**
 * Everything that can happen to a call. Time only enters through `now` fields: the machine
 * owns no clock and no timer, so it can be explored exhaustively.
 */
export type CallEvent =
  /** The member calls `peer` through `conversation`, which must hold devices of this account and `peer`'s only. */
  | { readonly type: 'placeCall'; readonly callId: CallId; readonly peer: string; readonly conversation: ConversationView; readonly now: number; readonly media?: MediaKind }
  | { readonly type: 'localAccept'; readonly now: number }
  | { readonly type: 'localDecline'; readonly now: number }
  | { readonly type: 'localHangup'; readonly now: number }
  /** The ring timer started by `startRingTimer` fired; it names its call so a stale timer is inert. */
  | { readonly type: 'timeout'; readonly callId: CallId; readonly now: number }
  /**
   * The connect timer started by `startConnectTimer` fired: consent was given but media never
   * came. It names its call so a stale timer is inert.
   */
  | { readonly type: 'connectTimeout'; readonly callId: CallId; readonly now: number }
  /** Clock progress; a ring past its deadline ends even if the shell's timer was lost. */
  | { readonly type: 'tick'; readonly now: number }
  /** The RTC stack produced our offer or answer (answer to `createOffer` / `createAnswer`). */
  | { readonly type: 'localDescription'; readonly sdp: string; readonly now: number }
  /** The RTC stack gathered a local ICE candidate. */
  | { readonly type: 'localCandidate'; readonly candidate: string; readonly now: number }
  | { readonly type: 'mediaConnected'; readonly now: number }
  | { readonly type: 'mediaFailed'; readonly now: number }
  /** The member asks to turn a voice call into a video call (their camera opens once the peer accepts). */
  | { readonly type: 'localRequestVideo'; readonly now: number }
  /** The member accepts the peer's ask for video (their camera opens with the peer's offer). */
  | { readonly type: 'localAcceptVideo'; readonly now: number }
  /** The member declines the peer's ask for video: the call stays voice. */
  | { readonly type: 'localDeclineVideo'; readonly now: number }
  /** The member withdraws their own ask for video, not yet answered. */
  | { readonly type: 'localCancelVideo'; readonly now: number }
  /** A commit was applied to a conversation (or this device left it): its members as they are now. */
  | { readonly type: 'membersChanged'; readonly conversation: ConversationView; readonly now: number }
  | RemoteSignalEvent;

export type CallDirection = 'outgoing' | 'incoming';
/** 'answered-elsewhere': another device of this account took the call (or was already busy with one). */
export type CallOutcome = 'answered' | 'answered-elsewhere' | 'missed' | 'declined' | 'missed-request' | 'busy' | 'failed';

/** A call-log line: identifiers and timings only, never content. */
export interface CallLogEntry {
  readonly callId: CallId;
  readonly peer: string;
  readonly direction: CallDirection;
  readonly outcome: CallOutcome;
  readonly durationMs: number;
}

/**
 * Kinds of call-state violation reported (without content) for the server to correlate.
 * 'wrong-conversation': a signal for the live call from a conversation other than the call's own.
 * 'ring-flood': a contact's rings went past the device's own admission limit (reported once a flood).
 */
export type CallAnomalyKind = 'signal-before-accept' | 'renegotiation' | 'unexpected-signal' | 'wrong-conversation' | 'ring-flood';

/**
 * Why a signal was refused without a report to the server: it names a call this device does not
 * have (none is live, or it names another id), so there is no peer to hold it against.
 */
export type CallRefusalReason = 'unknown-call';

/** Instructions for the thin shell; the machine itself performs nothing. */
export type CallEffect =
  /**
   * Sent only into `conversationId`, and only while its members are devices of this account and
   * `toUser`'s; `toDevice` names the one device it is for (null: every device of `toUser`).
   */
  | { readonly type: 'sendSignal'; readonly signal: CallSignal; readonly toUser: string; readonly toDevice: string | null; readonly conversationId: string }
  | { readonly type: 'createPeerConnection' }
  | { readonly type: 'getMicrophone' }
  | { readonly type: 'setRemoteDescription'; readonly sdp: string }
  | { readonly type: 'createOffer' }
  | { readonly type: 'createAnswer' }
  | { readonly type: 'addIceCandidate'; readonly candidate: string }
  | { readonly type: 'startRingTimer'; readonly callId: CallId; readonly ms: number }
  | { readonly type: 'cancelRingTimer' }
  /** Bounds the time from consent to media: when it fires, the shell feeds `connectTimeout`. */
  | { readonly type: 'startConnectTimer'; readonly callId: CallId; readonly ms: number }
  | { readonly type: 'cancelConnectTimer' }
  | { readonly type: 'showIncomingRing'; readonly callId: CallId; readonly peer: string }
  | { readonly type: 'stopRinging' }
  | { readonly type: 'closePeerConnection' }
  | { readonly type: 'releaseMicrophone' }
  | { readonly type: 'logCall'; readonly entry: CallLogEntry }
  | { readonly type: 'reportAnomaly'; readonly kind: CallAnomalyKind; readonly fromUser: string; readonly fromDevice: string }
  /** A signal refused before the call saw it; the member's screen is told, nobody else. */
  | { readonly type: 'refuseSignal'; readonly reason: CallRefusalReason }
  /**
   * Both members consented to video: the media session gets a video section and this device's
   * camera (this member asked for it or accepted). Never without this member's own consent.
   */
  | { readonly type: 'enableVideo' }
  /** An ask for video ended without video: the peer declined, or nobody answered in time. */
  | { readonly type: 'videoRequestEnded'; readonly reason: VideoRequestEndReason };

/** Why an ask for video ended without video. */
export type VideoRequestEndReason = 'declined' | 'expired';

export type CallEffectType = CallEffect['type'];

/** Effects that touch the RTC stack or the microphone: forbidden before consent. */
export const RTC_EFFECTS: ReadonlySet<CallEffectType> = new Set<CallEffectType>([
  'createPeerConnection', 'getMicrophone', 'setRemoteDescription', 'createOffer', 'createAnswer', 'addIceCandidate', 'enableVideo',
]);

/** An ask for video nobody answered ends after this long; so does a move to video that never completed. */
export const VIDEO_REQUEST_TIMEOUT_MS = 30_000;
/**
 * After the member declines an ask for video, the peer's next asks are not shown for this long
 * (they expire unanswered on the peer's side): a peer cannot fill the screen with asks.
 */
export const VIDEO_ASK_QUIET_MS = 60_000;

/** An unanswered ring stops after this long (issue 3). */
export const RING_TIMEOUT_MS = 45_000;
/**
 * Consent given but no media after this long ends the call, so a peer that goes silent after
 * accepting cannot hold the call (and this device's microphone) open. The shell may shorten it.
 */
export const CONNECT_TIMEOUT_MS = 30_000;
/** A ring older than this when it arrives is logged, never rung: it was delayed or replayed. */
export const RING_MAX_AGE_MS = 60_000;
/**
 * How far ahead of this device's clock a ring's `sentAt` may lie (the two clocks disagree). A ring
 * dated further ahead is invalid: logged, never rung, or it could never go stale.
 */
export const RING_MAX_SKEW_MS = 120_000;
/** Call ids remembered after they end (with their outcome): a ring for one of them never rings. */
export const RECENT_CALLS_KEPT = 256;
/**
 * A contact's rings this device admits (rings, or answers busy) in a burst; one more is admitted
 * every RING_REFILL_MS. Beyond that its rings are dropped in silence, whatever the server allowed.
 * Six a minute is the server's default ring limit (`--rings-per-minute`): with an honest server
 * at its defaults this never bites; it holds when the server's limit is raised, off or lying.
 */
export const RING_BURST = 6;
export const RING_REFILL_MS = 10_000;
/** Contacts whose ring allowance is tracked; a full allowance carries no information and goes first. */
export const MAX_RING_ALLOWANCES = 64;
/**
 * Remote candidates held until a remote description exists. Bounded so a peer cannot grow our
 * memory; the candidate policy validator applies its own, stricter cap before this.
 */
export const MAX_PENDING_CANDIDATES = 32;

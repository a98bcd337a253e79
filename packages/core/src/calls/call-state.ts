/**
 * @module calls/call-state: the explicit states of one device's call, as a tagged union, and the
 * machine's whole state: that call plus what the device remembers across calls.
 */
import type { CallId, CallOutcome, MediaKind, Role } from './call-types.js';
import { EMPTY_CALL_MEMORY, type CallMemory } from './call-memory.js';

/**
 * Who the call is with and where. Only signals from exactly this user, device and call id, in
 * exactly this conversation, are heard; and only into this conversation is anything sent.
 */
export interface CallParty {
  readonly callId: CallId;
  readonly peer: string;
  /**
   * The peer's device the call is with. Null only while an outgoing call rings: every device of
   * the peer rings, and the first one to accept becomes the call's device.
   */
  readonly peerDevice: string | null;
  /** The MLS group the call was placed or rung in; its members must stay devices of the two accounts. */
  readonly conversationId: string;
  readonly role: Role;
  readonly media: MediaKind;
}

/**
 * What RTC resources exist, so hang-up closes exactly what was opened and nothing else.
 * `remoteDescriptionSet` gates `addIceCandidate`; candidates arriving earlier wait in `pendingCandidates`.
 */
export interface CallMedia {
  readonly hasPeerConnection: boolean;
  readonly hasMicrophone: boolean;
  readonly remoteDescriptionSet: boolean;
  readonly localDescriptionSent: boolean;
  readonly pendingCandidates: readonly string[];
}

/** A call whose peer device is known: every state but an outgoing ring. */
export interface BoundParty {
  readonly peerDevice: string;
}

export type EndReason =
  | 'hangup-local' | 'hangup-remote' | 'declined-local' | 'declined-remote' | 'busy'
  /** Another device of this account accepted, declined or was busy: this one stops ringing. */
  | 'answered-elsewhere' | 'declined-elsewhere' | 'busy-elsewhere'
  | 'timeout' | 'failed' | 'missed' | 'missed-request' | 'stale-ring'
  /** The call's conversation gained or lost a member: the call ends on both sides, nothing more is sent. */
  | 'members-changed';

export type CallState =
  | { readonly kind: 'idle' }
  /** Caller: ring sent, waiting for the callee's accept. No RTC exists yet on either side. */
  | (CallParty & { readonly kind: 'outgoing-ringing'; readonly role: 'caller'; readonly placedAt: number; readonly ringStartedAt: number })
  /** Callee: a contact's ring is shown. Nothing but busy/decline/hangup may leave this device. */
  | (CallParty & BoundParty & { readonly kind: 'incoming-ringing'; readonly role: 'callee'; readonly ringStartedAt: number })
  /** Caller: accept received from one device of the peer; peer connection and offer under way. */
  | (CallParty & BoundParty & CallMedia & { readonly kind: 'caller-connecting'; readonly role: 'caller'; readonly acceptedAt: number })
  /**
   * Callee: the member accepted; RTC starts only when the caller's offer to this device arrives
   * (an offer to another device of this account means that one answered first).
   */
  | (CallParty & BoundParty & CallMedia & { readonly kind: 'callee-connecting'; readonly role: 'callee'; readonly acceptedAt: number })
  | (CallParty & BoundParty & CallMedia & { readonly kind: 'active'; readonly acceptedAt: number; readonly connectedAt: number; readonly upgrade?: VideoUpgrade; readonly quietAsksUntil?: number })
  /** Terminal until a new call starts; remembers the call id so a replayed ring for it is inert. */
  | (CallParty & { readonly kind: 'ended'; readonly reason: EndReason; readonly outcome: CallOutcome; readonly endedAt: number; readonly durationMs?: number });

/**
 * A voice call on its way to video: asked by one side (`by`), then, once the other accepted,
 * renegotiated: the asker sends an offer with a video section, the other answers it. Each side's
 * camera opens only with its own member's consent (asking, or accepting).
 */
export interface VideoUpgrade {
  readonly step: 'asked' | 'negotiating';
  /** Who asked: this device's member ('local') or the peer ('remote'); in glare, the caller counts as the asker. */
  readonly by: 'local' | 'remote';
  readonly at: number;
  /** Negotiating, the asker: its offer has gone. */
  readonly descriptionSent?: boolean;
  /** Negotiating, the other side: the asker's offer arrived (a second one is renegotiation). */
  readonly offerReceived?: boolean;
}

export type CallStateKind = CallState['kind'];
export type LiveCallState = Exclude<CallState, { kind: 'idle' } | { kind: 'ended' }>;
export type MediaCallState = Extract<CallState, CallMedia>;

export const initialCallState: CallState = { kind: 'idle' };

/**
 * Everything `transition` reads and returns: the call, and what outlives it (recent call ids,
 * each contact's ring allowance). Kept apart so the call's own state, which the UI follows,
 * changes only when the call does.
 */
export interface CallMachineState {
  readonly call: CallState;
  readonly memory: CallMemory;
}

export const initialCallMachineState: CallMachineState = { call: initialCallState, memory: EMPTY_CALL_MEMORY };

export const NO_MEDIA: CallMedia = {
  hasPeerConnection: false,
  hasMicrophone: false,
  remoteDescriptionSet: false,
  localDescriptionSent: false,
  pendingCandidates: [],
};

export function isLive(state: CallState): state is LiveCallState {
  return state.kind !== 'idle' && state.kind !== 'ended';
}

/** Consent given, media not yet up: the span the connect timer bounds. */
export function isConnecting(state: CallState): state is Extract<CallState, { kind: 'caller-connecting' | 'callee-connecting' }> {
  return state.kind === 'caller-connecting' || state.kind === 'callee-connecting';
}

export function partyOf(state: CallParty): CallParty {
  return { callId: state.callId, peer: state.peer, peerDevice: state.peerDevice, conversationId: state.conversationId, role: state.role, media: state.media };
}

/** @module calls/call-state: the explicit states of one device's call, as a tagged union. */
import type { CallId, MediaKind, Role } from './call-types.js';

/** Who the call is with. Only signals from exactly this user, device and call id are heard. */
export interface CallParty {
  readonly callId: CallId;
  readonly peer: string;
  readonly peerDevice: string;
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

export type EndReason =
  | 'hangup-local' | 'hangup-remote' | 'declined-local' | 'declined-remote' | 'busy'
  | 'timeout' | 'failed' | 'missed' | 'missed-request' | 'stale-ring';

export type CallState =
  | { readonly kind: 'idle' }
  /** Caller: ring sent, waiting for the callee's accept. No RTC exists yet on either side. */
  | (CallParty & { readonly kind: 'outgoing-ringing'; readonly role: 'caller'; readonly placedAt: number; readonly ringStartedAt: number })
  /** Callee: a contact's ring is shown. Nothing but busy/decline/hangup may leave this device. */
  | (CallParty & { readonly kind: 'incoming-ringing'; readonly role: 'callee'; readonly ringStartedAt: number })
  /** Caller: accept received; peer connection and offer under way. */
  | (CallParty & CallMedia & { readonly kind: 'caller-connecting'; readonly role: 'caller'; readonly acceptedAt: number })
  /** Callee: the member accepted; RTC starts only when the caller's offer arrives. */
  | (CallParty & CallMedia & { readonly kind: 'callee-connecting'; readonly role: 'callee'; readonly acceptedAt: number })
  | (CallParty & CallMedia & { readonly kind: 'active'; readonly acceptedAt: number; readonly connectedAt: number })
  /** Terminal until a new call starts; remembers the call id so a replayed ring for it is inert. */
  | (CallParty & { readonly kind: 'ended'; readonly reason: EndReason; readonly endedAt: number; readonly durationMs?: number });

export type CallStateKind = CallState['kind'];
export type LiveCallState = Exclude<CallState, { kind: 'idle' } | { kind: 'ended' }>;
export type MediaCallState = Extract<CallState, CallMedia>;

export const initialCallState: CallState = { kind: 'idle' };

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

export function partyOf(state: CallParty): CallParty {
  return { callId: state.callId, peer: state.peer, peerDevice: state.peerDevice, role: state.role, media: state.media };
}

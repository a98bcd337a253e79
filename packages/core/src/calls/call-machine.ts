/**
 * @module calls/call-machine: the pure 1:1 call state machine, `transition(state, event)`.
 * One table per state; each ends in `missingCase`, so a new event or signal breaks the build
 * until every state decides what it means. Nothing here performs I/O: effects are data.
 */
import { missingCase } from '@sotto/protocol';
import type { CallAnomalyKind, CallEffect, CallEvent, CallSignal, RemoteSignalEvent } from './call-types.js';
import { MAX_PENDING_CANDIDATES, RING_TIMEOUT_MS } from './call-types.js';
import type { CallMedia, CallState, MediaCallState } from './call-state.js';
import { NO_MEDIA } from './call-state.js';
import { endCall } from './call-ending.js';
import { onRing } from './call-ring.js';
import { sendTo, unchanged, type TransitionResult } from './call-result.js';

type State<K extends CallState['kind']> = Extract<CallState, { kind: K }>;
type NonRingSignal = Exclude<CallSignal, { type: 'ring' }>;

export function transition(state: CallState, event: CallEvent): TransitionResult {
  if (event.type === 'remote') return onRemote(state, event);
  switch (state.kind) {
    case 'idle':
    case 'ended':
      // A call id is never reused: the peer treats signals for an ended id as replays.
      if (event.type !== 'placeCall' || (state.kind === 'ended' && event.callId === state.callId)) return unchanged(state);
      return startOutgoing(event);
    case 'outgoing-ringing': return outgoingRinging(state, event);
    case 'incoming-ringing': return incomingRinging(state, event);
    case 'caller-connecting': return callerConnecting(state, event);
    case 'callee-connecting': return calleeConnecting(state, event);
    case 'active': return active(state, event);
    default: throw missingCase(state);
  }
}

type LocalEvent = Exclude<CallEvent, RemoteSignalEvent>;

function startOutgoing(event: Extract<CallEvent, { type: 'placeCall' }>): TransitionResult {
  const party = { callId: event.callId, peer: event.peer, peerDevice: event.peerDevice, role: 'caller', media: 'audio' } as const;
  return {
    state: { ...party, kind: 'outgoing-ringing', placedAt: event.now, ringStartedAt: event.now },
    // Only the ring: no peer connection, no microphone, no SDP until the callee accepts.
    effects: [
      sendTo(party, { type: 'ring', callId: event.callId, media: 'audio', sentAt: event.now }),
      { type: 'startRingTimer', callId: event.callId, ms: RING_TIMEOUT_MS },
    ],
  };
}

/** Rings are admitted by their own rules; every other signal must be for this exact call. */
function onRemote(state: CallState, event: RemoteSignalEvent): TransitionResult {
  const signal = event.signal;
  if (signal.type === 'ring') return onRing(state, event, signal);
  if (state.kind === 'idle' || state.kind === 'ended') return unchanged(state);
  // Another device of the same peer, another peer, or another call: not ours to act on.
  if (event.fromUser !== state.peer || event.fromDevice !== state.peerDevice || signal.callId !== state.callId) {
    return unchanged(state);
  }
  switch (state.kind) {
    case 'outgoing-ringing': return outgoingRingingSignal(state, event, signal);
    case 'incoming-ringing': return incomingRingingSignal(state, event, signal);
    case 'caller-connecting':
    case 'callee-connecting':
    case 'active':
      return connectedSignal(state, event, signal);
    default: throw missingCase(state);
  }
}

function anomaly(state: CallState, event: RemoteSignalEvent, kind: CallAnomalyKind): TransitionResult {
  return { state, effects: [{ type: 'reportAnomaly', kind, fromUser: event.fromUser, fromDevice: event.fromDevice }] };
}

function ringExpired(state: { ringStartedAt: number }, now: number): boolean {
  return now - state.ringStartedAt >= RING_TIMEOUT_MS;
}

// ---- caller, before accept -------------------------------------------------------------------

function outgoingRinging(state: State<'outgoing-ringing'>, event: LocalEvent): TransitionResult {
  switch (event.type) {
    case 'localHangup':
      return endCall(state, { reason: 'hangup-local', outcome: 'missed', now: event.now, send: { type: 'hangup', callId: state.callId, reason: 'normal' } });
    case 'timeout':
      if (event.callId !== state.callId) return unchanged(state);
      return endCall(state, { reason: 'timeout', outcome: 'missed', now: event.now, timerFired: true, send: { type: 'hangup', callId: state.callId, reason: 'timeout' } });
    case 'tick':
      if (!ringExpired(state, event.now)) return unchanged(state);
      return endCall(state, { reason: 'timeout', outcome: 'missed', now: event.now, send: { type: 'hangup', callId: state.callId, reason: 'timeout' } });
    case 'placeCall':
    case 'localAccept':
    case 'localDecline':
    case 'localDescription':
    case 'localCandidate':
    case 'mediaConnected':
    case 'mediaFailed':
      return unchanged(state);
    default: throw missingCase(event);
  }
}

function outgoingRingingSignal(state: State<'outgoing-ringing'>, event: RemoteSignalEvent, signal: NonRingSignal): TransitionResult {
  switch (signal.type) {
    case 'accept':
      // The callee consented: only now does the caller build RTC and make the offer.
      return {
        state: { ...state, ...NO_MEDIA, kind: 'caller-connecting', hasPeerConnection: true, hasMicrophone: true, acceptedAt: event.now },
        effects: [{ type: 'cancelRingTimer' }, { type: 'createPeerConnection' }, { type: 'getMicrophone' }, { type: 'createOffer' }],
      };
    case 'decline': return endCall(state, { reason: 'declined-remote', outcome: 'declined', now: event.now });
    case 'busy': return endCall(state, { reason: 'busy', outcome: 'busy', now: event.now });
    case 'hangup': return endCall(state, { reason: 'hangup-remote', outcome: 'missed', now: event.now });
    case 'offer':
    case 'answer':
    case 'ice':
      // The callee has not accepted, so it has no business sending SDP or candidates.
      return anomaly(state, event, 'signal-before-accept');
    default: throw missingCase(signal);
  }
}

// ---- callee, before accept: the zero-click surface ------------------------------------------

function incomingRinging(state: State<'incoming-ringing'>, event: LocalEvent): TransitionResult {
  switch (event.type) {
    case 'localAccept':
      return {
        state: { ...state, ...NO_MEDIA, kind: 'callee-connecting', acceptedAt: event.now },
        effects: [{ type: 'stopRinging' }, { type: 'cancelRingTimer' }, sendTo(state, { type: 'accept', callId: state.callId })],
      };
    case 'localDecline':
    case 'localHangup':
      return endCall(state, { reason: 'declined-local', outcome: 'declined', now: event.now, send: { type: 'decline', callId: state.callId } });
    case 'timeout':
      if (event.callId !== state.callId) return unchanged(state);
      return endCall(state, { reason: 'missed', outcome: 'missed', now: event.now, timerFired: true });
    case 'tick':
      if (!ringExpired(state, event.now)) return unchanged(state);
      return endCall(state, { reason: 'missed', outcome: 'missed', now: event.now });
    // Nothing RTC exists while ringing, so RTC callbacks can only be stale or forged: ignore.
    case 'placeCall':
    case 'localDescription':
    case 'localCandidate':
    case 'mediaConnected':
    case 'mediaFailed':
      return unchanged(state);
    default: throw missingCase(event);
  }
}

function incomingRingingSignal(state: State<'incoming-ringing'>, event: RemoteSignalEvent, signal: NonRingSignal): TransitionResult {
  switch (signal.type) {
    case 'accept':
    case 'offer':
    case 'answer':
    case 'ice':
      // Threat scenarios 1-3: a premature accept, an SDP or candidates while ringing are
      // dropped unparsed; the ring goes on and no RTC is touched.
      return anomaly(state, event, 'signal-before-accept');
    case 'hangup': return endCall(state, { reason: 'missed', outcome: 'missed', now: event.now });
    case 'decline':
    case 'busy':
      return unchanged(state);
    default: throw missingCase(signal);
  }
}

// ---- after consent --------------------------------------------------------------------------

function withMedia<S extends MediaCallState>(state: S, media: Partial<CallMedia>): S {
  return { ...state, ...media };
}

/** Remote candidates are applied once a remote description exists, held (bounded) until then. */
function remoteCandidate(state: MediaCallState, candidate: string): TransitionResult {
  if (state.remoteDescriptionSet) return { state, effects: [{ type: 'addIceCandidate', candidate }] };
  if (state.pendingCandidates.length >= MAX_PENDING_CANDIDATES) return unchanged(state);
  return { state: withMedia(state, { pendingCandidates: [...state.pendingCandidates, candidate] }), effects: [] };
}

function applyRemoteDescription(state: MediaCallState, sdp: string, before: readonly CallEffect[], after: readonly CallEffect[]): TransitionResult {
  return {
    state: withMedia(state, { hasPeerConnection: true, hasMicrophone: true, remoteDescriptionSet: true, pendingCandidates: [] }),
    effects: [
      ...before,
      { type: 'setRemoteDescription', sdp },
      ...after,
      ...state.pendingCandidates.map((candidate): CallEffect => ({ type: 'addIceCandidate', candidate })),
    ],
  };
}

function connectedSignal(state: MediaCallState, event: RemoteSignalEvent, signal: NonRingSignal): TransitionResult {
  switch (signal.type) {
    case 'offer':
      // The callee's one offer arrives after its own accept; anything else is renegotiation,
      // which v1 does not support (threat scenario 2).
      if (state.kind !== 'callee-connecting' || state.hasPeerConnection) return anomaly(state, event, 'renegotiation');
      return applyRemoteDescription(state, signal.sdp, [{ type: 'createPeerConnection' }, { type: 'getMicrophone' }], [{ type: 'createAnswer' }]);
    case 'answer':
      if (state.kind !== 'caller-connecting') return anomaly(state, event, state.kind === 'active' ? 'renegotiation' : 'unexpected-signal');
      // An answer to an offer we have not sent, or a second one, is not an answer.
      if (!state.localDescriptionSent) return anomaly(state, event, 'unexpected-signal');
      if (state.remoteDescriptionSet) return anomaly(state, event, 'renegotiation');
      return applyRemoteDescription(state, signal.sdp, [], []);
    case 'ice': return remoteCandidate(state, signal.candidate);
    case 'hangup': return endCall(state, { reason: 'hangup-remote', outcome: 'answered', now: event.now });
    // Consent already given; a late accept, decline or busy changes nothing.
    case 'accept':
    case 'decline':
    case 'busy':
      return unchanged(state);
    default: throw missingCase(signal);
  }
}

/** Local events shared by every state after consent. */
function afterConsent(state: MediaCallState, event: LocalEvent): TransitionResult {
  switch (event.type) {
    case 'localHangup':
      return endCall(state, { reason: 'hangup-local', outcome: 'answered', now: event.now, send: { type: 'hangup', callId: state.callId, reason: 'normal' } });
    case 'mediaFailed':
      if (!state.hasPeerConnection) return unchanged(state);
      return endCall(state, { reason: 'failed', outcome: 'failed', now: event.now, send: { type: 'hangup', callId: state.callId, reason: 'failed' } });
    case 'mediaConnected':
      if (state.kind === 'active' || !state.hasPeerConnection) return unchanged(state);
      return { state: { ...state, kind: 'active', connectedAt: event.now }, effects: [] };
    case 'localDescription': {
      // Our single offer (caller) or answer (callee) leaves once; no renegotiation in v1.
      if (state.kind === 'active' || !state.hasPeerConnection || state.localDescriptionSent) return unchanged(state);
      const signal: CallSignal = state.kind === 'caller-connecting'
        ? { type: 'offer', callId: state.callId, sdp: event.sdp }
        : { type: 'answer', callId: state.callId, sdp: event.sdp };
      return { state: withMedia(state, { localDescriptionSent: true }), effects: [sendTo(state, signal)] };
    }
    case 'localCandidate':
      if (!state.hasPeerConnection) return unchanged(state);
      return { state, effects: [sendTo(state, { type: 'ice', callId: state.callId, candidate: event.candidate })] };
    case 'placeCall':
    case 'localAccept':
    case 'localDecline':
    case 'timeout':
    case 'tick':
      return unchanged(state);
    default: throw missingCase(event);
  }
}

function callerConnecting(state: State<'caller-connecting'>, event: LocalEvent): TransitionResult {
  return afterConsent(state, event);
}

function calleeConnecting(state: State<'callee-connecting'>, event: LocalEvent): TransitionResult {
  return afterConsent(state, event);
}

function active(state: State<'active'>, event: LocalEvent): TransitionResult {
  return afterConsent(state, event);
}

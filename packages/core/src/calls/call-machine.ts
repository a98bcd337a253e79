/**
 * @module calls/call-machine: the pure 1:1 call state machine of one device, `transition(state, event)`.
 * One table per state; each ends in `missingCase`, so a new event or signal breaks the build
 * until every state decides what it means. Nothing here performs I/O: effects are data.
 *
 * Linked devices: a ring reaches every device of the callee; the first to accept is the one the
 * caller binds the call to, and every signal after that names it (`toDevice`). The callee's
 * other devices stop ringing when they see their sibling's accept, decline or busy, or the
 * caller's offer to the sibling; the caller's other devices hear nothing of the call.
 */
import { missingCase } from '@sotto/protocol';
import type { CallAnomalyKind, CallEffect, CallEvent, CallSignal, ConversationView, RemoteSignalEvent } from './call-types.js';
import { CONNECT_TIMEOUT_MS, MAX_PENDING_CANDIDATES, RING_TIMEOUT_MS } from './call-types.js';
import type { CallMachineState, CallMedia, CallState, LiveCallState, MediaCallState } from './call-state.js';
import { isLive, NO_MEDIA } from './call-state.js';
import { holdsCall, isBetweenAccounts } from './call-conversation.js';
import { endCall, endForMembership } from './call-ending.js';
import { remember, rememberedCall } from './call-memory.js';
import { onRing } from './call-ring.js';
import { sendTo, unchanged, type CallStep, type TransitionResult } from './call-result.js';
import { videoUpgradeEvent, videoUpgradeSignal } from './call-video-upgrade.js';

type State<K extends CallState['kind']> = Extract<CallState, { kind: K }>;
type NonRingSignal = Exclude<CallSignal, { type: 'ring' }>;
type PlaceCall = Extract<CallEvent, { type: 'placeCall' }>;

export function transition(machine: CallMachineState, event: CallEvent): TransitionResult {
  const call = machine.call;
  // Any news that the call's conversation holds anyone but the two accounts' devices (or lost the
  // peer's device) ends the call before anything else is considered: from then on, whatever the
  // call sent would reach them too.
  const news = isLive(call) ? membershipNews(call, event) : undefined;
  if (isLive(call) && news?.groupId === call.conversationId && !holdsCall(news, call.peer, call.peerDevice)) {
    return remembering(machine, endForMembership(call, event.now));
  }
  if (event.type === 'remote' && event.signal.type === 'ring') return onRing(machine, event, event.signal);
  if (event.type === 'placeCall' && !isLive(call)) {
    // A call id is never reused (the peer treats a known id as a replay), and a call is placed
    // only through a conversation of this account's devices and the peer's.
    if (rememberedCall(machine.memory, event.callId) !== undefined || (call.kind === 'ended' && call.callId === event.callId)) return nothing(machine);
    if (!isBetweenAccounts(event.conversation, event.peer)) return nothing(machine);
    return remembering(machine, startOutgoing(event));
  }
  return remembering(machine, callTransition(call, event));
}

/**
 * What an event says about a conversation's members. Rings, and signals the call must ignore
 * entirely (another device, peer or call id), are not heard on this: they change nothing, and
 * the shell reports every membership change as `membersChanged` anyway, before any later signal.
 */
function membershipNews(call: LiveCallState, event: CallEvent): ConversationView | undefined {
  switch (event.type) {
    case 'membersChanged':
    case 'placeCall':
      return event.conversation;
    case 'remote':
      return event.signal.type !== 'ring' && addressedToCall(call, event) ? event.conversation : undefined;
    default:
      return undefined;
  }
}

/** From the call's peer (its bound device, or any of its devices while the call rings out), for this call and this device. */
function addressedToCall(call: LiveCallState, event: RemoteSignalEvent): boolean {
  return event.fromUser === call.peer
    && (call.peerDevice === null || event.fromDevice === call.peerDevice)
    && event.signal.callId === call.callId
    && isForThisDevice(event);
}

function isForThisDevice(event: RemoteSignalEvent): boolean {
  return event.toDevice === null || event.toDevice === event.conversation.self.device;
}

function nothing(machine: CallMachineState): TransitionResult {
  return { state: machine, effects: [] };
}

/** Applies a step to the call, remembering a call that ended so its id never rings again. */
function remembering(machine: CallMachineState, step: CallStep): TransitionResult {
  const before = machine.call;
  const after = step.state;
  if (after === before) return { state: machine, effects: step.effects };
  const ended = isLive(before) && after.kind === 'ended' && after.callId === before.callId;
  const memory = ended ? remember(machine.memory, after.callId, after.outcome) : machine.memory;
  return { state: { call: after, memory }, effects: step.effects };
}

function callTransition(state: CallState, event: CallEvent): CallStep {
  if (event.type === 'remote') return onRemote(state, event);
  switch (state.kind) {
    // Rings and calls placed are admitted by `transition`; nothing else moves a call that is not live.
    case 'idle':
    case 'ended':
      return unchanged(state);
    case 'outgoing-ringing': return outgoingRinging(state, event);
    case 'incoming-ringing': return incomingRinging(state, event);
    case 'caller-connecting': return callerConnecting(state, event);
    case 'callee-connecting': return calleeConnecting(state, event);
    case 'active': return active(state, event);
    default: throw missingCase(state);
  }
}

type LocalEvent = Exclude<CallEvent, RemoteSignalEvent>;

function startOutgoing(event: PlaceCall): CallStep {
  // No device of the peer is bound yet: the ring is for all of them, and the first to accept gets the call.
  const party = {
    callId: event.callId, peer: event.peer, peerDevice: null, conversationId: event.conversation.groupId, role: 'caller', media: event.media ?? 'audio',
  } as const;
  return {
    state: { ...party, kind: 'outgoing-ringing', placedAt: event.now, ringStartedAt: event.now },
    // Only the ring: no peer connection, no microphone, no SDP until the callee accepts.
    effects: [
      sendTo(party, { type: 'ring', callId: event.callId, media: party.media, sentAt: event.now }),
      { type: 'startRingTimer', callId: event.callId, ms: RING_TIMEOUT_MS },
    ],
  };
}

/** Every signal but a ring must be for this exact call, from its peer's device, in its conversation. */
function onRemote(state: CallState, event: RemoteSignalEvent): CallStep {
  const signal = event.signal;
  if (signal.type === 'ring') return unchanged(state);
  // Another device of this account, or a signal meant for one: never refused or reported, since
  // such signals are routine with linked devices; they only tell a ringing callee to stop.
  if (event.fromUser === event.conversation.self.user) return fromSibling(state, event, signal);
  if (!isForThisDevice(event)) return forAnotherDevice(state, event);
  // A signal naming no call of ours (none, or another id) is refused by its id alone: its SDP
  // or candidate is never read, and the member's screen can say why nothing happened.
  if (state.kind === 'idle' || signal.callId !== state.callId) return { state, effects: [{ type: 'refuseSignal', reason: 'unknown-call' }] };
  // The call that just ended: its peer's late signals are expected, and ignored.
  if (state.kind === 'ended') return unchanged(state);
  // Another device of the same peer, another peer, or another call: not ours to act on.
  if (!addressedToCall(state, event)) return unchanged(state);
  // The right peer and call id through another conversation (one that may hold someone else,
  // or one the peer made to slip past the check on this one): refused and reported.
  if (event.conversation.groupId !== state.conversationId) return anomaly(state, event, 'wrong-conversation');
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

/**
 * A sibling device (same account) answered the call ringing here: it accepted (it may get the
 * call), declined (the call is declined for the account) or was busy (the account is on a call).
 * This device stops ringing and sends nothing. Anything else a sibling sends is its own business.
 */
function fromSibling(state: CallState, event: RemoteSignalEvent, signal: NonRingSignal): CallStep {
  if (state.kind !== 'incoming-ringing' || signal.callId !== state.callId) return unchanged(state);
  switch (signal.type) {
    case 'accept': return endCall(state, { reason: 'answered-elsewhere', outcome: 'answered-elsewhere', now: event.now });
    case 'decline': return endCall(state, { reason: 'declined-elsewhere', outcome: 'declined', now: event.now });
    case 'busy': return endCall(state, { reason: 'busy-elsewhere', outcome: 'busy', now: event.now });
    case 'offer':
    case 'answer':
    case 'ice':
    case 'hangup':
    case 'videoRequest':
    case 'videoAccept':
    case 'videoDecline':
      return unchanged(state);
    default: throw missingCase(signal);
  }
}

/**
 * The caller's signal for this call names another device of this account: the caller bound the
 * call to that device (it accepted first), so this one, ringing or waiting after its own
 * accept, ends without a word. Signals for other calls or from anyone else change nothing.
 */
function forAnotherDevice(state: CallState, event: RemoteSignalEvent): CallStep {
  const waiting = state.kind === 'incoming-ringing' || state.kind === 'callee-connecting';
  if (!waiting || event.signal.callId !== state.callId || event.fromUser !== state.peer || event.fromDevice !== state.peerDevice) return unchanged(state);
  return endCall(state, { reason: 'answered-elsewhere', outcome: 'answered-elsewhere', now: event.now });
}

function anomaly(state: CallState, event: RemoteSignalEvent, kind: CallAnomalyKind): CallStep {
  return { state, effects: [{ type: 'reportAnomaly', kind, fromUser: event.fromUser, fromDevice: event.fromDevice }] };
}

function ringExpired(state: { ringStartedAt: number }, now: number): boolean {
  return now - state.ringStartedAt >= RING_TIMEOUT_MS;
}

// ---- caller, before accept -------------------------------------------------------------------

function outgoingRinging(state: State<'outgoing-ringing'>, event: LocalEvent): CallStep {
  switch (event.type) {
    case 'localHangup':
      return endCall(state, { reason: 'hangup-local', outcome: 'missed', now: event.now, send: { type: 'hangup', callId: state.callId, reason: 'normal' } });
    case 'timeout':
      if (event.callId !== state.callId) return unchanged(state);
      return endCall(state, { reason: 'timeout', outcome: 'missed', now: event.now, timerFired: true, send: { type: 'hangup', callId: state.callId, reason: 'timeout' } });
    case 'tick':
      if (!ringExpired(state, event.now)) return unchanged(state);
      return endCall(state, { reason: 'timeout', outcome: 'missed', now: event.now, send: { type: 'hangup', callId: state.callId, reason: 'timeout' } });
    // No connect timer runs before consent: a stale one changes nothing.
    case 'connectTimeout':
    case 'placeCall':
    case 'localAccept':
    case 'localDecline':
    case 'localRequestVideo':
    case 'localAcceptVideo':
    case 'localDeclineVideo':
    case 'localCancelVideo':
    case 'localDescription':
    case 'localCandidate':
    case 'mediaConnected':
    case 'mediaFailed':
    // A change that still leaves exactly the two parties (a key update) changes nothing.
    case 'membersChanged':
      return unchanged(state);
    default: throw missingCase(event);
  }
}

function outgoingRingingSignal(state: State<'outgoing-ringing'>, event: RemoteSignalEvent, signal: NonRingSignal): CallStep {
  switch (signal.type) {
    case 'accept':
      // The callee consented on one of its devices, which the call is now bound to (another
      // device's later accept is not addressed to the call any more): only now does the caller
      // build RTC and make the offer.
      return {
        state: { ...state, ...NO_MEDIA, kind: 'caller-connecting', peerDevice: event.fromDevice, hasPeerConnection: true, hasMicrophone: true, acceptedAt: event.now },
        effects: [
          { type: 'cancelRingTimer' }, { type: 'createPeerConnection' }, { type: 'getMicrophone' }, { type: 'createOffer' },
          { type: 'startConnectTimer', callId: state.callId, ms: CONNECT_TIMEOUT_MS },
        ],
      };
    case 'decline': return endCall(state, { reason: 'declined-remote', outcome: 'declined', now: event.now });
    case 'busy': return endCall(state, { reason: 'busy', outcome: 'busy', now: event.now });
    case 'hangup': return endCall(state, { reason: 'hangup-remote', outcome: 'missed', now: event.now });
    case 'offer':
    case 'answer':
    case 'ice':
    case 'videoRequest':
    case 'videoAccept':
    case 'videoDecline':
      // The callee has not accepted, so it has no business sending SDP, candidates or video asks.
      return anomaly(state, event, 'signal-before-accept');
    default: throw missingCase(signal);
  }
}

// ---- callee, before accept: the zero-click surface ------------------------------------------

function incomingRinging(state: State<'incoming-ringing'>, event: LocalEvent): CallStep {
  switch (event.type) {
    case 'localAccept':
      return {
        state: { ...state, ...NO_MEDIA, kind: 'callee-connecting', acceptedAt: event.now },
        effects: [
          { type: 'stopRinging' }, { type: 'cancelRingTimer' }, sendTo(state, { type: 'accept', callId: state.callId }),
          { type: 'startConnectTimer', callId: state.callId, ms: CONNECT_TIMEOUT_MS },
        ],
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
    case 'connectTimeout':
    case 'placeCall':
    case 'localRequestVideo':
    case 'localAcceptVideo':
    case 'localDeclineVideo':
    case 'localCancelVideo':
    case 'localDescription':
    case 'localCandidate':
    case 'mediaConnected':
    case 'mediaFailed':
    case 'membersChanged':
      return unchanged(state);
    default: throw missingCase(event);
  }
}

function incomingRingingSignal(state: State<'incoming-ringing'>, event: RemoteSignalEvent, signal: NonRingSignal): CallStep {
  switch (signal.type) {
    case 'accept':
    case 'offer':
    case 'answer':
    case 'ice':
    case 'videoRequest':
    case 'videoAccept':
    case 'videoDecline':
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
function remoteCandidate(state: MediaCallState, candidate: string): CallStep {
  if (state.remoteDescriptionSet) return { state, effects: [{ type: 'addIceCandidate', candidate }] };
  if (state.pendingCandidates.length >= MAX_PENDING_CANDIDATES) return unchanged(state);
  return { state: withMedia(state, { pendingCandidates: [...state.pendingCandidates, candidate] }), effects: [] };
}

function applyRemoteDescription(state: MediaCallState, sdp: string, before: readonly CallEffect[], after: readonly CallEffect[]): CallStep {
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

function connectedSignal(state: MediaCallState, event: RemoteSignalEvent, signal: NonRingSignal): CallStep {
  // A voice call's move to video, by consent of both: its asks and its one offer and answer.
  const upgrade = state.kind === 'active' ? videoUpgradeSignal(state, event, signal) : undefined;
  if (upgrade) return upgrade;
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
    // Consent already given; a late accept, decline or busy changes nothing. Asks for video are
    // heard once the call is active on this side (an ask that comes before is ignored, and expires
    // for its asker).
    case 'accept':
    case 'decline':
    case 'busy':
    case 'videoRequest':
    case 'videoAccept':
    case 'videoDecline':
      return unchanged(state);
    default: throw missingCase(signal);
  }
}

/** Local events shared by every state after consent. */
function afterConsent(state: MediaCallState, event: LocalEvent): CallStep {
  switch (event.type) {
    case 'localHangup':
      return endCall(state, { reason: 'hangup-local', outcome: 'answered', now: event.now, send: { type: 'hangup', callId: state.callId, reason: 'normal' } });
    case 'mediaFailed':
      if (!state.hasPeerConnection) return unchanged(state);
      return endCall(state, { reason: 'failed', outcome: 'failed', now: event.now, send: { type: 'hangup', callId: state.callId, reason: 'failed' } });
    case 'mediaConnected':
      if (state.kind === 'active' || !state.hasPeerConnection) return unchanged(state);
      return { state: { ...state, kind: 'active', connectedAt: event.now }, effects: [{ type: 'cancelConnectTimer' }] };
    case 'connectTimeout':
      return connectTimedOut(state, event);
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
    case 'localRequestVideo':
    case 'localAcceptVideo':
    case 'localDeclineVideo':
    case 'localCancelVideo':
    case 'timeout':
    case 'tick':
    case 'membersChanged':
      return unchanged(state);
    default: throw missingCase(event);
  }
}

/**
 * Consent given but no media within CONNECT_TIMEOUT_MS: the call ends. A peer connection that
 * never connected is a media failure; without one (the callee still waiting for the offer) the
 * call is hung up. Once active, or for another call, the timer is stale.
 */
function connectTimedOut(state: MediaCallState, event: Extract<LocalEvent, { type: 'connectTimeout' }>): CallStep {
  if (state.kind === 'active' || event.callId !== state.callId) return unchanged(state);
  if (state.hasPeerConnection) {
    return endCall(state, { reason: 'failed', outcome: 'failed', now: event.now, timerFired: true, send: { type: 'hangup', callId: state.callId, reason: 'failed' } });
  }
  return endCall(state, { reason: 'hangup-local', outcome: 'answered', now: event.now, timerFired: true, send: { type: 'hangup', callId: state.callId, reason: 'normal' } });
}

function callerConnecting(state: State<'caller-connecting'>, event: LocalEvent): CallStep {
  return afterConsent(state, event);
}

function calleeConnecting(state: State<'callee-connecting'>, event: LocalEvent): CallStep {
  return afterConsent(state, event);
}

function active(state: State<'active'>, event: LocalEvent): CallStep {
  return videoUpgradeEvent(state, event) ?? afterConsent(state, event);
}

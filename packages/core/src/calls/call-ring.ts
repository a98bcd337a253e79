/**
 * @module calls/call-ring: admission of an incoming ring — consent, staleness, busy and glare.
 * This is the only way a remote peer can make this device do anything while no call is accepted.
 */
import type { CallEffect, CallSignal, RemoteSignalEvent } from './call-types.js';
import { RING_MAX_AGE_MS, RING_TIMEOUT_MS } from './call-types.js';
import type { CallState } from './call-state.js';
import { sendTo, unchanged, type TransitionResult } from './call-result.js';

type RingSignal = Extract<CallSignal, { type: 'ring' }>;

export function onRing(state: CallState, event: RemoteSignalEvent, ring: RingSignal): TransitionResult {
  // A duplicate of the current call's ring, or a replay of the one just ended: inert, so a
  // replaying server cannot make a declined call ring again.
  if (state.kind !== 'idle' && ring.callId === state.callId) return unchanged(state);

  const logIncoming = (outcome: 'missed' | 'missed-request'): CallEffect => ({
    type: 'logCall',
    entry: { callId: ring.callId, peer: event.fromUser, direction: 'incoming', outcome, durationMs: 0 },
  });
  // Consent first: a stranger or a blocked contact gets no ring and no reply (not even busy,
  // which would tell them the member is on a call). Threat scenario 4.
  if (!event.senderIsContact || event.senderBlocked) return { state, effects: [logIncoming('missed-request')] };
  // Delayed or replayed: the caller has long given up.
  if (event.now - ring.sentAt > RING_MAX_AGE_MS) return { state, effects: [logIncoming('missed')] };

  if (state.kind === 'idle' || state.kind === 'ended') return startIncoming(event, ring, []);

  if (state.kind === 'outgoing-ringing' && event.fromUser === state.peer) {
    // Glare: both called each other. Both sides compare the same two ids, so both keep the
    // smaller one without talking; the winning ring still waits for a local accept.
    if (state.callId < ring.callId) return unchanged(state);
    return startIncoming(event, ring, [
      { type: 'cancelRingTimer' },
      sendTo(state, { type: 'hangup', callId: state.callId, reason: 'glare' }),
    ]);
  }
  // At most one call rings or runs at a time (threat scenario 9): every other ring is busy.
  return { state, effects: [sendTo({ peer: event.fromUser, peerDevice: event.fromDevice }, { type: 'busy', callId: ring.callId })] };
}

function startIncoming(event: RemoteSignalEvent, ring: RingSignal, before: readonly CallEffect[]): TransitionResult {
  return {
    state: {
      kind: 'incoming-ringing',
      callId: ring.callId,
      peer: event.fromUser,
      peerDevice: event.fromDevice,
      role: 'callee',
      media: ring.media,
      ringStartedAt: event.now,
    },
    effects: [
      ...before,
      { type: 'showIncomingRing', callId: ring.callId, peer: event.fromUser },
      { type: 'startRingTimer', callId: ring.callId, ms: RING_TIMEOUT_MS },
    ],
  };
}

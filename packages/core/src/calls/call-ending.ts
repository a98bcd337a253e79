/** @module calls/call-ending: ends a live call, releasing exactly the resources it holds. */
import type { CallEffect, CallOutcome, CallSignal } from './call-types.js';
import type { EndReason, LiveCallState } from './call-state.js';
import { isConnecting, partyOf } from './call-state.js';
import { sendTo, type CallStep } from './call-result.js';

export interface Ending {
  readonly reason: EndReason;
  readonly outcome: CallOutcome;
  readonly now: number;
  /** The last signal this device sends for the call; after it, the call is silent for good. */
  readonly send?: CallSignal;
  /** The state's timer (the ring timer while ringing, the connect timer while connecting) already fired: nothing to cancel. */
  readonly timerFired?: boolean;
}

export function endCall(state: LiveCallState, ending: Ending): CallStep {
  const effects: CallEffect[] = [];
  const ringing = state.kind === 'outgoing-ringing' || state.kind === 'incoming-ringing';
  if (state.kind === 'incoming-ringing') effects.push({ type: 'stopRinging' });
  if (ringing && ending.timerFired !== true) effects.push({ type: 'cancelRingTimer' });
  if (isConnecting(state) && ending.timerFired !== true) effects.push({ type: 'cancelConnectTimer' });
  if (ending.send !== undefined) effects.push(sendTo(state, ending.send));
  // Ringing states carry no media fields: a ringing call never had a peer connection to close.
  if (!ringing && state.hasPeerConnection) effects.push({ type: 'closePeerConnection' });
  if (!ringing && state.hasMicrophone) effects.push({ type: 'releaseMicrophone' });
  // Durations come from event time only; clamped because events may carry a clock that stepped back.
  const durationMs = state.kind === 'active' ? Math.max(0, ending.now - state.connectedAt) : undefined;
  effects.push({
    type: 'logCall',
    entry: {
      callId: state.callId,
      peer: state.peer,
      direction: state.role === 'caller' ? 'outgoing' : 'incoming',
      outcome: ending.outcome,
      durationMs: durationMs ?? 0,
    },
  });
  return {
    state: {
      ...partyOf(state),
      kind: 'ended',
      reason: ending.reason,
      outcome: ending.outcome,
      endedAt: ending.now,
      ...(durationMs === undefined ? {} : { durationMs }),
    },
    effects,
  };
}

/**
 * The call's conversation changed members: the call ends at once and sends nothing, not even a
 * hangup, because someone other than the peer would read it. The peer sees the same change and
 * ends its side the same way.
 */
export function endForMembership(state: LiveCallState, now: number): CallStep {
  const consented = state.kind !== 'outgoing-ringing' && state.kind !== 'incoming-ringing';
  return endCall(state, { reason: 'members-changed', outcome: consented ? 'answered' : 'missed', now });
}

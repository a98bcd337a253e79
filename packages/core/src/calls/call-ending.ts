/** @module calls/call-ending: ends a live call, releasing exactly the resources it holds. */
import type { CallEffect, CallOutcome, CallSignal } from './call-types.js';
import type { EndReason, LiveCallState } from './call-state.js';
import { partyOf } from './call-state.js';
import { sendTo, type TransitionResult } from './call-result.js';

export interface Ending {
  readonly reason: EndReason;
  readonly outcome: CallOutcome;
  readonly now: number;
  /** The last signal this device sends for the call; after it, the call is silent for good. */
  readonly send?: CallSignal;
  /** The ring timer already fired, so there is nothing to cancel. */
  readonly timerFired?: boolean;
}

export function endCall(state: LiveCallState, ending: Ending): TransitionResult {
  const effects: CallEffect[] = [];
  const ringing = state.kind === 'outgoing-ringing' || state.kind === 'incoming-ringing';
  if (state.kind === 'incoming-ringing') effects.push({ type: 'stopRinging' });
  if (ringing && ending.timerFired !== true) effects.push({ type: 'cancelRingTimer' });
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
      endedAt: ending.now,
      ...(durationMs === undefined ? {} : { durationMs }),
    },
    effects,
  };
}

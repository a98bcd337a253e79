/** @module calls/call-result: the value every transition returns, and small builders for it. */
import type { CallEffect, CallSignal } from './call-types.js';
import type { CallState, CallParty } from './call-state.js';

export interface TransitionResult {
  readonly state: CallState;
  readonly effects: readonly CallEffect[];
}

/** The answer to anything irrelevant: nothing changes and nothing happens. */
export function unchanged(state: CallState): TransitionResult {
  return { state, effects: [] };
}

/** Signals always go to the one device the call is with, never to every device of the peer. */
export function sendTo(party: Pick<CallParty, 'peer' | 'peerDevice'>, signal: CallSignal): CallEffect {
  return { type: 'sendSignal', signal, toUser: party.peer, toDevice: party.peerDevice };
}

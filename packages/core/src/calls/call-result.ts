/** @module calls/call-result: the values transitions return, and small builders for them. */
import type { CallEffect, CallSignal } from './call-types.js';
import type { CallMachineState, CallParty, CallState } from './call-state.js';

/** What `transition` returns: the machine's next state and the effects to perform, in order. */
export interface TransitionResult {
  readonly state: CallMachineState;
  readonly effects: readonly CallEffect[];
}

/** What one rule decides about the call alone; the machine adds what it remembers. */
export interface CallStep {
  readonly state: CallState;
  readonly effects: readonly CallEffect[];
}

/** The answer to anything irrelevant: nothing changes and nothing happens. */
export function unchanged(state: CallState): CallStep {
  return { state, effects: [] };
}

/**
 * Signals go only into the conversation they belong to, and name the one device of the peer
 * the call is with; only while an outgoing call still rings (no device bound) do they name
 * none, for every device of the peer.
 */
export function sendTo(party: Pick<CallParty, 'peer' | 'peerDevice' | 'conversationId'>, signal: CallSignal): CallEffect {
  return { type: 'sendSignal', signal, toUser: party.peer, toDevice: party.peerDevice, conversationId: party.conversationId };
}

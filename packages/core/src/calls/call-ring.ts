/**
 * @module calls/call-ring: admission of an incoming ring — replays, the conversation, consent,
 * freshness, the contact's ring allowance, then busy and glare. This is the only way a remote
 * peer can make this device do anything while no call is accepted.
 */
import type { CallEffect, CallSignal, RemoteSignalEvent } from './call-types.js';
import { RING_MAX_AGE_MS, RING_MAX_SKEW_MS, RING_TIMEOUT_MS } from './call-types.js';
import type { CallMachineState, CallState } from './call-state.js';
import { isBetweenAccounts } from './call-conversation.js';
import { admitRing, remember, rememberedCall, type CallMemory } from './call-memory.js';
import { sendTo, type TransitionResult } from './call-result.js';

type RingSignal = Extract<CallSignal, { type: 'ring' }>;

export function onRing(machine: CallMachineState, event: RemoteSignalEvent, ring: RingSignal): TransitionResult {
  const { call: state, memory } = machine;
  const nothing: TransitionResult = { state: machine, effects: [] };
  // Another device of this account placing a call rings its peer, not us; a ring is for every
  // device of the callee, so one that names some other device is not ours either.
  if (event.fromUser === event.conversation.self.user) return nothing;
  if (event.toDevice !== null && event.toDevice !== event.conversation.self.device) return nothing;
  // The current call's ring again, or any recent call's (declined, missed, answered busy...):
  // inert, not even busy, so a contact replaying an old ring with a fresh date learns nothing.
  if ((state.kind !== 'idle' && ring.callId === state.callId) || rememberedCall(memory, ring.callId) !== undefined) return nothing;
  // A ring is heard only in a conversation of its sender's account and this one: anything this
  // device answered would otherwise reach someone else too.
  if (!isBetweenAccounts(event.conversation, event.fromUser)) return nothing;

  const logIncoming = (outcome: 'missed' | 'missed-request'): TransitionResult => ({
    state: machine,
    effects: [{ type: 'logCall', entry: { callId: ring.callId, peer: event.fromUser, direction: 'incoming', outcome, durationMs: 0 } }],
  });
  // Consent first: a stranger or a blocked contact gets no ring and no reply (not even busy,
  // which would tell them the member is on a call). Threat scenario 4.
  if (!event.senderIsContact || event.senderBlocked) return logIncoming('missed-request');
  // Delayed or replayed (the caller has long given up), or dated so far ahead that it would
  // never go stale: not a ring. Written so that a date that is not a number fails too.
  const age = event.now - ring.sentAt;
  if (!(age <= RING_MAX_AGE_MS && -age <= RING_MAX_SKEW_MS)) return logIncoming('missed');

  // The device's own ring limit, per contact, whatever the server let through: past it the
  // contact gets silence (no busy to count), and the flood is reported once.
  const admission = admitRing(memory, event.fromUser, event.now);
  if (!admission.admitted) {
    const report: CallEffect[] = admission.report
      ? [{ type: 'reportAnomaly', kind: 'ring-flood', fromUser: event.fromUser, fromDevice: event.fromDevice }]
      : [];
    return { state: { call: state, memory: admission.memory }, effects: report };
  }
  const admitted = admission.memory;

  if (state.kind === 'idle' || state.kind === 'ended') return startIncoming(admitted, event, ring, []);

  if (state.kind === 'outgoing-ringing' && event.fromUser === state.peer) {
    // Glare: both called each other. Both sides compare the same two ids, so both keep the
    // smaller one without talking; the winning ring still waits for a local accept.
    if (state.callId < ring.callId) return { state: { call: state, memory: remember(admitted, ring.callId, 'missed') }, effects: [] };
    return startIncoming(remember(admitted, state.callId, 'missed'), event, ring, [
      { type: 'cancelRingTimer' },
      sendTo(state, { type: 'hangup', callId: state.callId, reason: 'glare' }),
    ]);
  }
  // At most one call rings or runs at a time (threat scenario 9): every other ring is busy,
  // answered in the conversation it came from.
  const caller = { peer: event.fromUser, peerDevice: event.fromDevice, conversationId: event.conversation.groupId };
  return {
    state: { call: state, memory: remember(admitted, ring.callId, 'busy') },
    effects: [sendTo(caller, { type: 'busy', callId: ring.callId })],
  };
}

function startIncoming(memory: CallMemory, event: RemoteSignalEvent, ring: RingSignal, before: readonly CallEffect[]): TransitionResult {
  const call: CallState = {
    kind: 'incoming-ringing',
    callId: ring.callId,
    peer: event.fromUser,
    peerDevice: event.fromDevice,
    conversationId: event.conversation.groupId,
    role: 'callee',
    media: ring.media,
    ringStartedAt: event.now,
  };
  return {
    state: { call, memory },
    effects: [
      ...before,
      { type: 'showIncomingRing', callId: ring.callId, peer: event.fromUser },
      { type: 'startRingTimer', callId: ring.callId, ms: RING_TIMEOUT_MS },
    ],
  };
}

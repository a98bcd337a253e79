/**
 * @module testing/call-rules
 * The consent rules of the call machine, checked after one transition. The exhaustive explorer
 * (calls/call-machine.explore.test.ts) and the fuzzer's call-machine target both run this one
 * checker, so the rules cannot drift apart between them.
 *
 * The ghost is what the path has done as the rules see it, kept by the checker rather than read
 * from the machine: which calls this device placed, which the member or the peer accepted, what
 * rings, and which call went silent. Plain sorted data, so it can serve as a map key.
 */
import { isLive } from '../calls/call-state.js';
import type { CallState } from '../calls/call-state.js';
import { RING_MAX_AGE_MS, RTC_EFFECTS } from '../calls/call-types.js';
import type { CallEffect, CallEvent } from '../calls/call-types.js';

export interface CallRulesGhost {
  /** Calls this device placed, as "callId|peer|device": the checker's own record, not the machine's. */
  readonly placed: readonly string[];
  readonly localAccepted: readonly string[];
  readonly remoteAccepted: readonly string[];
  /** The call shown as ringing (from showIncomingRing until stopRinging). */
  readonly ringing: string | null;
  /** The call that ended; nothing may be sent or touched for it again. */
  readonly silent: string | null;
}

export const NO_CALL_GHOST: CallRulesGhost = { placed: [], localAccepted: [], remoteAccepted: [], ringing: null, silent: null };

const add = (list: readonly string[], id: string) => (list.includes(id) ? list : [...list, id].sort());
const currentCall = (s: CallState) => (s.kind === 'idle' ? null : s.callId);

/**
 * A call this device placed needs the peer's accept; any other call needs the member's. The role
 * label is the machine's, so a caller role is only believed for a call this device really placed.
 */
function consented(ghost: CallRulesGhost, call: { callId: string; role: 'caller' | 'callee' }): boolean {
  if (call.role === 'callee') return ghost.localAccepted.includes(call.callId);
  return ghost.placed.some((p) => p.startsWith(`${call.callId}|`)) && ghost.remoteAccepted.includes(call.callId);
}

/** Checks one transition and returns the ghost after it; calls `fail` (which must throw) on a broken rule. */
export function checkCallRules(
  pre: CallState,
  ghostIn: CallRulesGhost,
  event: CallEvent,
  post: CallState,
  effects: readonly CallEffect[],
  fail: (why: string) => never,
): CallRulesGhost {
  let ghost = ghostIn;
  // The member accepts what the screen shows ringing; the caller's consent is the peer's accept.
  if (event.type === 'localAccept' && ghost.ringing !== null) ghost = { ...ghost, localAccepted: add(ghost.localAccepted, ghost.ringing) };
  if (event.type === 'placeCall') ghost = { ...ghost, placed: add(ghost.placed, `${event.callId}|${event.peer}|${event.peerDevice}`) };
  if (event.type === 'remote' && event.signal.type === 'accept'
    && ghost.placed.includes(`${event.signal.callId}|${event.fromUser}|${event.fromDevice}`)) {
    ghost = { ...ghost, remoteAccepted: add(ghost.remoteAccepted, event.signal.callId) };
  }
  const newCall = isLive(post) && post.callId !== currentCall(pre);
  const rtcOwner = isLive(post) ? post : isLive(pre) ? pre : null;

  for (const effect of effects) {
    // (a) consent: no RTC and no SDP/ICE/accept on the wire for a call not consented to.
    if (RTC_EFFECTS.has(effect.type) && (rtcOwner === null || !consented(ghost, rtcOwner))) {
      fail(`(a) ${effect.type} before consent for ${rtcOwner?.callId}`);
    }
    if (effect.type === 'sendSignal') {
      const s = effect.signal;
      switch (s.type) {
        case 'busy': case 'decline': case 'hangup': break;
        case 'ring': if (event.type !== 'placeCall' || event.callId !== s.callId) fail('(a) ring sent without placeCall'); break;
        case 'accept': case 'answer': if (!ghost.localAccepted.includes(s.callId)) fail(`(a) ${s.type} sent before local accept`); break;
        case 'offer': if (!ghost.remoteAccepted.includes(s.callId)) fail('(a) offer sent before the callee accepted'); break;
        case 'ice': if (rtcOwner?.callId !== s.callId || !consented(ghost, rtcOwner)) fail('(a) ICE sent before consent'); break;
        default: fail(`unknown signal ${JSON.stringify(s)}`);
      }
    }
    if (effect.type === 'showIncomingRing') {
      if (ghost.ringing !== null) fail('two calls ringing at once');
      ghost = { ...ghost, ringing: effect.callId };
    }
    if (effect.type === 'stopRinging') ghost = { ...ghost, ringing: null };
    if (effect.type === 'logCall' && !(effect.entry.durationMs >= 0)) fail('negative duration');
  }

  // (b) after a call ends, silence until a new call starts (and the new call starts clean).
  if (ghost.silent !== null || pre.kind === 'idle') {
    const allowed = newCall ? ['sendSignal', 'startRingTimer', 'showIncomingRing'] : ['logCall'];
    for (const effect of effects) {
      if (!allowed.includes(effect.type)) fail(`(b) ${effect.type} after the call ended`);
      if (effect.type === 'sendSignal' && effect.signal.type !== 'ring') fail('(b) signal other than a new ring after the call ended');
    }
    if (!newCall && post !== pre) fail('(b) an ended call changed state without a new call');
  }
  // (c) a ring from a stranger, a blocked contact or the past never rings and never answers.
  if (event.type === 'remote' && event.signal.type === 'ring'
    && (!event.senderIsContact || event.senderBlocked || event.now - event.signal.sentAt > RING_MAX_AGE_MS)) {
    if (post !== pre || effects.some((e) => e.type !== 'logCall')) fail('(c) rejected ring did something');
  }
  // Signals not for the current call (other peer, device or id) do nothing at all.
  if (event.type === 'remote' && event.signal.type !== 'ring' && isLive(pre)
    && (event.fromUser !== pre.peer || event.fromDevice !== pre.peerDevice || event.signal.callId !== pre.callId)) {
    if (post !== pre || effects.length > 0) fail('misaddressed signal acted on');
  }
  // Scenario 1: no state past ringing without the matching consent.
  if ((post.kind === 'caller-connecting' || post.kind === 'callee-connecting' || post.kind === 'active') && !consented(ghost, post)) {
    fail(`${post.kind} without consent`);
  }

  if (post.kind === 'ended' && pre.kind !== 'ended') ghost = { ...ghost, silent: post.callId, ringing: null };
  if (newCall) ghost = { ...ghost, silent: null };
  return ghost;
}

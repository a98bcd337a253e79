/** @module calls/call-machine.test: one test per rule of the call machine and per threat scenario. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transition, initialCallState, RTC_EFFECTS } from './index.js';
import type { CallEffect, CallEvent, CallSignal, CallState, TransitionResult } from './index.js';

const T0 = 1_000_000;
const ALICE = 'alice';
const ALICE_PHONE = 'alice-phone';
const BOB = 'bob';
const BOB_PHONE = 'bob-phone';

function remote(signal: CallSignal, over: Partial<Extract<CallEvent, { type: 'remote' }>> = {}): CallEvent {
  return { type: 'remote', signal, fromUser: ALICE, fromDevice: ALICE_PHONE, now: T0, senderIsContact: true, senderBlocked: false, ...over };
}
const ring = (callId = 'c1', sentAt = T0): CallSignal => ({ type: 'ring', callId, media: 'audio', sentAt });

/** Runs events in order, returning the final state and every effect emitted on the way. */
function run(state: CallState, ...events: CallEvent[]): TransitionResult {
  const effects: CallEffect[] = [];
  for (const event of events) {
    const result = transition(state, event);
    state = result.state;
    effects.push(...result.effects);
  }
  return { state, effects };
}
const types = (effects: readonly CallEffect[]) => effects.map((e) => e.type);
const rtc = (effects: readonly CallEffect[]) => effects.filter((e) => RTC_EFFECTS.has(e.type));
const sent = (effects: readonly CallEffect[]) =>
  effects.flatMap((e) => (e.type === 'sendSignal' ? [e.signal.type] : []));

/** Bob's device, ringing for Alice's call c1. */
const ringing = () => run(initialCallState, remote(ring())).state;
/** Bob accepted c1. */
const accepted = () => run(ringing(), { type: 'localAccept', now: T0 + 1000 }).state;
/** Alice's device calling Bob. */
const calling = () => run(initialCallState, { type: 'placeCall', callId: 'c1', peer: BOB, peerDevice: BOB_PHONE, now: T0 }).state;
const bobSays = (signal: CallSignal, now = T0) => remote(signal, { fromUser: BOB, fromDevice: BOB_PHONE, now });

test('caller: placeCall sends only the ring and starts the ring timer', () => {
  const { state, effects } = run(initialCallState, { type: 'placeCall', callId: 'c1', peer: BOB, peerDevice: BOB_PHONE, now: T0 });
  assert.equal(state.kind, 'outgoing-ringing');
  assert.deepEqual(types(effects), ['sendSignal', 'startRingTimer']);
  assert.deepEqual(effects[0], { type: 'sendSignal', signal: ring('c1'), toUser: BOB, toDevice: BOB_PHONE });
  assert.deepEqual(effects[1], { type: 'startRingTimer', callId: 'c1', ms: 45_000 });
});

test('caller: the offer is made only after accept arrives, and sent when the SDP is ready', () => {
  const afterAccept = run(calling(), bobSays({ type: 'accept', callId: 'c1' }));
  assert.equal(afterAccept.state.kind, 'caller-connecting');
  assert.deepEqual(types(afterAccept.effects), ['cancelRingTimer', 'createPeerConnection', 'getMicrophone', 'createOffer']);
  const offered = run(afterAccept.state, { type: 'localDescription', sdp: 'v=0 offer', now: T0 });
  assert.deepEqual(offered.effects[0], { type: 'sendSignal', signal: { type: 'offer', callId: 'c1', sdp: 'v=0 offer' }, toUser: BOB, toDevice: BOB_PHONE });
  const answered = run(offered.state, bobSays({ type: 'answer', callId: 'c1', sdp: 'v=0 answer' }), bobSays({ type: 'ice', callId: 'c1', candidate: 'cand' }));
  assert.deepEqual(answered.effects, [{ type: 'setRemoteDescription', sdp: 'v=0 answer' }, { type: 'addIceCandidate', candidate: 'cand' }]);
});

test('caller: SDP or ICE from the callee before accept is dropped and reported', () => {
  for (const signal of [
    { type: 'offer', callId: 'c1', sdp: 'x' },
    { type: 'answer', callId: 'c1', sdp: 'x' },
    { type: 'ice', callId: 'c1', candidate: 'x' },
  ] as const) {
    const { state, effects } = run(calling(), bobSays(signal));
    assert.equal(state.kind, 'outgoing-ringing');
    assert.deepEqual(types(effects), ['reportAnomaly']);
  }
});

test('caller: ring timeout ends the call, sends hangup and logs missed', () => {
  const { state, effects } = run(calling(), { type: 'timeout', callId: 'c1', now: T0 + 45_000 });
  assert.equal(state.kind === 'ended' && state.reason, 'timeout');
  assert.deepEqual(sent(effects), ['hangup']);
  const log = effects.find((e) => e.type === 'logCall');
  assert.equal(log?.type === 'logCall' && log.entry.outcome, 'missed');
  assert.equal(log?.type === 'logCall' && log.entry.direction, 'outgoing');
});

test('caller: a timer for another call id is inert; a tick past the deadline times out', () => {
  assert.deepEqual(run(calling(), { type: 'timeout', callId: 'old', now: T0 + 45_000 }).effects, []);
  assert.deepEqual(run(calling(), { type: 'tick', now: T0 + 44_999 }).effects, []);
  const late = run(calling(), { type: 'tick', now: T0 + 45_000 });
  assert.equal(late.state.kind === 'ended' && late.state.reason, 'timeout');
  assert.deepEqual(types(late.effects), ['cancelRingTimer', 'sendSignal', 'logCall']);
});

test('caller: decline and busy end the call without sending anything', () => {
  const declined = run(calling(), bobSays({ type: 'decline', callId: 'c1' }));
  assert.equal(declined.state.kind === 'ended' && declined.state.reason, 'declined-remote');
  assert.deepEqual(sent(declined.effects), []);
  const busy = run(calling(), bobSays({ type: 'busy', callId: 'c1' }));
  assert.equal(busy.state.kind === 'ended' && busy.state.reason, 'busy');
  assert.deepEqual(sent(busy.effects), []);
});

test('callee: a valid ring from a contact rings and starts the timer, nothing else', () => {
  const { state, effects } = run(initialCallState, remote(ring()));
  assert.equal(state.kind, 'incoming-ringing');
  assert.deepEqual(effects, [{ type: 'showIncomingRing', callId: 'c1', peer: ALICE }, { type: 'startRingTimer', callId: 'c1', ms: 45_000 }]);
});

test('threat 4: a ring from a non-contact or a blocked contact does not ring; logged as missed request', () => {
  for (const over of [{ senderIsContact: false }, { senderBlocked: true }, { senderIsContact: false, senderBlocked: true }]) {
    const { state, effects } = run(initialCallState, remote(ring(), over));
    assert.equal(state.kind, 'idle');
    assert.deepEqual(effects, [{ type: 'logCall', entry: { callId: 'c1', peer: ALICE, direction: 'incoming', outcome: 'missed-request', durationMs: 0 } }]);
  }
});

test('callee: a ring older than 60 s does not ring; logged as missed', () => {
  const stale = run(initialCallState, remote(ring('c1', T0 - 60_001)));
  assert.equal(stale.state.kind, 'idle');
  assert.deepEqual(types(stale.effects), ['logCall']);
  assert.equal(stale.effects[0]?.type === 'logCall' && stale.effects[0].entry.outcome, 'missed');
  assert.equal(run(initialCallState, remote(ring('c1', T0 - 60_000))).state.kind, 'incoming-ringing');
});

test('threat 9: a second ring while in a call gets busy only; at most one call rings', () => {
  for (const state of [ringing(), accepted(), calling()]) {
    const other = remote(ring('c9'), { fromUser: 'carol', fromDevice: 'carol-phone' });
    const { state: after, effects } = run(state, other);
    assert.equal(after, state);
    assert.deepEqual(effects, [{ type: 'sendSignal', signal: { type: 'busy', callId: 'c9' }, toUser: 'carol', toDevice: 'carol-phone' }]);
  }
});

test('threat 1: a premature accept while ringing is dropped and reported; the callee stays ringing', () => {
  const { state, effects } = run(ringing(), remote({ type: 'accept', callId: 'c1' }));
  assert.equal(state.kind, 'incoming-ringing');
  assert.deepEqual(effects, [{ type: 'reportAnomaly', kind: 'signal-before-accept', fromUser: ALICE, fromDevice: ALICE_PHONE }]);
  // Media callbacks cannot move it either: there is no peer connection to report on.
  assert.deepEqual(run(state, { type: 'mediaConnected', now: T0 }).state.kind, 'incoming-ringing');
});

test('threat 2: offers and answers while ringing never reach setRemoteDescription', () => {
  const { state, effects } = run(ringing(),
    remote({ type: 'offer', callId: 'c1', sdp: 'v=0' }), remote({ type: 'offer', callId: 'c1', sdp: 'v=0 restart' }),
    remote({ type: 'answer', callId: 'c1', sdp: 'v=0' }));
  assert.equal(state.kind, 'incoming-ringing');
  assert.deepEqual(rtc(effects), []);
  assert.deepEqual(sent(effects), []);
});

test('threat 3 and 6: ICE while ringing causes no candidate, no peer connection, no microphone', () => {
  const { state, effects } = run(ringing(),
    remote({ type: 'ice', callId: 'c1', candidate: 'candidate:1 1 udp 1 203.0.113.9 3478 typ host' }),
    { type: 'localCandidate', candidate: 'mine', now: T0 });
  assert.equal(state.kind, 'incoming-ringing');
  assert.deepEqual(rtc(effects), []);
  assert.deepEqual(sent(effects), []);
  // Held nowhere: after accept, the early candidate is not replayed either.
  const later = run(state, { type: 'localAccept', now: T0 }, remote({ type: 'offer', callId: 'c1', sdp: 'v=0' }));
  assert.equal(later.effects.filter((e) => e.type === 'addIceCandidate').length, 0);
});

test('callee: local accept sends accept; the peer connection waits for the offer', () => {
  const { state, effects } = run(ringing(), { type: 'localAccept', now: T0 });
  assert.equal(state.kind, 'callee-connecting');
  assert.deepEqual(types(effects), ['stopRinging', 'cancelRingTimer', 'sendSignal']);
  assert.deepEqual(sent(effects), ['accept']);
  const offered = run(state, remote({ type: 'offer', callId: 'c1', sdp: 'v=0 offer' }));
  assert.deepEqual(types(offered.effects), ['createPeerConnection', 'getMicrophone', 'setRemoteDescription', 'createAnswer']);
  const answered = run(offered.state, { type: 'localDescription', sdp: 'v=0 answer', now: T0 });
  assert.deepEqual(answered.effects, [{ type: 'sendSignal', signal: { type: 'answer', callId: 'c1', sdp: 'v=0 answer' }, toUser: ALICE, toDevice: ALICE_PHONE }]);
});

test('callee: ICE after accept is applied, held until the offer if it comes first (bounded)', () => {
  const early = run(accepted(), remote({ type: 'ice', callId: 'c1', candidate: 'a' }));
  assert.deepEqual(early.effects, []);
  const offered = run(early.state, remote({ type: 'offer', callId: 'c1', sdp: 'v=0' }), remote({ type: 'ice', callId: 'c1', candidate: 'b' }));
  assert.deepEqual(offered.effects.filter((e) => e.type === 'addIceCandidate'), [
    { type: 'addIceCandidate', candidate: 'a' }, { type: 'addIceCandidate', candidate: 'b' },
  ]);
  const flood = run(accepted(), ...Array.from({ length: 100 }, (_, i) => remote({ type: 'ice', callId: 'c1', candidate: `c${i}` })));
  assert.equal(flood.state.kind === 'callee-connecting' && flood.state.pendingCandidates.length, 32);
});

test('callee: a second offer after accept is renegotiation: dropped and reported', () => {
  const once = run(accepted(), remote({ type: 'offer', callId: 'c1', sdp: 'v=0' })).state;
  const again = run(once, remote({ type: 'offer', callId: 'c1', sdp: 'v=0 again' }));
  assert.deepEqual(types(again.effects), ['reportAnomaly']);
});

test('callee: local decline sends decline and logs declined', () => {
  const { state, effects } = run(ringing(), { type: 'localDecline', now: T0 });
  assert.equal(state.kind === 'ended' && state.reason, 'declined-local');
  assert.deepEqual(types(effects), ['stopRinging', 'cancelRingTimer', 'sendSignal', 'logCall']);
  assert.deepEqual(sent(effects), ['decline']);
});

test('callee: ring timeout ends as missed without sending anything', () => {
  const { state, effects } = run(ringing(), { type: 'timeout', callId: 'c1', now: T0 + 45_000 });
  assert.equal(state.kind === 'ended' && state.reason, 'missed');
  assert.deepEqual(types(effects), ['stopRinging', 'logCall']);
});

test('callee: the caller hanging up while ringing is a missed call', () => {
  const { state, effects } = run(ringing(), remote({ type: 'hangup', callId: 'c1', reason: 'normal' }));
  assert.equal(state.kind === 'ended' && state.reason, 'missed');
  assert.deepEqual(sent(effects), []);
});

test('signals from another device, another peer or another call id are ignored', () => {
  const bad: CallEvent[] = [
    remote({ type: 'hangup', callId: 'c1', reason: 'normal' }, { fromDevice: 'alice-laptop' }),
    remote({ type: 'hangup', callId: 'c1', reason: 'normal' }, { fromUser: 'mallory', fromDevice: 'm' }),
    remote({ type: 'hangup', callId: 'c2', reason: 'normal' }),
    remote({ type: 'offer', callId: 'c1', sdp: 'v=0' }, { fromDevice: 'alice-laptop' }),
    remote({ type: 'accept', callId: 'c2' }),
  ];
  for (const start of [ringing(), accepted()]) {
    for (const event of bad) assert.deepEqual(run(start, event), { state: start, effects: [] });
  }
});

test('after decline or hangup nothing is sent and no RTC happens until a new call', () => {
  const declined = run(ringing(), { type: 'localDecline', now: T0 }).state;
  const everything: CallEvent[] = [
    remote(ring('c1')), remote({ type: 'accept', callId: 'c1' }), remote({ type: 'offer', callId: 'c1', sdp: 'v=0' }),
    remote({ type: 'ice', callId: 'c1', candidate: 'x' }), { type: 'localAccept', now: T0 }, { type: 'localHangup', now: T0 },
    { type: 'localDescription', sdp: 'x', now: T0 }, { type: 'localCandidate', candidate: 'x', now: T0 },
    { type: 'mediaConnected', now: T0 }, { type: 'mediaFailed', now: T0 }, { type: 'timeout', callId: 'c1', now: T0 },
  ];
  const { state, effects } = run(declined, ...everything);
  assert.equal(state, declined);
  assert.deepEqual(effects, []);
  // A replayed ring for the declined call does not ring again; a new call does.
  assert.equal(run(declined, remote(ring('c2'))).state.kind, 'incoming-ringing');
  // A call id is never reused, so the peer's replay protection cannot be confused.
  assert.deepEqual(run(declined, { type: 'placeCall', callId: 'c1', peer: ALICE, peerDevice: ALICE_PHONE, now: T0 }).effects, []);
  assert.equal(run(declined, { type: 'placeCall', callId: 'c3', peer: BOB, peerDevice: BOB_PHONE, now: T0 }).state.kind, 'outgoing-ringing');
});

test('local hangup closes exactly what was opened, and reports the duration', () => {
  const beforeOffer = run(accepted(), { type: 'localHangup', now: T0 + 2000 });
  assert.deepEqual(types(beforeOffer.effects), ['sendSignal', 'logCall']);
  const live = run(accepted(), remote({ type: 'offer', callId: 'c1', sdp: 'v=0' }), { type: 'mediaConnected', now: T0 + 3000 }).state;
  assert.equal(live.kind, 'active');
  const ended = run(live, { type: 'localHangup', now: T0 + 13_000 });
  assert.deepEqual(types(ended.effects), ['sendSignal', 'closePeerConnection', 'releaseMicrophone', 'logCall']);
  assert.equal(ended.state.kind === 'ended' && ended.state.durationMs, 10_000);
  const log = ended.effects.at(-1);
  assert.deepEqual(log?.type === 'logCall' && log.entry, { callId: 'c1', peer: ALICE, direction: 'incoming', outcome: 'answered', durationMs: 10_000 });
});

test('remote hangup ends the call without sending', () => {
  const live = run(calling(), bobSays({ type: 'accept', callId: 'c1' }), { type: 'mediaConnected', now: T0 + 1000 }).state;
  const { state, effects } = run(live, bobSays({ type: 'hangup', callId: 'c1', reason: 'normal' }, T0 + 6000));
  assert.equal(state.kind === 'ended' && state.reason, 'hangup-remote');
  assert.deepEqual(types(effects), ['closePeerConnection', 'releaseMicrophone', 'logCall']);
});

test('media failure ends the call as failed and tells the peer', () => {
  const connecting = run(calling(), bobSays({ type: 'accept', callId: 'c1' })).state;
  const { state, effects } = run(connecting, { type: 'mediaFailed', now: T0 });
  assert.equal(state.kind === 'ended' && state.reason, 'failed');
  assert.deepEqual(sent(effects), ['hangup']);
});

test('glare: the smaller call id wins on both sides; the loser still needs a local accept', () => {
  // Alice calls Bob with "a-1" while Bob calls Alice with "b-1": "a-1" < "b-1".
  const aliceSide = run(initialCallState, { type: 'placeCall', callId: 'a-1', peer: BOB, peerDevice: BOB_PHONE, now: T0 }).state;
  const bobSide = run(initialCallState, { type: 'placeCall', callId: 'b-1', peer: ALICE, peerDevice: ALICE_PHONE, now: T0 }).state;
  const atAlice = run(aliceSide, bobSays(ring('b-1')));
  assert.equal(atAlice.state, aliceSide, 'the winner keeps its call');
  assert.deepEqual(atAlice.effects, []);
  const atBob = run(bobSide, remote(ring('a-1')));
  assert.equal(atBob.state.kind, 'incoming-ringing');
  assert.equal(atBob.state.kind === 'incoming-ringing' && atBob.state.callId, 'a-1');
  assert.deepEqual(atBob.effects[1], { type: 'sendSignal', signal: { type: 'hangup', callId: 'b-1', reason: 'glare' }, toUser: ALICE, toDevice: ALICE_PHONE });
  assert.deepEqual(rtc(atBob.effects), []);
  // The loser's hangup for its own call id is ignored by the winner, which keeps ringing.
  assert.deepEqual(run(aliceSide, bobSays({ type: 'hangup', callId: 'b-1', reason: 'glare' })).effects, []);
});

test('the machine is total: every state answers every event without throwing', () => {
  const states: CallState[] = [initialCallState, calling(), ringing(), accepted(), run(ringing(), { type: 'localDecline', now: T0 }).state];
  const events: CallEvent[] = [
    { type: 'localAccept', now: T0 }, { type: 'localDecline', now: T0 }, { type: 'localHangup', now: T0 },
    { type: 'tick', now: T0 }, { type: 'mediaConnected', now: T0 }, { type: 'mediaFailed', now: T0 },
    remote({ type: 'busy', callId: 'c1' }), remote({ type: 'decline', callId: 'c1' }),
  ];
  for (const s of states) for (const e of events) assert.doesNotThrow(() => transition(s, e));
});

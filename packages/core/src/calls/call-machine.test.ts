/** @module calls/call-machine.test: one test per rule of the call machine and per threat scenario. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transition, initialCallMachineState, RING_BURST, RING_REFILL_MS, RTC_EFFECTS } from './index.js';
import type { CallEffect, CallEvent, CallMachineState, CallSignal, CallState, ConversationView } from './index.js';

const T0 = 1_000_000;
/** This device: the callee of alice's rings, the caller of calls to bob. */
const ME = { user: 'me', device: 'me-phone' } as const;
const ALICE = 'alice';
const ALICE_PHONE = 'alice-phone';
const BOB = 'bob';
const BOB_PHONE = 'bob-phone';

/** A 1:1 conversation between this device and `user`'s `device`. */
const pair = (user: string, device: string): ConversationView => ({ groupId: `g-${device}`, self: ME, others: [{ user, device }] });

function remote(signal: CallSignal, over: Partial<Extract<CallEvent, { type: 'remote' }>> = {}): CallEvent {
  const fromUser = over.fromUser ?? ALICE;
  const fromDevice = over.fromDevice ?? ALICE_PHONE;
  return {
    type: 'remote', signal, fromUser, fromDevice, toDevice: null, conversation: pair(fromUser, fromDevice), now: T0, senderIsContact: true, senderBlocked: false, ...over,
  };
}
const ring = (callId = 'c1', sentAt = T0): CallSignal => ({ type: 'ring', callId, media: 'audio', sentAt });
const place = (callId: string, peer: string, peerDevice: string, now = T0): CallEvent =>
  ({ type: 'placeCall', callId, peer, conversation: pair(peer, peerDevice), now });

/** Runs events in order, returning the final call, the whole machine state and every effect emitted on the way. */
function run(start: CallMachineState, ...events: CallEvent[]): { state: CallState; machine: CallMachineState; effects: CallEffect[] } {
  const effects: CallEffect[] = [];
  let machine = start;
  for (const event of events) {
    const result = transition(machine, event);
    machine = result.state;
    effects.push(...result.effects);
  }
  return { state: machine.call, machine, effects };
}
const types = (effects: readonly CallEffect[]) => effects.map((e) => e.type);
const rtc = (effects: readonly CallEffect[]) => effects.filter((e) => RTC_EFFECTS.has(e.type));
const sent = (effects: readonly CallEffect[]) =>
  effects.flatMap((e) => (e.type === 'sendSignal' ? [e.signal.type] : []));

/** Bob's device, ringing for Alice's call c1. */
const ringing = () => run(initialCallMachineState, remote(ring())).machine;
/** Bob accepted c1. */
const accepted = () => run(ringing(), { type: 'localAccept', now: T0 + 1000 }).machine;
/** Alice's device calling Bob. */
const calling = () => run(initialCallMachineState, place('c1', BOB, BOB_PHONE)).machine;
const bobSays = (signal: CallSignal, now = T0) => remote(signal, { fromUser: BOB, fromDevice: BOB_PHONE, now });
const idle = initialCallMachineState;

test('caller: placeCall sends only the ring and starts the ring timer', () => {
  const { state, effects } = run(idle, place('c1', BOB, BOB_PHONE));
  assert.equal(state.kind, 'outgoing-ringing');
  assert.deepEqual(types(effects), ['sendSignal', 'startRingTimer']);
  assert.deepEqual(effects[0], { type: 'sendSignal', signal: ring('c1'), toUser: BOB, toDevice: null, conversationId: 'g-bob-phone' });
  assert.deepEqual(effects[1], { type: 'startRingTimer', callId: 'c1', ms: 45_000 });
});

test('a video call: the ring says video, and both sides\' states keep it; nothing but the ring goes out', () => {
  const placed = run(idle, { ...place('c1', BOB, BOB_PHONE), media: 'video' } as CallEvent);
  assert.equal(placed.state.kind === 'outgoing-ringing' && placed.state.media, 'video');
  assert.deepEqual(types(placed.effects), ['sendSignal', 'startRingTimer']);
  const videoRing: CallSignal = { type: 'ring', callId: 'c1', media: 'video', sentAt: T0 };
  assert.deepEqual(placed.effects[0], { type: 'sendSignal', signal: videoRing, toUser: BOB, toDevice: null, conversationId: 'g-bob-phone' });
  const incoming = run(initialCallMachineState, remote(videoRing));
  assert.equal(incoming.state.kind === 'incoming-ringing' && incoming.state.media, 'video');
  assert.deepEqual(rtc(incoming.effects), [], 'a video ring touches no RTC and no camera either');
});

test('caller: the offer is made only after accept arrives, and sent when the SDP is ready', () => {
  const afterAccept = run(calling(), bobSays({ type: 'accept', callId: 'c1' }));
  assert.equal(afterAccept.state.kind, 'caller-connecting');
  assert.deepEqual(types(afterAccept.effects), ['cancelRingTimer', 'createPeerConnection', 'getMicrophone', 'createOffer', 'startConnectTimer']);
  assert.deepEqual(afterAccept.effects.at(-1), { type: 'startConnectTimer', callId: 'c1', ms: 30_000 });
  const offered = run(afterAccept.machine, { type: 'localDescription', sdp: 'v=0 offer', now: T0 });
  assert.deepEqual(offered.effects[0], { type: 'sendSignal', signal: { type: 'offer', callId: 'c1', sdp: 'v=0 offer' }, toUser: BOB, toDevice: BOB_PHONE, conversationId: 'g-bob-phone' });
  const answered = run(offered.machine, bobSays({ type: 'answer', callId: 'c1', sdp: 'v=0 answer' }), bobSays({ type: 'ice', callId: 'c1', candidate: 'cand' }));
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
  const { state, effects } = run(idle, remote(ring()));
  assert.equal(state.kind, 'incoming-ringing');
  assert.deepEqual(effects, [{ type: 'showIncomingRing', callId: 'c1', peer: ALICE }, { type: 'startRingTimer', callId: 'c1', ms: 45_000 }]);
});

test('threat 4: a ring from a non-contact or a blocked contact does not ring; logged as missed request', () => {
  for (const over of [{ senderIsContact: false }, { senderBlocked: true }, { senderIsContact: false, senderBlocked: true }]) {
    const { state, effects } = run(idle, remote(ring(), over));
    assert.equal(state.kind, 'idle');
    assert.deepEqual(effects, [{ type: 'logCall', entry: { callId: 'c1', peer: ALICE, direction: 'incoming', outcome: 'missed-request', durationMs: 0 } }]);
  }
});

test('callee: a ring older than 60 s does not ring; logged as missed', () => {
  const stale = run(idle, remote(ring('c1', T0 - 60_001)));
  assert.equal(stale.state.kind, 'idle');
  assert.deepEqual(types(stale.effects), ['logCall']);
  assert.equal(stale.effects[0]?.type === 'logCall' && stale.effects[0].entry.outcome, 'missed');
  assert.equal(run(idle, remote(ring('c1', T0 - 60_000))).state.kind, 'incoming-ringing');
});

test('threat 9: a second ring while in a call gets busy only; at most one call rings', () => {
  for (const machine of [ringing(), accepted(), calling()]) {
    const other = remote(ring('c9'), { fromUser: 'carol', fromDevice: 'carol-phone' });
    const { state: after, effects } = run(machine, other);
    assert.equal(after, machine.call);
    assert.deepEqual(effects, [{ type: 'sendSignal', signal: { type: 'busy', callId: 'c9' }, toUser: 'carol', toDevice: 'carol-phone', conversationId: 'g-carol-phone' }]);
  }
});

test('threat 1: a premature accept while ringing is dropped and reported; the callee stays ringing', () => {
  const { state, machine, effects } = run(ringing(), remote({ type: 'accept', callId: 'c1' }));
  assert.equal(state.kind, 'incoming-ringing');
  assert.deepEqual(effects, [{ type: 'reportAnomaly', kind: 'signal-before-accept', fromUser: ALICE, fromDevice: ALICE_PHONE }]);
  // Media callbacks cannot move it either: there is no peer connection to report on.
  assert.deepEqual(run(machine, { type: 'mediaConnected', now: T0 }).state.kind, 'incoming-ringing');
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
  const { state, machine, effects } = run(ringing(),
    remote({ type: 'ice', callId: 'c1', candidate: 'candidate:1 1 udp 1 203.0.113.9 3478 typ host' }),
    { type: 'localCandidate', candidate: 'mine', now: T0 });
  assert.equal(state.kind, 'incoming-ringing');
  assert.deepEqual(rtc(effects), []);
  assert.deepEqual(sent(effects), []);
  // Held nowhere: after accept, the early candidate is not replayed either.
  const later = run(machine, { type: 'localAccept', now: T0 }, remote({ type: 'offer', callId: 'c1', sdp: 'v=0' }));
  assert.equal(later.effects.filter((e) => e.type === 'addIceCandidate').length, 0);
});

test('callee: local accept sends accept; the peer connection waits for the offer', () => {
  const { state, machine, effects } = run(ringing(), { type: 'localAccept', now: T0 });
  assert.equal(state.kind, 'callee-connecting');
  assert.deepEqual(types(effects), ['stopRinging', 'cancelRingTimer', 'sendSignal', 'startConnectTimer']);
  assert.deepEqual(sent(effects), ['accept']);
  const offered = run(machine, remote({ type: 'offer', callId: 'c1', sdp: 'v=0 offer' }));
  assert.deepEqual(types(offered.effects), ['createPeerConnection', 'getMicrophone', 'setRemoteDescription', 'createAnswer']);
  const answered = run(offered.machine, { type: 'localDescription', sdp: 'v=0 answer', now: T0 });
  assert.deepEqual(answered.effects, [{ type: 'sendSignal', signal: { type: 'answer', callId: 'c1', sdp: 'v=0 answer' }, toUser: ALICE, toDevice: ALICE_PHONE, conversationId: 'g-alice-phone' }]);
});

test('callee: ICE after accept is applied, held until the offer if it comes first (bounded)', () => {
  const early = run(accepted(), remote({ type: 'ice', callId: 'c1', candidate: 'a' }));
  assert.deepEqual(early.effects, []);
  const offered = run(early.machine, remote({ type: 'offer', callId: 'c1', sdp: 'v=0' }), remote({ type: 'ice', callId: 'c1', candidate: 'b' }));
  assert.deepEqual(offered.effects.filter((e) => e.type === 'addIceCandidate'), [
    { type: 'addIceCandidate', candidate: 'a' }, { type: 'addIceCandidate', candidate: 'b' },
  ]);
  const flood = run(accepted(), ...Array.from({ length: 100 }, (_, i) => remote({ type: 'ice', callId: 'c1', candidate: `c${i}` })));
  assert.equal(flood.state.kind === 'callee-connecting' && flood.state.pendingCandidates.length, 32);
});

test('callee: a second offer after accept is renegotiation: dropped and reported', () => {
  const once = run(accepted(), remote({ type: 'offer', callId: 'c1', sdp: 'v=0' })).machine;
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
    remote({ type: 'offer', callId: 'c1', sdp: 'v=0' }, { fromDevice: 'alice-laptop' }),
  ];
  const unknownCall: CallEvent[] = [remote({ type: 'hangup', callId: 'c2', reason: 'normal' }), remote({ type: 'accept', callId: 'c2' })];
  for (const start of [ringing(), accepted()]) {
    for (const event of bad) assert.deepEqual(run(start, event), { state: start.call, machine: start, effects: [] });
    // Another call id is refused as unknown, and nothing else happens.
    for (const event of unknownCall) {
      assert.deepEqual(run(start, event), { state: start.call, machine: start, effects: [{ type: 'refuseSignal', reason: 'unknown-call' }] });
    }
  }
});

test('a signal when no call exists is refused as unknown; the just-ended call\'s late signals are ignored', () => {
  for (const signal of [{ type: 'hangup', callId: 'c1', reason: 'normal' }, { type: 'offer', callId: 'c1', sdp: 'v=0' }] as const) {
    assert.deepEqual(run(idle, remote(signal)), { state: idle.call, machine: idle, effects: [{ type: 'refuseSignal', reason: 'unknown-call' }] });
  }
  const declined = run(ringing(), { type: 'localDecline', now: T0 }).machine;
  assert.deepEqual(run(declined, remote({ type: 'offer', callId: 'c1', sdp: 'v=0' })).effects, []);
  assert.deepEqual(run(declined, remote({ type: 'offer', callId: 'c0', sdp: 'v=0' })).effects, [{ type: 'refuseSignal', reason: 'unknown-call' }]);
});

test('connect timeout: consent given but no media within the bound ends the call', () => {
  // The callee still waiting for the offer has no peer connection: the call is hung up.
  const waiting = run(accepted(), { type: 'connectTimeout', callId: 'c1', now: T0 + 31_000 });
  assert.equal(waiting.state.kind === 'ended' && waiting.state.reason, 'hangup-local');
  assert.deepEqual(types(waiting.effects), ['sendSignal', 'logCall']);
  assert.deepEqual(waiting.effects[0], { type: 'sendSignal', signal: { type: 'hangup', callId: 'c1', reason: 'normal' }, toUser: ALICE, toDevice: ALICE_PHONE, conversationId: 'g-alice-phone' });
  // With a peer connection that never connected, the media failed.
  const connecting = run(calling(), bobSays({ type: 'accept', callId: 'c1' })).machine;
  const failed = run(connecting, { type: 'connectTimeout', callId: 'c1', now: T0 + 31_000 });
  assert.equal(failed.state.kind === 'ended' && failed.state.reason, 'failed');
  assert.deepEqual(types(failed.effects), ['sendSignal', 'closePeerConnection', 'releaseMicrophone', 'logCall']);
  assert.deepEqual(sent(failed.effects), ['hangup']);
  // A stale timer (another call, or media already up) changes nothing; media up cancels the timer.
  assert.deepEqual(run(connecting, { type: 'connectTimeout', callId: 'old', now: T0 }).effects, []);
  const live = run(connecting, { type: 'mediaConnected', now: T0 + 1000 });
  assert.deepEqual(types(live.effects), ['cancelConnectTimer']);
  assert.deepEqual(run(live.machine, { type: 'connectTimeout', callId: 'c1', now: T0 + 31_000 }).effects, []);
  // Ending while connecting cancels the timer; ringing has none to fire.
  assert.deepEqual(types(run(connecting, { type: 'localHangup', now: T0 }).effects), ['cancelConnectTimer', 'sendSignal', 'closePeerConnection', 'releaseMicrophone', 'logCall']);
  assert.deepEqual(run(ringing(), { type: 'connectTimeout', callId: 'c1', now: T0 }).effects, []);
  assert.deepEqual(run(calling(), { type: 'connectTimeout', callId: 'c1', now: T0 }).effects, []);
});

test('after decline or hangup nothing is sent and no RTC happens until a new call', () => {
  const declined = run(ringing(), { type: 'localDecline', now: T0 }).machine;
  const everything: CallEvent[] = [
    remote(ring('c1')), remote({ type: 'accept', callId: 'c1' }), remote({ type: 'offer', callId: 'c1', sdp: 'v=0' }),
    remote({ type: 'ice', callId: 'c1', candidate: 'x' }), { type: 'localAccept', now: T0 }, { type: 'localHangup', now: T0 },
    { type: 'localDescription', sdp: 'x', now: T0 }, { type: 'localCandidate', candidate: 'x', now: T0 },
    { type: 'mediaConnected', now: T0 }, { type: 'mediaFailed', now: T0 }, { type: 'timeout', callId: 'c1', now: T0 },
  ];
  const { state, effects } = run(declined, ...everything);
  assert.equal(state, declined.call);
  assert.deepEqual(effects, []);
  // A replayed ring for the declined call does not ring again; a new call does.
  assert.equal(run(declined, remote(ring('c2'))).state.kind, 'incoming-ringing');
  // A call id is never reused, so the peer's replay protection cannot be confused.
  assert.deepEqual(run(declined, place('c1', ALICE, ALICE_PHONE)).effects, []);
  assert.equal(run(declined, place('c3', BOB, BOB_PHONE)).state.kind, 'outgoing-ringing');
});

test('local hangup closes exactly what was opened, and reports the duration', () => {
  const beforeOffer = run(accepted(), { type: 'localHangup', now: T0 + 2000 });
  assert.deepEqual(types(beforeOffer.effects), ['cancelConnectTimer', 'sendSignal', 'logCall']);
  const live = run(accepted(), remote({ type: 'offer', callId: 'c1', sdp: 'v=0' }), { type: 'mediaConnected', now: T0 + 3000 }).machine;
  assert.equal(live.call.kind, 'active');
  const ended = run(live, { type: 'localHangup', now: T0 + 13_000 });
  assert.deepEqual(types(ended.effects), ['sendSignal', 'closePeerConnection', 'releaseMicrophone', 'logCall']);
  assert.equal(ended.state.kind === 'ended' && ended.state.durationMs, 10_000);
  const log = ended.effects.at(-1);
  assert.deepEqual(log?.type === 'logCall' && log.entry, { callId: 'c1', peer: ALICE, direction: 'incoming', outcome: 'answered', durationMs: 10_000 });
});

test('remote hangup ends the call without sending', () => {
  const live = run(calling(), bobSays({ type: 'accept', callId: 'c1' }), { type: 'mediaConnected', now: T0 + 1000 }).machine;
  const { state, effects } = run(live, bobSays({ type: 'hangup', callId: 'c1', reason: 'normal' }, T0 + 6000));
  assert.equal(state.kind === 'ended' && state.reason, 'hangup-remote');
  assert.deepEqual(types(effects), ['closePeerConnection', 'releaseMicrophone', 'logCall']);
});

test('media failure ends the call as failed and tells the peer', () => {
  const connecting = run(calling(), bobSays({ type: 'accept', callId: 'c1' })).machine;
  const { state, effects } = run(connecting, { type: 'mediaFailed', now: T0 });
  assert.equal(state.kind === 'ended' && state.reason, 'failed');
  assert.deepEqual(sent(effects), ['hangup']);
});

test('glare: the smaller call id wins on both sides; the loser still needs a local accept', () => {
  // Alice calls Bob with "a-1" while Bob calls Alice with "b-1": "a-1" < "b-1".
  const aliceSide = run(idle, place('a-1', BOB, BOB_PHONE)).machine;
  const bobSide = run(idle, place('b-1', ALICE, ALICE_PHONE)).machine;
  const atAlice = run(aliceSide, bobSays(ring('b-1')));
  assert.equal(atAlice.state, aliceSide.call, 'the winner keeps its call');
  assert.deepEqual(atAlice.effects, []);
  const atBob = run(bobSide, remote(ring('a-1')));
  assert.equal(atBob.state.kind, 'incoming-ringing');
  assert.equal(atBob.state.kind === 'incoming-ringing' && atBob.state.callId, 'a-1');
  assert.deepEqual(atBob.effects[1], { type: 'sendSignal', signal: { type: 'hangup', callId: 'b-1', reason: 'glare' }, toUser: ALICE, toDevice: null, conversationId: 'g-alice-phone' });
  assert.deepEqual(rtc(atBob.effects), []);
  // The loser's hangup for its own call id is ignored by the winner, which keeps ringing.
  // Bob's lost call is no call of Alice's: its hangup is refused as unknown, and changes nothing.
  assert.deepEqual(run(aliceSide, bobSays({ type: 'hangup', callId: 'b-1', reason: 'glare' })).effects, [{ type: 'refuseSignal', reason: 'unknown-call' }]);
});

test('the machine is total: every state answers every event without throwing', () => {
  const states: CallMachineState[] = [idle, calling(), ringing(), accepted(), run(ringing(), { type: 'localDecline', now: T0 }).machine];
  const events: CallEvent[] = [
    { type: 'localAccept', now: T0 }, { type: 'localDecline', now: T0 }, { type: 'localHangup', now: T0 },
    { type: 'tick', now: T0 }, { type: 'mediaConnected', now: T0 }, { type: 'mediaFailed', now: T0 },
    remote({ type: 'busy', callId: 'c1' }), remote({ type: 'decline', callId: 'c1' }),
  ];
  for (const s of states) for (const e of events) assert.doesNotThrow(() => transition(s, e));
});

// ---- issue 15: the call holes ----------------------------------------------------------------

/** Alice's conversation with this device after she added carol to it. */
const ALICE_AND_CAROL: ConversationView = { groupId: 'g-alice-phone', self: ME, others: [{ user: ALICE, device: ALICE_PHONE }, { user: 'carol', device: 'carol-phone' }] };
const BOB_AND_CAROL: ConversationView = { groupId: 'g-bob-phone', self: ME, others: [{ user: BOB, device: BOB_PHONE }, { user: 'carol', device: 'carol-phone' }] };
/** A second 1:1 conversation between alice and this device. */
const ALICE_AGAIN: ConversationView = { groupId: 'g-alice-2', self: ME, others: [{ user: ALICE, device: ALICE_PHONE }] };
const membersChanged = (conversation: ConversationView, now = T0 + 500): CallEvent => ({ type: 'membersChanged', conversation, now });

test('hole 1: a call is placed only through a conversation of the two accounts, with a device of the peer', () => {
  const withMyLaptop = { groupId: 'g-bob-phone', self: ME, others: [{ user: BOB, device: BOB_PHONE }, { user: 'me', device: 'me-laptop' }, { user: 'carol', device: 'carol-1' }] };
  const onlyMine = { groupId: 'g-bob-phone', self: ME, others: [{ user: 'me', device: 'me-laptop' }] };
  for (const conversation of [BOB_AND_CAROL, { groupId: 'g-bob-phone', self: ME, others: [] }, withMyLaptop, onlyMine]) {
    const refused = run(idle, { type: 'placeCall', callId: 'c1', peer: BOB, conversation, now: T0 });
    assert.deepEqual(refused.effects, []);
    assert.equal(refused.machine, idle);
  }
});

test('hole 1: a ring in a conversation that holds anyone else neither rings nor answers', () => {
  const shared = remote(ring('c1'), { conversation: ALICE_AND_CAROL });
  assert.deepEqual(run(idle, shared), { state: idle.call, machine: idle, effects: [] });
  // Not even busy while another call is on: busy would reach carol too.
  const onCall = calling();
  assert.deepEqual(run(onCall, shared).effects, []);
});

test('hole 1: a member added to the call\'s conversation ends the call at once, and nothing more is sent', () => {
  const connected = run(calling(), bobSays({ type: 'accept', callId: 'c1' }), { type: 'mediaConnected', now: T0 + 1000 }).machine;
  const cases: [string, CallMachineState, ConversationView, string[]][] = [
    ['callee ringing', ringing(), ALICE_AND_CAROL, ['stopRinging', 'cancelRingTimer', 'logCall']],
    ['callee accepted', accepted(), ALICE_AND_CAROL, ['cancelConnectTimer', 'logCall']],
    ['caller ringing', calling(), BOB_AND_CAROL, ['cancelRingTimer', 'logCall']],
    ['caller in the call', connected, BOB_AND_CAROL, ['closePeerConnection', 'releaseMicrophone', 'logCall']],
  ];
  for (const [name, start, changed, effects] of cases) {
    const ended = run(start, membersChanged(changed));
    assert.equal(ended.state.kind === 'ended' && ended.state.reason, 'members-changed', name);
    assert.deepEqual(types(ended.effects), effects, name);
    assert.deepEqual(sent(ended.effects), [], `${name}: not even a hangup reaches the new member`);
    // And it stays silent: the member can no longer accept, the RTC stack cannot make it speak.
    const after = run(ended.machine, { type: 'localAccept', now: T0 + 600 }, { type: 'localDescription', sdp: 'v=0', now: T0 + 600 },
      { type: 'localCandidate', candidate: 'c', now: T0 + 600 }, { type: 'localHangup', now: T0 + 600 });
    assert.deepEqual(after.effects, [], name);
  }
});

test('hole 1: leaving the conversation, or the peer\'s device changing, ends the call too', () => {
  assert.equal(run(ringing(), membersChanged({ groupId: 'g-alice-phone', self: ME, others: [] })).state.kind, 'ended');
  const replaced = membersChanged({ groupId: 'g-alice-phone', self: ME, others: [{ user: ALICE, device: 'alice-new-phone' }] });
  assert.equal(run(accepted(), replaced).state.kind, 'ended');
});

test('hole 1: a commit that keeps exactly the two, or a change of another conversation, changes nothing', () => {
  const cases: [CallMachineState, ConversationView][] = [[ringing(), pair(ALICE, ALICE_PHONE)], [accepted(), pair(ALICE, ALICE_PHONE)], [calling(), pair(BOB, BOB_PHONE)]];
  for (const [start, own] of cases) {
    const others = { groupId: 'g-carol-phone', self: ME, others: [{ user: 'carol', device: 'carol-phone' }, { user: 'dan', device: 'dan-1' }] };
    for (const conversation of [own, ALICE_AGAIN, others]) {
      const after = run(start, membersChanged(conversation));
      assert.deepEqual(after.effects, []);
      assert.equal(after.machine, start);
    }
  }
});

test('hole 1: signals for the live call from another conversation are refused unread and reported', () => {
  // The callee accepted: an offer through a second 1:1 conversation is not applied.
  const offered = run(accepted(), remote({ type: 'offer', callId: 'c1', sdp: 'v=0' }, { conversation: ALICE_AGAIN }));
  assert.equal(offered.state.kind, 'callee-connecting');
  assert.deepEqual(offered.effects, [{ type: 'reportAnomaly', kind: 'wrong-conversation', fromUser: ALICE, fromDevice: ALICE_PHONE }]);
  // The caller: an accept through another conversation does not connect.
  const otherBob: ConversationView = { groupId: 'g-bob-2', self: ME, others: [{ user: BOB, device: BOB_PHONE }] };
  const acceptElsewhere = run(calling(), remote({ type: 'accept', callId: 'c1' }, { fromUser: BOB, fromDevice: BOB_PHONE, conversation: otherBob }));
  assert.equal(acceptElsewhere.state.kind, 'outgoing-ringing');
  assert.deepEqual(rtc(acceptElsewhere.effects), []);
  assert.deepEqual(types(acceptElsewhere.effects), ['reportAnomaly']);
  // ICE or a hangup through another conversation: nothing either.
  for (const signal of [{ type: 'ice', callId: 'c1', candidate: 'x' }, { type: 'hangup', callId: 'c1', reason: 'normal' }] as const) {
    const r = run(accepted(), remote(signal, { conversation: ALICE_AGAIN }));
    assert.equal(r.state.kind, 'callee-connecting');
    assert.deepEqual(types(r.effects), ['reportAnomaly']);
  }
});

test('hole 1: a signal of the call arriving from its conversation after it gained a member ends the call', () => {
  const r = run(accepted(), remote({ type: 'offer', callId: 'c1', sdp: 'v=0' }, { conversation: ALICE_AND_CAROL }));
  assert.equal(r.state.kind === 'ended' && r.state.reason, 'members-changed');
  assert.deepEqual(rtc(r.effects), [], 'the offer is not applied');
  assert.deepEqual(sent(r.effects), []);
});

test('hole 4: a call id rings once: A declined, B declined, A again with a fresh date gets nothing, not even busy', () => {
  const later = T0 + 5_000;
  const afterTwo = run(idle,
    remote(ring('a')), { type: 'localDecline', now: T0 + 1_000 },
    remote(ring('b')), { type: 'localDecline', now: T0 + 2_000 }).machine;
  assert.deepEqual(afterTwo.memory.recent, [{ callId: 'a', outcome: 'declined' }, { callId: 'b', outcome: 'declined' }]);
  const replay = run(afterTwo, remote(ring('a', later), { now: later }));
  assert.deepEqual(replay.effects, []);
  assert.equal(replay.machine, afterTwo);
  // While another call rings, the old id gets no busy either (busy would confirm the member is there).
  const busyRing = run(afterTwo, remote(ring('c'), { now: later }), remote(ring('a', later), { now: later }));
  assert.deepEqual(types(busyRing.effects), ['showIncomingRing', 'startRingTimer']);
  // An id answered busy is remembered too, as is one this device placed.
  const answeredBusy = run(ringing(), remote(ring('c9'), { fromUser: 'carol', fromDevice: 'carol-phone' })).machine;
  assert.deepEqual(answeredBusy.memory.recent, [{ callId: 'c9', outcome: 'busy' }]);
  const declined = run(answeredBusy, { type: 'localDecline', now: T0 + 1_000 }).machine;
  assert.deepEqual(run(declined, remote(ring('c9', later), { fromUser: 'carol', fromDevice: 'carol-phone', now: later })).effects, []);
  const placed = run(calling(), bobSays({ type: 'decline', callId: 'c1' })).machine;
  assert.deepEqual(run(placed, bobSays(ring('c1', later), later)).effects, []);
});

test('hole 5: past its allowance a contact\'s rings get silence, and the flood is reported once', () => {
  const flood = Array.from({ length: 1000 }, (_, i) => remote(ring(`f${i}`)));
  const { state, effects } = run(idle, ...flood);
  assert.equal(state.kind === 'incoming-ringing' && state.callId, 'f0');
  assert.equal(effects.filter((e) => e.type === 'showIncomingRing').length, 1);
  assert.deepEqual(sent(effects), Array(RING_BURST - 1).fill('busy'), 'the rest of the burst is answered busy, then nothing');
  assert.deepEqual(effects.filter((e) => e.type === 'reportAnomaly'), [{ type: 'reportAnomaly', kind: 'ring-flood', fromUser: ALICE, fromDevice: ALICE_PHONE }]);
});

test('hole 5: the allowance is per contact and refills with time; a later flood is reported again', () => {
  const flooded = run(idle, ...Array.from({ length: 10 }, (_, i) => remote(ring(`f${i}`)))).machine;
  // Carol is not alice: her ring still gets its busy.
  assert.deepEqual(sent(run(flooded, remote(ring('c-carol'), { fromUser: 'carol', fromDevice: 'carol-phone' })).effects), ['busy']);
  // One refill later, one more of alice's rings is admitted, then the next flood is reported.
  const later = T0 + RING_REFILL_MS;
  const refill = run(flooded, ...Array.from({ length: 5 }, (_, i) => remote(ring(`g${i}`, later), { now: later })));
  assert.deepEqual(sent(refill.effects), ['busy']);
  assert.deepEqual(types(refill.effects), ['sendSignal', 'reportAnomaly']);
  // After the ring ends, the device is idle but alice's allowance is not: still silence.
  const ended = run(refill.machine, { type: 'localDecline', now: later }).machine;
  assert.deepEqual(run(ended, remote(ring('h', later), { now: later })).effects, []);
});

test('hole 6: a ring dated beyond the allowed clock skew does not ring; it is logged as missed', () => {
  for (const ahead of [120_001, 3_600_000]) {
    const { state, effects } = run(idle, remote(ring('c1', T0 + ahead)));
    assert.equal(state.kind, 'idle', `${ahead} ms ahead`);
    assert.deepEqual(effects, [{ type: 'logCall', entry: { callId: 'c1', peer: ALICE, direction: 'incoming', outcome: 'missed', durationMs: 0 } }]);
  }
  assert.equal(run(idle, remote(ring('c1', T0 + 120_000))).state.kind, 'incoming-ringing', 'within the skew it rings');
  // A date that is not a number is no date at all.
  assert.equal(run(idle, remote(ring('c1', Number.NaN))).state.kind, 'idle');
});

// ---- issue 17: linked devices, a ring on every device -----------------------------------------

const ME_LAPTOP = 'me-laptop';
const BOB_LAPTOP = 'bob-laptop';
/** The 1:1 conversation with bob once both accounts linked a laptop. */
const WITH_BOB: ConversationView = {
  groupId: 'g-bob', self: ME, others: [{ user: BOB, device: BOB_PHONE }, { user: BOB, device: BOB_LAPTOP }, { user: 'me', device: ME_LAPTOP }],
};
/** The 1:1 conversation with alice once both accounts linked a laptop. */
const WITH_ALICE: ConversationView = {
  groupId: 'g-alice', self: ME, others: [{ user: ALICE, device: ALICE_PHONE }, { user: ALICE, device: 'alice-laptop' }, { user: 'me', device: ME_LAPTOP }],
};
const callingBob = () => run(idle, { type: 'placeCall', callId: 'c1', peer: BOB, conversation: WITH_BOB, now: T0 }).machine;
const fromBob = (device: string, signal: CallSignal, toDevice: string | null = ME.device) =>
  remote(signal, { fromUser: BOB, fromDevice: device, toDevice, conversation: WITH_BOB });
const ringingHere = () => run(idle, remote(ring(), { conversation: WITH_ALICE })).machine;
const fromAlice = (signal: CallSignal, toDevice: string | null = ME.device) => remote(signal, { toDevice, conversation: WITH_ALICE });
const fromMyLaptop = (signal: CallSignal) => remote(signal, { fromUser: 'me', fromDevice: ME_LAPTOP, toDevice: ALICE_PHONE, conversation: WITH_ALICE });

test('linked devices: the ring is for every device of the callee; the first to accept gets the call', () => {
  const placed = run(idle, { type: 'placeCall', callId: 'c1', peer: BOB, conversation: WITH_BOB, now: T0 });
  assert.equal(placed.state.kind, 'outgoing-ringing');
  assert.deepEqual(placed.effects[0], { type: 'sendSignal', signal: ring('c1'), toUser: BOB, toDevice: null, conversationId: 'g-bob' });
  const accepted = run(placed.machine, fromBob(BOB_LAPTOP, { type: 'accept', callId: 'c1' }), { type: 'localDescription', sdp: 'v=0 offer', now: T0 + 5 });
  assert.equal(accepted.state.kind === 'caller-connecting' && accepted.state.peerDevice, BOB_LAPTOP);
  const offer = accepted.effects.find((e) => e.type === 'sendSignal');
  assert.deepEqual(offer, { type: 'sendSignal', signal: { type: 'offer', callId: 'c1', sdp: 'v=0 offer' }, toUser: BOB, toDevice: BOB_LAPTOP, conversationId: 'g-bob' });
  // The phone accepted a moment later: not the call's device any more, so nothing happens (it
  // learns from the offer to the laptop), and nothing it sends is heard.
  for (const late of [{ type: 'accept', callId: 'c1' }, { type: 'answer', callId: 'c1', sdp: 'v=0' }, { type: 'hangup', callId: 'c1', reason: 'normal' }] as const) {
    const after = run(accepted.machine, fromBob(BOB_PHONE, late));
    assert.deepEqual(after.effects, [], late.type);
    assert.equal(after.machine, accepted.machine, late.type);
  }
});

test('linked devices: a decline or busy from any device of the callee ends the ring', () => {
  assert.equal(run(callingBob(), fromBob(BOB_PHONE, { type: 'decline', callId: 'c1' })).state.kind === 'ended' ? 'declined' : 'live', 'declined');
  const busy = run(callingBob(), fromBob(BOB_LAPTOP, { type: 'busy', callId: 'c1' })).state;
  assert.equal(busy.kind === 'ended' && busy.outcome, 'busy');
});

test('linked devices: a sibling\'s accept, decline or busy stops this device ringing, silently', () => {
  const cases = [['accept', 'answered-elsewhere', 'answered-elsewhere'], ['decline', 'declined-elsewhere', 'declined'], ['busy', 'busy-elsewhere', 'busy']] as const;
  for (const [type, reason, outcome] of cases) {
    const { state, effects } = run(ringingHere(), fromMyLaptop({ type, callId: 'c1' }));
    assert.equal(state.kind === 'ended' && state.reason, reason, type);
    assert.equal(state.kind === 'ended' && state.outcome, outcome, type);
    assert.deepEqual(types(effects), ['stopRinging', 'cancelRingTimer', 'logCall'], type);
    assert.deepEqual(rtc(effects), []);
  }
  // A sibling's answer for another call, or its other signals, change nothing and are not refused.
  for (const event of [fromMyLaptop({ type: 'accept', callId: 'c9' }), fromMyLaptop({ type: 'offer', callId: 'c1', sdp: 'v=0' }), fromMyLaptop({ type: 'hangup', callId: 'c1', reason: 'normal' })]) {
    const after = run(ringingHere(), event);
    assert.deepEqual(after.effects, []);
    assert.equal(after.state.kind, 'incoming-ringing');
  }
});

test('linked devices: the caller\'s offer to a sibling ends this device\'s ring or wait, unread', () => {
  const offerToLaptop = fromAlice({ type: 'offer', callId: 'c1', sdp: 'v=0 for the laptop' }, ME_LAPTOP);
  const whileRinging = run(ringingHere(), offerToLaptop);
  assert.equal(whileRinging.state.kind === 'ended' && whileRinging.state.outcome, 'answered-elsewhere');
  assert.deepEqual(rtc(whileRinging.effects), []);
  // Both devices accepted at once: the caller chose the laptop, so this one stops waiting.
  const bothAccepted = run(ringingHere(), { type: 'localAccept', now: T0 + 1000 }).machine;
  const lost = run(bothAccepted, offerToLaptop);
  assert.equal(lost.state.kind === 'ended' && lost.state.reason, 'answered-elsewhere');
  assert.deepEqual(types(lost.effects), ['cancelConnectTimer', 'logCall']);
  assert.deepEqual(sent(lost.effects), []);
  // The offer addressed to this device is the one it answers.
  const won = run(bothAccepted, fromAlice({ type: 'offer', callId: 'c1', sdp: 'v=0 for me' }));
  assert.deepEqual(types(won.effects), ['createPeerConnection', 'getMicrophone', 'setRemoteDescription', 'createAnswer']);
});

test('linked devices: the caller\'s other device hears nothing of the call and refuses nothing', () => {
  // This device is the caller's sibling: my laptop rings alice, and alice's phone answers it.
  const myLaptopRings = remote(ring('c1'), { fromUser: 'me', fromDevice: ME_LAPTOP, conversation: WITH_ALICE });
  assert.deepEqual(run(idle, myLaptopRings).effects, []);
  for (const signal of [{ type: 'accept', callId: 'c1' }, { type: 'answer', callId: 'c1', sdp: 'v=0' }, { type: 'ice', callId: 'c1', candidate: 'c' }] as const) {
    const toLaptop = remote(signal, { toDevice: ME_LAPTOP, conversation: WITH_ALICE });
    assert.deepEqual(run(idle, toLaptop), { state: idle.call, machine: idle, effects: [] }, signal.type);
    assert.deepEqual(run(callingBob(), toLaptop).effects, [], signal.type);
  }
});

test('linked devices: either account linking or removing another device mid-call goes on; a third account or the bound device leaving ends it', () => {
  const inCall = run(callingBob(), fromBob(BOB_PHONE, { type: 'accept', callId: 'c1' }), { type: 'mediaConnected', now: T0 + 10 }).machine;
  assert.equal(inCall.call.kind, 'active');
  const withoutLaptops = { ...WITH_BOB, others: [{ user: BOB, device: BOB_PHONE }] };
  const withNewTablet = { ...WITH_BOB, others: [...WITH_BOB.others, { user: BOB, device: 'bob-tablet' }] };
  for (const conversation of [withoutLaptops, withNewTablet]) assert.equal(run(inCall, membersChanged(conversation)).machine, inCall);
  const withCarol = { ...WITH_BOB, others: [...WITH_BOB.others, { user: 'carol', device: 'carol-1' }] };
  const phoneGone = { ...WITH_BOB, others: [{ user: BOB, device: BOB_LAPTOP }, { user: 'me', device: ME_LAPTOP }] };
  for (const conversation of [withCarol, phoneGone]) {
    const ended = run(inCall, membersChanged(conversation));
    assert.equal(ended.state.kind === 'ended' && ended.state.reason, 'members-changed');
    assert.deepEqual(sent(ended.effects), []);
  }
  // While ringing out, bob removing his laptop changes nothing: his phone may still answer.
  assert.equal(run(callingBob(), membersChanged(withoutLaptops)).machine.call.kind, 'outgoing-ringing');
});

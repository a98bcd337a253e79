/** @module calls/call-video-upgrade.test: a voice call's move to video, by consent of both, in the pure machine. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transition, initialCallMachineState, RTC_EFFECTS, VIDEO_ASK_QUIET_MS, VIDEO_REQUEST_TIMEOUT_MS } from './index.js';
import type { CallEffect, CallEvent, CallMachineState, CallSignal, CallState, ConversationView } from './index.js';
import { expectedDescription } from './call-video-upgrade.js';

const T0 = 1_000_000;
const ME = { user: 'me', device: 'me-phone' } as const;
const pair = (user: string, device: string): ConversationView => ({ groupId: `g-${device}`, self: ME, others: [{ user, device }] });

function from(user: string, device: string, signal: CallSignal, now = T0): CallEvent {
  return { type: 'remote', signal, fromUser: user, fromDevice: device, toDevice: null, conversation: pair(user, device), now, senderIsContact: true, senderBlocked: false };
}
const alice = (signal: CallSignal, now = T0) => from('alice', 'alice-phone', signal, now);
const bob = (signal: CallSignal, now = T0) => from('bob', 'bob-phone', signal, now);

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
const sent = (effects: readonly CallEffect[]) => effects.flatMap((e) => (e.type === 'sendSignal' ? [e.signal.type] : []));
const kinds = (effects: readonly CallEffect[]) => effects.map((e) => e.type);

/** This device took alice's voice call c1: active. */
function calleeActive(): CallMachineState {
  return run(initialCallMachineState,
    alice({ type: 'ring', callId: 'c1', media: 'audio', sentAt: T0 }),
    { type: 'localAccept', now: T0 + 1_000 },
    alice({ type: 'offer', callId: 'c1', sdp: 'v=0 offer' }),
    { type: 'localDescription', sdp: 'v=0 answer', now: T0 + 1_100 },
    { type: 'mediaConnected', now: T0 + 1_500 }).machine;
}
/** This device called bob (voice) and he took it: active. */
function callerActive(): CallMachineState {
  return run(initialCallMachineState,
    { type: 'placeCall', callId: 'c2', peer: 'bob', conversation: pair('bob', 'bob-phone'), now: T0 },
    bob({ type: 'accept', callId: 'c2' }),
    { type: 'localDescription', sdp: 'v=0 offer', now: T0 + 100 },
    bob({ type: 'answer', callId: 'c2', sdp: 'v=0 answer' }),
    { type: 'mediaConnected', now: T0 + 1_000 }).machine;
}

test('asking for video sends only the ask: no camera, no offer, until the peer accepts', () => {
  const asked = run(calleeActive(), { type: 'localRequestVideo', now: T0 + 5_000 });
  assert.deepEqual(sent(asked.effects), ['videoRequest']);
  assert.deepEqual(asked.effects.filter((e) => RTC_EFFECTS.has(e.type)), []);
  assert.equal(asked.state.kind === 'active' && asked.state.upgrade?.step, 'asked');
  // Alice accepts: now this device gets a video section and its camera, and offers.
  const accepted = run(asked.machine, alice({ type: 'videoAccept', callId: 'c1' }, T0 + 6_000));
  assert.deepEqual(kinds(accepted.effects), ['enableVideo', 'createOffer']);
  const offered = run(accepted.machine, { type: 'localDescription', sdp: 'v=0 video offer', now: T0 + 6_100 });
  assert.deepEqual(sent(offered.effects), ['offer']);
  const done = run(offered.machine, alice({ type: 'answer', callId: 'c1', sdp: 'v=0 video answer' }, T0 + 6_200));
  assert.deepEqual(kinds(done.effects), ['setRemoteDescription']);
  assert.equal(done.state.kind === 'active' && done.state.media, 'video');
  assert.equal(done.state.kind === 'active' && done.state.upgrade, undefined);
  // A second answer is renegotiation again: refused and reported.
  const again = run(done.machine, alice({ type: 'answer', callId: 'c1', sdp: 'v=0 again' }));
  assert.deepEqual(again.effects.map((e) => (e.type === 'reportAnomaly' ? e.kind : e.type)), ['renegotiation']);
});

test("the peer's ask opens nothing here until the member accepts; the camera opens with the peer's offer", () => {
  const asked = run(callerActive(), bob({ type: 'videoRequest', callId: 'c2' }, T0 + 5_000));
  assert.deepEqual(asked.effects, [], 'an ask is shown (the state says so), nothing else');
  assert.deepEqual(asked.state.kind === 'active' && asked.state.upgrade, { step: 'asked', by: 'remote', at: T0 + 5_000 });
  // An offer before the member accepted is renegotiation: refused unread.
  const early = run(asked.machine, bob({ type: 'offer', callId: 'c2', sdp: 'v=0 early' }));
  assert.deepEqual(early.effects.map((e) => (e.type === 'reportAnomaly' ? e.kind : e.type)), ['renegotiation']);
  const accepted = run(asked.machine, { type: 'localAcceptVideo', now: T0 + 6_000 });
  assert.deepEqual(sent(accepted.effects), ['videoAccept']);
  assert.deepEqual(accepted.effects.filter((e) => RTC_EFFECTS.has(e.type)), [], 'accepting sends the accept; the camera waits for the offer');
  const offer = run(accepted.machine, bob({ type: 'offer', callId: 'c2', sdp: 'v=0 video offer' }));
  assert.deepEqual(kinds(offer.effects), ['enableVideo', 'setRemoteDescription', 'createAnswer']);
  const answered = run(offer.machine, { type: 'localDescription', sdp: 'v=0 video answer', now: T0 + 6_100 });
  assert.deepEqual(sent(answered.effects), ['answer']);
  assert.equal(answered.state.kind === 'active' && answered.state.media, 'video');
  // A second offer is renegotiation.
  const again = run(answered.machine, bob({ type: 'offer', callId: 'c2', sdp: 'v=0 again' }));
  assert.deepEqual(again.effects.map((e) => (e.type === 'reportAnomaly' ? e.kind : e.type)), ['renegotiation']);
});

test('declining keeps the call voice: the asker is told, nothing opens on either side', () => {
  const asked = run(callerActive(), bob({ type: 'videoRequest', callId: 'c2' }, T0 + 5_000));
  const declined = run(asked.machine, { type: 'localDeclineVideo', now: T0 + 5_500 });
  assert.deepEqual(sent(declined.effects), ['videoDecline']);
  assert.equal(declined.state.kind === 'active' && declined.state.upgrade, undefined);
  const mine = run(calleeActive(), { type: 'localRequestVideo', now: T0 + 5_000 }, alice({ type: 'videoDecline', callId: 'c1' }));
  assert.deepEqual(mine.effects.filter((e) => e.type !== 'sendSignal'), [{ type: 'videoRequestEnded', reason: 'declined' }]);
  assert.equal(mine.state.kind === 'active' && mine.state.media, 'audio');
  // A late accept after the decline opens nothing.
  const late = run(mine.machine, alice({ type: 'videoAccept', callId: 'c1' }));
  assert.deepEqual(late.effects, []);
});

test('an ask nobody answers ends after the timeout, on both sides', () => {
  const at = T0 + 5_000;
  const mine = run(calleeActive(), { type: 'localRequestVideo', now: at }, { type: 'tick', now: at + VIDEO_REQUEST_TIMEOUT_MS - 1 });
  assert.equal(mine.state.kind === 'active' && mine.state.upgrade?.step, 'asked');
  const expired = run(mine.machine, { type: 'tick', now: at + VIDEO_REQUEST_TIMEOUT_MS });
  assert.deepEqual(expired.effects, [{ type: 'videoRequestEnded', reason: 'expired' }]);
  const theirs = run(callerActive(), bob({ type: 'videoRequest', callId: 'c2' }, at), { type: 'tick', now: at + VIDEO_REQUEST_TIMEOUT_MS });
  assert.equal(theirs.state.kind === 'active' && theirs.state.upgrade, undefined);
  // Accepting an ask that expired does nothing.
  assert.deepEqual(run(theirs.machine, { type: 'localAcceptVideo', now: at + VIDEO_REQUEST_TIMEOUT_MS + 1 }).effects, []);
});

test('both asking at once: the caller renegotiates, the callee waits for its offer; both consented', () => {
  const caller = run(callerActive(), { type: 'localRequestVideo', now: T0 + 5_000 }, bob({ type: 'videoRequest', callId: 'c2' }, T0 + 5_001));
  assert.deepEqual(caller.effects.slice(1).map((e) => e.type), ['enableVideo', 'createOffer']);
  const callee = run(calleeActive(), { type: 'localRequestVideo', now: T0 + 5_000 }, alice({ type: 'videoRequest', callId: 'c1' }, T0 + 5_001));
  assert.deepEqual(callee.effects.slice(1), [], 'the callee sends nothing more, and opens nothing yet');
  const offer = run(callee.machine, alice({ type: 'offer', callId: 'c1', sdp: 'v=0 video offer' }));
  assert.deepEqual(kinds(offer.effects), ['enableVideo', 'setRemoteDescription', 'createAnswer']);
});

test('asks for video before the call is active are refused (ringing) or ignored (connecting); a video call asks for nothing', () => {
  const ringing = run(initialCallMachineState, alice({ type: 'ring', callId: 'c1', media: 'audio', sentAt: T0 }), alice({ type: 'videoRequest', callId: 'c1' }));
  assert.deepEqual(ringing.effects.filter((e) => e.type === 'reportAnomaly').map((e) => e.type === 'reportAnomaly' && e.kind), ['signal-before-accept']);
  assert.deepEqual(run(ringing.machine, { type: 'localAcceptVideo', now: T0 }).effects.filter((e) => e.type === 'sendSignal'), []);
  const connecting = run(ringing.machine, { type: 'localAccept', now: T0 + 1_000 }, alice({ type: 'videoAccept', callId: 'c1' }));
  assert.equal(connecting.state.kind, 'callee-connecting');
  assert.deepEqual(connecting.effects.filter((e) => e.type === 'enableVideo'), []);
  const video = run(initialCallMachineState,
    alice({ type: 'ring', callId: 'c3', media: 'video', sentAt: T0 }), { type: 'localAccept', now: T0 + 1_000 },
    alice({ type: 'offer', callId: 'c3', sdp: 'v=0' }), { type: 'localDescription', sdp: 'v=0', now: T0 }, { type: 'mediaConnected', now: T0 + 1_500 });
  assert.deepEqual(run(video.machine, { type: 'localRequestVideo', now: T0 + 2_000 }).effects, []);
});

test('a move both consented to that does not complete in time ends the call as failed (its camera closes with it)', () => {
  const at = T0 + 5_000;
  // The peer accepts and never answers this device's offer.
  const stuck = run(calleeActive(), { type: 'localRequestVideo', now: at }, alice({ type: 'videoAccept', callId: 'c1' }, at + 1_000), { type: 'localDescription', sdp: 'v=0 video offer', now: at + 1_100 });
  assert.equal(stuck.state.kind === 'active' && stuck.state.upgrade?.step, 'negotiating');
  const ended = run(stuck.machine, { type: 'tick', now: at + 1_000 + VIDEO_REQUEST_TIMEOUT_MS });
  assert.equal(ended.state.kind === 'ended' && ended.state.reason, 'failed');
  assert.ok(kinds(ended.effects).includes('closePeerConnection'), kinds(ended.effects).join(', '));
  assert.deepEqual(sent(ended.effects), ['hangup']);
});

test('the asker may withdraw an unanswered ask; the peer\'s prompt goes, and a late accept opens nothing', () => {
  const asked = run(calleeActive(), { type: 'localRequestVideo', now: T0 + 5_000 });
  const withdrawn = run(asked.machine, { type: 'localCancelVideo', now: T0 + 6_000 });
  assert.deepEqual(sent(withdrawn.effects), ['videoDecline']);
  assert.equal(withdrawn.state.kind === 'active' && withdrawn.state.upgrade, undefined);
  assert.deepEqual(run(withdrawn.machine, alice({ type: 'videoAccept', callId: 'c1' })).effects, []);
  // On the peer's side, the withdrawal clears the prompt: accepting it then does nothing.
  const prompted = run(callerActive(), bob({ type: 'videoRequest', callId: 'c2' }, T0 + 5_000), bob({ type: 'videoDecline', callId: 'c2' }, T0 + 6_000));
  assert.equal(prompted.state.kind === 'active' && prompted.state.upgrade, undefined);
  assert.deepEqual(run(prompted.machine, { type: 'localAcceptVideo', now: T0 + 6_500 }).effects, []);
  // Only an ask of one's own can be withdrawn.
  assert.deepEqual(run(run(callerActive(), bob({ type: 'videoRequest', callId: 'c2' })).machine, { type: 'localCancelVideo', now: T0 }).effects, []);
});

test('expectedDescription: the one description of the move this device may take, nothing else', () => {
  assert.equal(expectedDescription(run(calleeActive()).state), undefined);
  const asked = run(calleeActive(), { type: 'localRequestVideo', now: T0 + 5_000 });
  assert.equal(expectedDescription(asked.state), undefined, 'asked, not accepted: no description');
  const accepted = run(asked.machine, alice({ type: 'videoAccept', callId: 'c1' }));
  assert.equal(expectedDescription(accepted.state), undefined, 'our offer has not gone yet: no answer expected');
  assert.equal(expectedDescription(run(accepted.machine, { type: 'localDescription', sdp: 'v=0', now: T0 }).state), 'answer');
  const theirs = run(callerActive(), bob({ type: 'videoRequest', callId: 'c2' }), { type: 'localAcceptVideo', now: T0 });
  assert.equal(expectedDescription(theirs.state), 'offer');
  assert.equal(expectedDescription(run(theirs.machine, bob({ type: 'offer', callId: 'c2', sdp: 'v=0' })).state), undefined, 'one offer only');
});

test('after the member declines, the peer cannot fill the screen with asks: new ones are not shown for a minute', () => {
  const declined = run(callerActive(), bob({ type: 'videoRequest', callId: 'c2' }, T0 + 5_000), { type: 'localDeclineVideo', now: T0 + 6_000 });
  const again = run(declined.machine, bob({ type: 'videoRequest', callId: 'c2' }, T0 + 7_000));
  assert.equal(again.state.kind === 'active' && again.state.upgrade, undefined, 'an ask right after a decline is not shown');
  assert.deepEqual(again.effects, []);
  const later = run(declined.machine, bob({ type: 'videoRequest', callId: 'c2' }, T0 + 6_000 + VIDEO_ASK_QUIET_MS));
  assert.equal(later.state.kind === 'active' && later.state.upgrade?.step, 'asked', 'a minute later, an ask is shown again');
  // The member's own asks are never held back.
  assert.deepEqual(sent(run(declined.machine, { type: 'localRequestVideo', now: T0 + 7_000 }).effects), ['videoRequest']);
});

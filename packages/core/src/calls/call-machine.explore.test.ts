/**
 * @module calls/call-machine.explore.test: exhaustive exploration of every event sequence up to
 * length 8, for both roles, checking the consent rules on every transition: with membership
 * changes of the call's conversation, signals through another conversation, replayed call ids,
 * rings from the future and more rings than a contact is allowed.
 *
 * Sequences are explored breadth first. Two paths that reach the same (machine state, ghost)
 * are merged: the ghost holds everything about the path the invariants look at (which calls the
 * member accepted, which calls the peer accepted, what is ringing, which call went silent), so
 * every continuation of one is checked exactly as for the other. Each merged node keeps the number
 * of paths it stands for, so the count of sequences covered is exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transition, initialCallMachineState, RING_MAX_SKEW_MS } from './index.js';
import { checkCallRules, NO_CALL_GHOST, type CallRulesGhost } from '../testing/call-rules.js';
import type { CallEffect, CallEvent, CallMachineState, CallSignal, ConversationView } from './index.js';

const T0 = 1_000_000;
/** This device: the callee of alice's rings, the caller of calls to bob. */
const ME = { user: 'me', device: 'me-phone' } as const;
const CUR = 'c-mid';
/** The issue asks for at least 6; merging makes 8 cheap. */
const DEPTH = 8;
/**
 * Depth of the cross-check that runs every sequence one by one, without merging: it shows the
 * merge loses nothing (the same checks pass on every unmerged path). 3 is 127,550 sequences per
 * start, under a second; 4 was 6.4 million, 25-45 s each, a third of the unit tests' time.
 */
const RAW_DEPTH = 3;

type Remote = Extract<CallEvent, { type: 'remote' }>;
/** Every device talks to this one through a conversation of its own, `g-<device>`: a 1:1. */
const pair = (user: string, device: string): ConversationView => ({ groupId: `g-${device}`, self: ME, others: [{ user, device }] });
function from(user: string, device: string, signal: CallSignal, over: Partial<Remote> = {}): Remote {
  return {
    type: 'remote', signal, fromUser: user, fromDevice: device, toDevice: null, conversation: pair(user, device), now: T0,
    senderIsContact: true, senderBlocked: false, ...over,
  };
}
const alice = (signal: CallSignal, over: Partial<Remote> = {}) => from('alice', 'alice-phone', signal, over);
const ring = (callId: string, sentAt = T0): CallSignal => ({ type: 'ring', callId, media: 'audio', sentAt });
/** Alice's conversation after she added carol to it (the Group FaceTime shape). */
const ALICE_AND_CAROL: ConversationView = { groupId: 'g-alice-phone', self: ME, others: [{ user: 'alice', device: 'alice-phone' }, { user: 'carol', device: 'carol-phone' }] };
/** A second 1:1 conversation between alice and this device. */
const ALICE_AGAIN: ConversationView = { groupId: 'g-alice-2', self: ME, others: [{ user: 'alice', device: 'alice-phone' }] };

/** Alice's conversation once this account linked a laptop: the laptop may answer alice's ring too. */
const ALICE_AND_MY_LAPTOP: ConversationView = {
  groupId: 'g-alice-phone', self: ME, others: [{ user: 'alice', device: 'alice-phone' }, { user: 'me', device: 'me-laptop' }],
};
/** Alice's conversation once she linked a laptop: either of her devices may answer this device's ring. */
const ALICE_TWO_DEVICES: ConversationView = {
  groupId: 'g-alice-phone', self: ME, others: [{ user: 'alice', device: 'alice-phone' }, { user: 'alice', device: 'alice-laptop' }],
};
const myLaptop = (signal: CallSignal) => from('me', 'me-laptop', signal, { toDevice: 'alice-phone', conversation: ALICE_AND_MY_LAPTOP });

/**
 * A ring from alice with an id no event has named before: its id is the step it comes at, so a
 * path can send as many fresh rings as it is long (a flood needs more than RING_BURST of them).
 */
const FRESH = 'c-fresh-';
const freshRing = (step: number): CallEvent => alice(ring(`${FRESH}${step}`));
type Letter = CallEvent | ((step: number) => CallEvent);
const eventAt = (letter: Letter, step: number): CallEvent => (typeof letter === 'function' ? letter(step) : letter);

const ALPHABET: readonly Letter[] = [
  // rings: valid, non-contact, blocked, stale, other call ids (smaller and larger: glare), other device, other contact
  alice(ring(CUR)),
  from('mallory', 'mallory-1', ring('c-stranger'), { senderIsContact: false }),
  alice(ring('c-blocked'), { senderBlocked: true }),
  alice(ring('c-old', T0 - 60_001)),
  alice(ring('c-low')),
  alice(ring('c-high')),
  from('alice', 'alice-laptop', ring(CUR)),
  from('carol', 'carol-phone', ring('c-carol')),
  // the rest of the signalling, for the current call
  alice({ type: 'accept', callId: CUR }),
  alice({ type: 'decline', callId: CUR }),
  alice({ type: 'busy', callId: CUR }),
  alice({ type: 'offer', callId: CUR, sdp: 'v=0 offer' }),
  alice({ type: 'answer', callId: CUR, sdp: 'v=0 answer' }),
  alice({ type: 'ice', callId: CUR, candidate: 'cand-a' }),
  alice({ type: 'hangup', callId: CUR, reason: 'normal' }),
  // a voice call's move to video: the peer's ask, accept and decline
  alice({ type: 'videoRequest', callId: CUR }),
  alice({ type: 'videoAccept', callId: CUR }),
  alice({ type: 'videoDecline', callId: CUR }),
  // the same signals aimed wrong: another device, another call id, another sender
  from('alice', 'alice-laptop', { type: 'accept', callId: CUR }),
  alice({ type: 'offer', callId: 'c-high', sdp: 'v=0 other' }),
  from('mallory', 'mallory-1', { type: 'ice', callId: CUR, candidate: 'cand-m' }, { senderIsContact: false }),
  // the member, the timers and the RTC stack
  { type: 'localAccept', now: T0 + 1_000 },
  { type: 'localDecline', now: T0 + 1_000 },
  { type: 'localHangup', now: T0 + 9_000 },
  { type: 'localRequestVideo', now: T0 + 5_000 },
  { type: 'localAcceptVideo', now: T0 + 5_000 },
  { type: 'localDeclineVideo', now: T0 + 5_000 },
  { type: 'localCancelVideo', now: T0 + 5_000 },
  { type: 'timeout', callId: CUR, now: T0 + 45_000 },
  { type: 'connectTimeout', callId: CUR, now: T0 + 31_000 },
  { type: 'tick', now: T0 + 50_000 },
  { type: 'mediaConnected', now: T0 + 2_000 },
  { type: 'mediaFailed', now: T0 + 3_000 },
  { type: 'localDescription', sdp: 'v=0 local', now: T0 },
  { type: 'localCandidate', candidate: 'cand-local', now: T0 },
  { type: 'placeCall', callId: 'c-new', peer: 'bob', conversation: pair('bob', 'bob-phone'), now: T0 },
  // membership: carol added to alice's conversation; a commit that keeps the two; another conversation changing
  { type: 'membersChanged', conversation: ALICE_AND_CAROL, now: T0 + 500 },
  { type: 'membersChanged', conversation: pair('alice', 'alice-phone'), now: T0 + 500 },
  { type: 'membersChanged', conversation: { groupId: 'g-carol-phone', self: ME, others: [{ user: 'carol', device: 'carol-phone' }, { user: 'mallory', device: 'mallory-1' }] }, now: T0 },
  // the current call's signals through another conversation, and from the changed one
  alice({ type: 'accept', callId: CUR }, { conversation: ALICE_AGAIN }),
  alice({ type: 'offer', callId: CUR, sdp: 'v=0 elsewhere' }, { conversation: ALICE_AGAIN }),
  alice({ type: 'ice', callId: CUR, candidate: 'cand-shared' }, { conversation: ALICE_AND_CAROL }),
  // linked devices: this account's laptop answering alice's ring, alice's offer to it, the laptop
  // joining the conversation, and alice's laptop accepting this device's call
  myLaptop({ type: 'accept', callId: CUR }),
  myLaptop({ type: 'decline', callId: CUR }),
  alice({ type: 'offer', callId: CUR, sdp: 'v=0 for the laptop' }, { toDevice: 'me-laptop', conversation: ALICE_AND_MY_LAPTOP }),
  { type: 'membersChanged', conversation: ALICE_AND_MY_LAPTOP, now: T0 + 500 },
  from('alice', 'alice-laptop', { type: 'accept', callId: CUR }, { conversation: ALICE_TWO_DEVICES }),
  // rings: in a shared conversation, from the future, and with a fresh id each time (a flood)
  alice(ring('c-shared'), { conversation: ALICE_AND_CAROL }),
  alice(ring('c-future', T0 + RING_MAX_SKEW_MS + 1)),
  freshRing,
];

type Ghost = CallRulesGhost;
const NO_GHOST = NO_CALL_GHOST;

/** Checks one transition with the shared rules; returns the ghost after it. Throws (via assert) on a violation. */
function check(pre: CallMachineState, ghostIn: Ghost, event: CallEvent, post: CallMachineState, effects: readonly CallEffect[], where: () => string): Ghost {
  tally(pre, event, post, effects);
  return checkCallRules(pre.call, ghostIn, event, post.call, effects, (why) => assert.fail(`${why}\n  at ${where()}\n  effects ${JSON.stringify(effects)}`));
}

interface Node { readonly state: CallMachineState; readonly ghost: Ghost; readonly paths: number; readonly example: readonly number[] }

/**
 * The key two paths merge on: the call, the ghost, and what the machine remembers as the
 * machine reads it. It looks recent calls up by id and never reads their order or outcome (the
 * order would matter only past RECENT_CALLS_KEPT ids, far beyond any path here), nor the order of
 * the allowances (past MAX_RING_ALLOWANCES contacts): so those are keyed as sorted sets. And no
 * later event can name a fresh ring's id (each names its own step), so which fresh id a state
 * holds cannot change what happens next: fresh ids are keyed as one.
 */
function mergeKey(state: CallMachineState, ghost: Ghost): string {
  return `${idOf(state.call, callKey)}:${idOf(state.memory, memoryKey)}:${idOf(ghost, callKey)}`;
}
const anyFresh = (text: string) => text.replace(/c-fresh-\d+/g, 'c-fresh');
const callKey = (value: object) => anyFresh(JSON.stringify(value));
function memoryKey(memory: CallMachineState['memory']): string {
  const recent = [...new Set(memory.recent.map((r) => anyFresh(r.callId)))].sort();
  const allowances = [...memory.allowances].sort((a, b) => (a.user < b.user ? -1 : 1));
  return JSON.stringify([recent, allowances]);
}
/**
 * Each distinct serialised value gets a small number, so keys stay short (hashing kilobyte keys
 * millions of times dominated the run); transitions hand back the very objects they did not
 * change, so most lookups never serialise at all.
 */
const numbers = new Map<string, number>();
const numbered = new WeakMap<object, number>();
function idOf<T extends object>(value: T, serialise: (value: T) => string): number {
  let id = numbered.get(value);
  if (id === undefined) {
    const text = serialise(value);
    id = numbers.get(text);
    if (id === undefined) numbers.set(text, (id = numbers.size));
    numbered.set(value, id);
  }
  return id;
}

/** Paths the new rules are about, counted so the exploration is known to reach each of them. */
const reached = { membershipEnded: 0, wrongConversation: 0, floodReported: 0, usedIdSilent: 0, floodSilent: 0, connectTimedOut: 0, unknownCallRefused: 0 };
function tally(pre: CallMachineState, event: CallEvent, post: CallMachineState, effects: readonly CallEffect[]): void {
  if (post.call.kind === 'ended' && post.call.reason === 'members-changed' && pre.call.kind !== 'ended') reached.membershipEnded++;
  if (effects.some((e) => e.type === 'reportAnomaly' && e.kind === 'wrong-conversation')) reached.wrongConversation++;
  if (effects.some((e) => e.type === 'reportAnomaly' && e.kind === 'ring-flood')) reached.floodReported++;
  if (event.type === 'connectTimeout' && post.call.kind === 'ended' && pre.call.kind !== 'ended') reached.connectTimedOut++;
  if (effects.some((e) => e.type === 'refuseSignal')) reached.unknownCallRefused++;
  if (event.type === 'remote' && event.signal.type === 'ring') {
    const id = event.signal.callId;
    const used = pre.memory.recent.some((r) => r.callId === id);
    if (used && effects.length === 0 && pre.call.kind === 'ended') reached.usedIdSilent++;
    const flooding = pre.memory.allowances.some((a) => a.user === event.fromUser && a.floodReported);
    if (!used && flooding && effects.length === 0 && post.call === pre.call) reached.floodSilent++;
  }
}

function explore(start: Node): { transitions: number; sequences: number; distinct: number; at6: { transitions: number; sequences: number } } {
  let frontier = new Map<string, Node>([[mergeKey(start.state, start.ghost), start]]);
  let transitions = 0;
  let sequences = 0;
  const seen = new Set<string>();
  const at6 = { transitions: 0, sequences: 0 };
  for (let depth = 1; depth <= DEPTH; depth++) {
    const next = new Map<string, Node>();
    for (const node of frontier.values()) {
      ALPHABET.forEach((letter, index) => {
        const event = eventAt(letter, depth);
        const where = () => describe([...node.example, index]);
        let result;
        try {
          result = transition(node.state, event);
        } catch (error) {
          assert.fail(`(d) transition threw ${String(error)}\n  at ${where()}`);
        }
        transitions++;
        const ghost = check(node.state, node.ghost, event, result.state, result.effects, where);
        const key = mergeKey(result.state, ghost);
        seen.add(key);
        const existing = next.get(key);
        next.set(key, existing
          ? { ...existing, paths: existing.paths + node.paths }
          : { state: result.state, ghost, paths: node.paths, example: [...node.example, index] });
      });
    }
    for (const node of next.values()) sequences += node.paths;
    frontier = next;
    if (depth === 6) Object.assign(at6, { transitions, sequences });
  }
  return { transitions, sequences, distinct: seen.size, at6 };
}

/** The events of a path, one per line, for a failure message. */
function describe(path: readonly number[]): string {
  return path.map((letter, i) => JSON.stringify(eventAt(ALPHABET[letter]!, i + 1))).join('\n     ');
}

/**
 * The same checks without merging: every sequence replayed from the start. It cannot reach depth
 * 6 in seconds (38^6 sequences), so it guards the merging argument at a smaller depth.
 */
function exploreRaw(start: Node, depth: number): number {
  let transitions = 0;
  const walk = (state: CallMachineState, ghost: Ghost, path: number[]): void => {
    if (path.length === depth) return;
    ALPHABET.forEach((letter, index) => {
      const next = [...path, index];
      const event = eventAt(letter, next.length);
      const where = () => describe(next);
      const result = transition(state, event);
      transitions++;
      walk(result.state, check(state, ghost, event, result.state, result.effects, where), next);
    });
  };
  walk(start.state, start.ghost, []);
  return transitions;
}

const expected = (n: number) => Array.from({ length: DEPTH }, (_, i) => n ** (i + 1)).reduce((a, b) => a + b, 0);

function callerStart(): Node {
  const place: CallEvent = { type: 'placeCall', callId: CUR, peer: 'alice', conversation: pair('alice', 'alice-phone'), now: T0 };
  const first = transition(initialCallMachineState, place);
  const ghost = check(initialCallMachineState, NO_GHOST, place, first.state, first.effects, () => 'placeCall');
  return { state: first.state, ghost, paths: 1, example: [] };
}
/** A start reached by `prefix` from idle, each step checked: the exploration goes on from there. */
function startAfter(prefix: readonly CallEvent[]): Node {
  let state = initialCallMachineState;
  let ghost = NO_GHOST;
  for (const event of prefix) {
    const result = transition(state, event);
    ghost = check(state, ghost, event, result.state, result.effects, () => `prefix ${event.type}`);
    state = result.state;
  }
  assert.equal(state.call.kind, 'active', 'the prefix reaches an active call');
  return { state, ghost, paths: 1, example: [] };
}
/**
 * Active voice calls, so a whole move to video (ask, accept, offer, answer) and what may follow
 * it (a second offer, a late accept, an expiry) fit within the depth.
 */
const calleeActive = () => startAfter([
  alice(ring(CUR)), { type: 'localAccept', now: T0 + 1_000 }, alice({ type: 'offer', callId: CUR, sdp: 'v=0 offer' }),
  { type: 'localDescription', sdp: 'v=0 answer', now: T0 }, { type: 'mediaConnected', now: T0 + 2_000 },
]);
const callerActive = () => startAfter([
  { type: 'placeCall', callId: CUR, peer: 'alice', conversation: pair('alice', 'alice-phone'), now: T0 }, alice({ type: 'accept', callId: CUR }),
  { type: 'localDescription', sdp: 'v=0 offer', now: T0 }, alice({ type: 'answer', callId: CUR, sdp: 'v=0 answer' }), { type: 'mediaConnected', now: T0 + 2_000 },
]);

/** Each start, and whether the unmerged cross-check runs from it too (it costs ALPHABET^RAW_DEPTH transitions). */
const roles: ReadonlyArray<[string, () => Node, boolean]> = [
  ['callee from idle', () => ({ state: initialCallMachineState, ghost: NO_GHOST, paths: 1, example: [] }), true],
  ['caller after placeCall', callerStart, true],
  ['callee in an active voice call', calleeActive, false],
  ['caller in an active voice call', callerActive, false],
];

for (const [role, start, raw] of roles) {
  test(`exhaustive: ${role}, every sequence of up to ${DEPTH} events keeps the consent rules`, () => {
    const started = Date.now();
    const stats = explore(start());
    console.log(`${role}: ${stats.sequences} sequences (lengths 1-${DEPTH}, alphabet ${ALPHABET.length}), `
      + `${stats.transitions} transitions run, ${stats.distinct} distinct (state, ghost), ${Date.now() - started} ms; `
      + `up to length 6: ${stats.at6.sequences} sequences, ${stats.at6.transitions} transitions`);
    assert.equal(stats.sequences, expected(ALPHABET.length));
    assert.ok(DEPTH >= 6 && stats.at6.transitions >= 10_000 && stats.transitions >= 20_000, `only ${stats.transitions} transitions checked`);
  });

  if (raw) test(`exhaustive, unmerged: ${role}, every sequence of up to ${RAW_DEPTH} events replayed one by one`, () => {
    const started = Date.now();
    const transitions = exploreRaw(start(), RAW_DEPTH);
    console.log(`${role} (unmerged): ${transitions} transitions, ${Date.now() - started} ms`);
    assert.equal(transitions, Array.from({ length: RAW_DEPTH }, (_, i) => ALPHABET.length ** (i + 1)).reduce((a, b) => a + b, 0));
  });
}

test('the exploration reached every new rule: membership changes, other conversations, floods, used ids, connect timeouts, unknown calls', () => {
  // Runs after the explorations above (node:test runs a file's tests in order).
  for (const [path, count] of Object.entries(reached)) assert.ok(count > 0, `no explored path reached ${path}`);
  console.log(`paths reached: ${JSON.stringify(reached)}`);
});

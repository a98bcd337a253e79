/**
 * @module calls/call-machine.explore.test: exhaustive exploration of every event sequence up to
 * length 6, for both roles, checking the consent rules on every transition.
 *
 * Sequences are explored breadth first. Two paths that reach the same (machine state, ghost)
 * are merged: the ghost holds everything about the path the invariants look at (which calls the
 * member accepted, which calls the peer accepted, what is ringing, which call went silent), so
 * every continuation of one is checked exactly as for the other. Each merged node keeps the number
 * of paths it stands for, so the count of sequences covered is exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transition, initialCallState } from './index.js';
import { checkCallRules, NO_CALL_GHOST, type CallRulesGhost } from '../testing/call-rules.js';
import type { CallEffect, CallEvent, CallSignal, CallState } from './index.js';

const T0 = 1_000_000;
const CUR = 'c-mid';
/** The issue asks for at least 6; merging makes 8 cheap. */
const DEPTH = 8;
/** Depth of the cross-check that runs every sequence one by one, without merging. */
const RAW_DEPTH = 4;

type Remote = Extract<CallEvent, { type: 'remote' }>;
function from(user: string, device: string, signal: CallSignal, over: Partial<Remote> = {}): Remote {
  return { type: 'remote', signal, fromUser: user, fromDevice: device, now: T0, senderIsContact: true, senderBlocked: false, ...over };
}
const alice = (signal: CallSignal, over: Partial<Remote> = {}) => from('alice', 'alice-phone', signal, over);
const ring = (callId: string, sentAt = T0): CallSignal => ({ type: 'ring', callId, media: 'audio', sentAt });

const ALPHABET: readonly CallEvent[] = [
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
  // the same signals aimed wrong: another device, another call id, another sender
  from('alice', 'alice-laptop', { type: 'accept', callId: CUR }),
  alice({ type: 'offer', callId: 'c-high', sdp: 'v=0 other' }),
  from('mallory', 'mallory-1', { type: 'ice', callId: CUR, candidate: 'cand-m' }, { senderIsContact: false }),
  // the member, the timers and the RTC stack
  { type: 'localAccept', now: T0 + 1_000 },
  { type: 'localDecline', now: T0 + 1_000 },
  { type: 'localHangup', now: T0 + 9_000 },
  { type: 'timeout', callId: CUR, now: T0 + 45_000 },
  { type: 'tick', now: T0 + 50_000 },
  { type: 'mediaConnected', now: T0 + 2_000 },
  { type: 'mediaFailed', now: T0 + 3_000 },
  { type: 'localDescription', sdp: 'v=0 local', now: T0 },
  { type: 'localCandidate', candidate: 'cand-local', now: T0 },
  { type: 'placeCall', callId: 'c-new', peer: 'bob', peerDevice: 'bob-phone', now: T0 },
];

type Ghost = CallRulesGhost;
const NO_GHOST = NO_CALL_GHOST;

/** Checks one transition with the shared rules; returns the ghost after it. Throws (via assert) on a violation. */
function check(pre: CallState, ghostIn: Ghost, event: CallEvent, post: CallState, effects: readonly CallEffect[], where: () => string): Ghost {
  return checkCallRules(pre, ghostIn, event, post, effects, (why) => assert.fail(`${why}\n  at ${where()}\n  effects ${JSON.stringify(effects)}`));
}

interface Node { readonly state: CallState; readonly ghost: Ghost; readonly paths: number; readonly example: readonly number[] }

function explore(start: Node): { transitions: number; sequences: number; distinct: number; at6: { transitions: number; sequences: number } } {
  let frontier = new Map<string, Node>([[JSON.stringify([start.state, start.ghost]), start]]);
  let transitions = 0;
  let sequences = 0;
  const seen = new Set<string>();
  const at6 = { transitions: 0, sequences: 0 };
  for (let depth = 1; depth <= DEPTH; depth++) {
    const next = new Map<string, Node>();
    for (const node of frontier.values()) {
      ALPHABET.forEach((event, index) => {
        const path = [...node.example, index];
        const where = () => path.map((i) => JSON.stringify(ALPHABET[i])).join('\n     ');
        let result;
        try {
          result = transition(node.state, event);
        } catch (error) {
          assert.fail(`(d) transition threw ${String(error)}\n  at ${where()}`);
        }
        transitions++;
        const ghost = check(node.state, node.ghost, event, result.state, result.effects, where);
        const key = JSON.stringify([result.state, ghost]);
        seen.add(key);
        const existing = next.get(key);
        next.set(key, existing
          ? { ...existing, paths: existing.paths + node.paths }
          : { state: result.state, ghost, paths: node.paths, example: path });
      });
    }
    for (const node of next.values()) sequences += node.paths;
    frontier = next;
    if (depth === 6) Object.assign(at6, { transitions, sequences });
  }
  return { transitions, sequences, distinct: seen.size, at6 };
}

/**
 * The same checks without merging: every sequence replayed from the start. It cannot reach depth
 * 6 in seconds (28^6 sequences), so it guards the merging argument at a smaller depth.
 */
function exploreRaw(start: Node, depth: number): number {
  let transitions = 0;
  const walk = (state: CallState, ghost: Ghost, path: number[]): void => {
    if (path.length === depth) return;
    ALPHABET.forEach((event, index) => {
      const next = [...path, index];
      const where = () => next.map((i) => JSON.stringify(ALPHABET[i])).join('\n     ');
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
  const place: CallEvent = { type: 'placeCall', callId: CUR, peer: 'alice', peerDevice: 'alice-phone', now: T0 };
  const first = transition(initialCallState, place);
  const ghost = check(initialCallState, NO_GHOST, place, first.state, first.effects, () => 'placeCall');
  return { state: first.state, ghost, paths: 1, example: [] };
}
const roles: ReadonlyArray<[string, () => Node]> = [
  ['callee from idle', () => ({ state: initialCallState, ghost: NO_GHOST, paths: 1, example: [] })],
  ['caller after placeCall', callerStart],
];

for (const [role, start] of roles) {
  test(`exhaustive: ${role}, every sequence of up to ${DEPTH} events keeps the consent rules`, () => {
    const started = Date.now();
    const stats = explore(start());
    console.log(`${role}: ${stats.sequences} sequences (lengths 1-${DEPTH}, alphabet ${ALPHABET.length}), `
      + `${stats.transitions} transitions run, ${stats.distinct} distinct (state, ghost), ${Date.now() - started} ms; `
      + `up to length 6: ${stats.at6.sequences} sequences, ${stats.at6.transitions} transitions`);
    assert.equal(stats.sequences, expected(ALPHABET.length));
    assert.ok(DEPTH >= 6 && stats.at6.transitions >= 10_000 && stats.transitions >= 20_000, `only ${stats.transitions} transitions checked`);
  });

  test(`exhaustive, unmerged: ${role}, every sequence of up to ${RAW_DEPTH} events replayed one by one`, () => {
    const started = Date.now();
    const transitions = exploreRaw(start(), RAW_DEPTH);
    console.log(`${role} (unmerged): ${transitions} transitions, ${Date.now() - started} ms`);
    assert.equal(transitions, Array.from({ length: RAW_DEPTH }, (_, i) => ALPHABET.length ** (i + 1)).reduce((a, b) => a + b, 0));
  });
}

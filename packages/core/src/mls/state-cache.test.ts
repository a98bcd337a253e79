import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientState } from 'ts-mls';
import { MlsContext, membersOf } from './group.js';
import { DecodedStates } from './state-cache.js';
import { loadCiphersuite } from './suite.js';

const utf8 = (text: string) => new TextEncoder().encode(text);

/** Everything in a state but its config (which holds functions and is not state). */
function snapshot(state: ClientState): unknown {
  const { clientConfig: _config, ...rest } = state;
  return structuredClone(rest);
}

/** Runs `operation` on `state` and asserts the input state is unchanged, both as bytes and as a deep structure. */
async function leavesInputAlone<T>(mls: MlsContext, state: ClientState, operation: (state: ClientState) => Promise<T>): Promise<T> {
  const bytes = mls.encodeState(state);
  const deep = snapshot(state);
  const result = await operation(state);
  assert.deepEqual(mls.encodeState(state), bytes);
  assert.deepEqual(snapshot(state), deep);
  return result;
}

async function threeMembers() {
  const impl = await loadCiphersuite();
  const mls = new MlsContext(impl, async () => true);
  const device = (username: string) => ({ username, deviceId: `${username[0]}1` });
  const keys = { alice: await impl.signature.keygen(), bob: await impl.signature.keygen(), carol: await impl.signature.keygen() };
  const bobPackage = await mls.generateKeyPackage(device('bob'), keys.bob);
  const carolPackage = await mls.generateKeyPackage(device('carol'), keys.carol);
  const created = await mls.createGroup(crypto.getRandomValues(new Uint8Array(32)), device('alice'), keys.alice, [bobPackage.publicPackage]);
  const bob = (await mls.join(created.welcome!, async () => bobPackage)).state;
  return { mls, alice: created.state, bob, carolPackage };
}

test('ts-mls leaves every state it is given unchanged: encrypt, process, commit, proposal', async () => {
  const { mls, alice, bob, carolPackage } = await threeMembers();

  // Application messages, both directions (encrypt advances the secret tree; process ratchets it).
  const sent = await leavesInputAlone(mls, alice, (s) => mls.encrypt(s, utf8('hello')));
  const received = await leavesInputAlone(mls, bob, (s) => mls.process(s, sent.message));
  assert.equal(received.kind, 'application');
  // A second message from the same input state: the first operation consumed nothing in it.
  const again = await leavesInputAlone(mls, alice, (s) => mls.encrypt(s, utf8('again')));
  assert.notDeepEqual(again.message, sent.message);

  // A commit adding a member, processed by the other side.
  const committed = await leavesInputAlone(mls, sent.state, (s) => mls.commit(s, { add: [carolPackage.publicPackage] }));
  const atBob = await leavesInputAlone(mls, received.state, (s) => mls.process(s, committed.commit));
  assert.equal(atBob.kind, 'handshake');
  assert.equal(membersOf(atBob.state).length, 3);

  // A self-remove proposal and a commit of it (the leave path).
  const proposal = await leavesInputAlone(mls, received.state, (s) => mls.selfRemoveProposal(s));
  assert.ok(proposal.byteLength > 0);
  const removing = await leavesInputAlone(mls, committed.state, (s) => mls.commit(s, { removeLeaves: [membersOf(s).find((m) => m.username === 'bob')!.leafIndex] }));
  assert.equal(membersOf(removing.state).length, 2);
});

test('a cached state encrypts exactly as the decoded stored bytes would', async () => {
  const { mls, alice, bob } = await threeMembers();
  const cache = new DecodedStates((encoded) => mls.decodeState(encoded));
  const groupId = 'g';
  let stored = mls.encodeState(alice);
  let bobState = bob;
  for (let i = 0; i < 5; i++) {
    const state = cache.take(groupId, stored);
    const sent = await mls.encrypt(state, utf8(`message ${i}`));
    stored = mls.encodeState(sent.state);
    cache.remember(groupId, stored, sent.state);
    // The cached state is the stored one: decoding the bytes gives the same state.
    assert.deepEqual(snapshot(cache.get(groupId, stored)), snapshot(mls.decodeState(stored)));
    const at = await mls.process(bobState, sent.message);
    assert.equal(at.kind, 'application');
    bobState = at.state;
  }
});

test('the cache hits only on the exact stored bytes, is bounded, and a taken entry is gone', () => {
  let decodes = 0;
  const states = new Map<string, ClientState>();
  const decode = (encoded: Uint8Array) => {
    decodes++;
    const state = { marker: encoded[0] } as unknown as ClientState;
    states.set(String(encoded[0]), state);
    return state;
  };
  const cache = new DecodedStates(decode, 2);
  const one = { marker: 1 } as unknown as ClientState;
  cache.remember('a', Uint8Array.of(1, 2), one);
  assert.equal(cache.get('a', Uint8Array.of(1, 2)), one, 'equal bytes, another array: a hit');
  assert.equal(decodes, 0);
  assert.notEqual(cache.get('a', Uint8Array.of(1, 3)), one, 'other bytes: decoded');
  assert.equal(decodes, 1);
  assert.equal(cache.take('a', Uint8Array.of(1, 2)), one);
  cache.get('a', Uint8Array.of(1, 2));
  assert.equal(decodes, 2, 'taken: the next read decodes');

  cache.remember('a', Uint8Array.of(1), one);
  cache.remember('b', Uint8Array.of(2), one);
  cache.get('a', Uint8Array.of(1)); // a is now the most recently used
  cache.remember('c', Uint8Array.of(3), one);
  assert.equal(cache.size, 2);
  const before = decodes;
  cache.get('a', Uint8Array.of(1));
  assert.equal(decodes, before, 'a kept');
  cache.get('b', Uint8Array.of(2));
  assert.equal(decodes, before + 1, 'b, least recently used, dropped');
});

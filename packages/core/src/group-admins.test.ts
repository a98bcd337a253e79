import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCommit, createProposal, encodeMlsMessage, type ClientState, type Proposal } from 'ts-mls';
import { encodeGroupAdmins, GROUP_ADMINS_EXTENSION } from '@sotto/protocol';
import { ClientError } from './errors.js';
import { adminsToSettle, judgeCommit, type CommitView } from './group-admins.js';
import { adminsOf, epochOf, membersOf, MlsContext, type SigningKey } from './mls/group.js';
import { loadCiphersuite } from './mls/suite.js';

const utf8 = (text: string) => new TextEncoder().encode(text);
const view = (over: Partial<CommitView>): CommitView => ({ admins: ['alice'], committer: 'bob', accountsAfter: ['alice', 'bob', 'carol'], changes: [], ...over });

test('the rule: admins add and remove anyone; others only their own devices, or commit a member leaving', () => {
  assert.ok(judgeCommit(view({ committer: 'alice', changes: [{ kind: 'add', account: 'dan' }, { kind: 'remove', account: 'carol', selfRemoval: false }] })).accept);
  assert.ok(!judgeCommit(view({ changes: [{ kind: 'add', account: 'dan' }] })).accept);
  assert.ok(!judgeCommit(view({ changes: [{ kind: 'remove', account: 'carol', selfRemoval: false }] })).accept);
  assert.ok(judgeCommit(view({ changes: [{ kind: 'add', account: 'bob' }, { kind: 'remove', account: 'bob', selfRemoval: false }] })).accept);
  assert.ok(judgeCommit(view({ changes: [{ kind: 'remove', account: 'carol', selfRemoval: true }] })).accept);
  // Updates and empty commits: nothing to judge.
  assert.ok(judgeCommit(view({})).accept);
  // No admins: no rule, and no way to gain any.
  assert.ok(judgeCommit(view({ admins: undefined, changes: [{ kind: 'add', account: 'dan' }] })).accept);
  assert.ok(!judgeCommit(view({ admins: undefined, changes: [{ kind: 'admins', admins: ['bob'] }] })).accept);
});

test('the rule: only admins change the admins, never to none; once the last admin left, the committer takes it', () => {
  assert.ok(judgeCommit(view({ committer: 'alice', changes: [{ kind: 'admins', admins: ['alice', 'bob'] }] })).accept);
  assert.ok(!judgeCommit(view({ changes: [{ kind: 'admins', admins: ['alice', 'bob'] }] })).accept);
  assert.ok(!judgeCommit(view({ committer: 'alice', changes: [{ kind: 'admins', admins: undefined }] })).accept);
  assert.ok(!judgeCommit(view({ committer: 'alice', changes: [{ kind: 'admins', admins: ['zed'] }] })).accept, 'admins must be members');
  // alice (the only admin) left: her removal is committed, then the committer names itself.
  const left = { accountsAfter: ['bob', 'carol'] };
  assert.ok(judgeCommit(view({ ...left, changes: [{ kind: 'remove', account: 'alice', selfRemoval: true }] })).accept);
  assert.ok(judgeCommit(view({ ...left, changes: [{ kind: 'admins', admins: ['bob'] }] })).accept);
  assert.ok(!judgeCommit(view({ ...left, changes: [{ kind: 'admins', admins: ['carol'] }] })).accept, 'only the committer, deterministically');
  assert.ok(!judgeCommit(view({ ...left, changes: [{ kind: 'admins', admins: ['bob', 'carol'] }] })).accept);
  // One of two admins left: a member who is not an admin may only drop the one who left.
  const two = { admins: ['alice', 'carol'], accountsAfter: ['bob', 'carol'] };
  assert.ok(judgeCommit(view({ ...two, changes: [{ kind: 'admins', admins: ['carol'] }] })).accept);
  assert.ok(!judgeCommit(view({ ...two, changes: [{ kind: 'admins', admins: ['bob'] }] })).accept);
  assert.ok(!judgeCommit(view({ ...two, changes: [{ kind: 'admins', admins: ['bob', 'carol'] }] })).accept);
  assert.deepEqual(adminsToSettle(['alice', 'carol'], new Set(['bob', 'carol']), 'bob'), ['carol']);
  assert.deepEqual(adminsToSettle(['alice'], new Set(['bob', 'carol']), 'bob'), ['bob']);
  assert.equal(adminsToSettle(['alice'], new Set(['alice', 'bob']), 'bob'), undefined);
});

interface Device {
  readonly name: { username: string; deviceId: string };
  readonly key: SigningKey;
}

async function adminGroup() {
  const impl = await loadCiphersuite();
  const mls = new MlsContext(impl, async () => true);
  const device = async (username: string, deviceId = `${username[0]!}1`): Promise<Device> => ({ name: { username, deviceId }, key: await impl.signature.keygen() });
  const [alice, bob, carol, dan, bob2] = await Promise.all([device('alice'), device('bob'), device('carol'), device('dan'), device('bob', 'b2')]);
  const packages = {
    bob: await mls.generateKeyPackage(bob.name, bob.key), carol: await mls.generateKeyPackage(carol.name, carol.key),
    dan: await mls.generateKeyPackage(dan.name, dan.key), bob2: await mls.generateKeyPackage(bob2.name, bob2.key),
  };
  const created = await mls.createGroup(crypto.getRandomValues(new Uint8Array(32)), alice.name, alice.key, [packages.bob.publicPackage, packages.carol.publicPackage, packages.dan.publicPackage], ['alice']);
  const states: Record<'alice' | 'bob' | 'carol' | 'dan', ClientState> = {
    alice: created.state,
    bob: (await mls.join(created.welcome!, async () => packages.bob)).state,
    carol: (await mls.join(created.welcome!, async () => packages.carol)).state,
    dan: (await mls.join(created.welcome!, async () => packages.dan)).state,
  };
  return { mls, impl, states, packages };
}

const leafOf = (state: ClientState, username: string) => membersOf(state).find((m) => m.username === username)!.leafIndex;

test('with real MLS states: a non-admin cannot commit a change locally, and every member refuses one crafted past that check', async () => {
  const { mls, impl, states: first, packages } = await adminGroup();
  assert.deepEqual(adminsOf(first.alice), ['alice']);
  assert.deepEqual(adminsOf(first.carol), ['alice']);

  // A non-admin adding a device of its own account is fine.
  const own = await mls.commit(first.bob, { add: [packages.bob2.publicPackage] });
  const ownAtAlice = await mls.process(first.alice, own.commit);
  const ownAtCarol = await mls.process(first.carol, own.commit);
  assert.ok(ownAtAlice.kind === 'handshake' && ownAtAlice.rejected === undefined);
  assert.equal(membersOf(ownAtAlice.state).length, 5);
  const states = { alice: ownAtAlice.state, bob: own.state, carol: ownAtCarol.state, dan: (await mls.process(first.dan, own.commit)).state };

  // Locally: refused before anything is built.
  await assert.rejects(mls.commit(states.bob, { removeLeaves: [leafOf(states.bob, 'carol')] }), (e: unknown) => e instanceof ClientError && e.code === 'NOT_GROUP_ADMIN');
  await assert.rejects(mls.commit(states.bob, { admins: ['alice', 'bob'] }), (e: unknown) => e instanceof ClientError && e.code === 'NOT_GROUP_ADMIN');

  // Crafted with ts-mls itself: the others reject it and stay where they were.
  const crafted = await createCommit({ state: states.bob, cipherSuite: impl }, {
    extraProposals: [{ proposalType: 'remove', remove: { removed: leafOf(states.bob, 'carol') } } as Proposal],
    ratchetTreeExtension: true,
  });
  const atAlice = await mls.process(states.alice, encodeMlsMessage(crafted.commit));
  assert.equal(atAlice.kind, 'handshake');
  assert.match(atAlice.kind === 'handshake' ? (atAlice.rejected ?? '') : '', /not an admin removed someone else/);
  assert.equal(epochOf(atAlice.state), epochOf(states.alice));
  assert.equal(membersOf(atAlice.state).length, 5);
  // A crafted admins change too.
  const seize = await createCommit({ state: states.bob, cipherSuite: impl }, {
    extraProposals: [{ proposalType: 'group_context_extensions', groupContextExtensions: { extensions: [{ extensionType: GROUP_ADMINS_EXTENSION, extensionData: encodeGroupAdmins(['bob']) }] } } as Proposal],
  });
  const seized = await mls.process(states.carol, encodeMlsMessage(seize.commit));
  assert.ok(seized.kind === 'handshake' && seized.rejected !== undefined);
  assert.deepEqual(adminsOf(seized.state), ['alice']);

  // A proposal on its own to remove someone else is not even kept: no committer could be made to commit it.
  const proposed = await createProposal(states.bob, false, { proposalType: 'remove', remove: { removed: leafOf(states.bob, 'dan') } } as Proposal, impl);
  const kept = await mls.process(states.dan, encodeMlsMessage(proposed.message));
  assert.deepEqual(Object.keys(kept.state.unappliedProposals), []);
  const leaving = await mls.process(states.dan, await mls.selfRemoveProposal(states.bob));
  assert.equal(Object.keys(leaving.state.unappliedProposals).length, 1, 'a member leaving is kept');

  // The admin's next message still reads at carol, whose state never moved.
  const hello = await mls.encrypt(atAlice.state, utf8('still here'));
  const read = await mls.process(seized.state, hello.message);
  assert.ok(read.kind === 'application' && new TextDecoder().decode(read.plaintext) === 'still here');

});

test('with real MLS states: the admin names another admin; the last admin leaving hands it to the committer', async () => {
  const { mls, states } = await adminGroup();
  await assert.rejects(mls.commit(states.alice, { admins: ['alice', 'bob'], removeLeaves: [leafOf(states.alice, 'carol')] }), /on its own/);
  const named = await mls.commit(states.alice, { admins: ['carol', 'alice'] });
  assert.deepEqual(named.admins, ['alice', 'carol']);
  let bob = (await mls.process(states.bob, named.commit)).state;
  const carol = (await mls.process(states.carol, named.commit)).state;
  assert.deepEqual(adminsOf(bob), ['alice', 'carol']);
  const alice = named.state;

  // alice leaves: bob (not an admin) commits it, then drops her from the list; carol agrees each time.
  // bob's state is saved and loaded in between: ts-mls then forgets that leaf 0 (alice) sent the proposal.
  const aliceLeaves = await mls.selfRemoveProposal(alice);
  bob = mls.decodeState(mls.encodeState((await mls.process(bob, aliceLeaves)).state));
  let atCarol = (await mls.process(carol, aliceLeaves)).state;
  const removal = await mls.commit(bob, {});
  const removed = await mls.process(atCarol, removal.commit);
  assert.ok(removed.kind === 'handshake' && removed.rejected === undefined);
  const settle = await mls.commit(removal.state, { admins: ['carol'] });
  const settled = await mls.process(removed.state, settle.commit);
  assert.ok(settled.kind === 'handshake' && settled.rejected === undefined);
  assert.deepEqual(adminsOf(settled.state), ['carol']);
  bob = settle.state;
  atCarol = settled.state;

  // carol, now the last admin, leaves: bob commits it and names himself (nothing else would do); dan agrees.
  let dan = (await mls.process(states.dan, named.commit)).state;
  for (const step of [aliceLeaves, removal.commit, settle.commit]) dan = (await mls.process(dan, step)).state;
  const carolLeaves = await mls.selfRemoveProposal(atCarol);
  bob = (await mls.process(bob, carolLeaves)).state;
  dan = (await mls.process(dan, carolLeaves)).state;
  const lastOut = await mls.commit(bob, {});
  dan = (await mls.process(dan, lastOut.commit)).state;
  await assert.rejects(mls.commit(lastOut.state, { admins: ['dan'] }), (e: unknown) => e instanceof ClientError && e.code === 'NOT_GROUP_ADMIN');
  const takeOver = await mls.commit(lastOut.state, { admins: ['bob'] });
  const atDan = await mls.process(dan, takeOver.commit);
  assert.ok(atDan.kind === 'handshake' && atDan.rejected === undefined);
  assert.deepEqual(adminsOf(atDan.state), ['bob']);
  assert.deepEqual(membersOf(atDan.state).map((m) => m.username).sort(), ['bob', 'dan']);
});

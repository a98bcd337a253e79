/**
 * Group admins (issue 19), engine to engine over the in-memory server: the creator is the first
 * admin; a member who is not one cannot add or remove others (refused on the device, by the
 * server, and, when the server is bypassed, by every other member inside MLS, whose later
 * messages still read); leaving still works for everyone, and the last admin leaving hands it to
 * the member who committed it; a member who is not an admin still brings in a linked device.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it times no media
 *   and restarts no shared service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCommit, defaultCapabilities, defaultLifetime, encodeMlsMessage, generateKeyPackageWithKey, type CiphersuiteImpl, type ClientState, type Proposal } from 'ts-mls';
import { ClientError, MemoryClientStore, RemoteError, SottoClient, type StoredConversation } from '@sotto/core';
import { CommitSchema, create, ErrorCode, FrameType, UploadKeyPackagesSchema, type MessageInitShape } from '@sotto/protocol';
import { inMemoryClientDeps, registerMember, startInMemoryWorld, until, type InMemoryWorld } from '../support/in-memory-members.js';
import { makeContacts, untilJoined } from '../support/member-steps.js';
import { internalsOf } from '../support/engine-internals.js';

const NAMES = ['ada', 'bob', 'cyd', 'dan'] as const;
let world: InMemoryWorld;
const extra: SottoClient[] = [];
const member = (name: (typeof NAMES)[number]) => world.members[NAMES.indexOf(name)]!;
const notices = async (client: SottoClient, groupId: string) => (await client.listMessages(groupId, 500)).filter((m) => m.notice !== undefined).map((m) => m.body);
const notAdmin = (error: unknown) => error instanceof ClientError && error.code === 'NOT_GROUP_ADMIN';
const texts = async (client: SottoClient, groupId: string) => (await client.listMessages(groupId, 500)).filter((m) => m.notice === undefined).map((m) => m.body);

/** What a hostile client reaches past the public API: its MLS states, its session, its store. */
interface Hostile {
  readonly mls: { readonly impl: CiphersuiteImpl; decodeState(bytes: Uint8Array): ClientState };
  readonly identity: { readonly username: string; readonly deviceId: string; readonly publicKey: Uint8Array; readonly signKey: Uint8Array };
  readonly session: { request(type: FrameType, body: unknown): Promise<unknown> };
  readonly store: { getConversation(groupId: string): Promise<StoredConversation | undefined> };
}
const hostile = (client: SottoClient) => (internalsOf(client) as unknown as { ctx: Hostile }).ctx;

/** `client` builds a commit removing `victim`'s devices with ts-mls itself (past its own check) and declares `declared` to the server. */
async function craftRemoval(client: SottoClient, groupId: string, victim: string, declare: boolean): Promise<void> {
  const ctx = hostile(client);
  const conversation = (await ctx.store.getConversation(groupId))!;
  const state = ctx.mls.decodeState(conversation.state);
  const leaves: { leaf: number; deviceId: string }[] = [];
  state.ratchetTree.forEach((node, index) => {
    if (index % 2 === 0 && node?.nodeType === 'leaf') {
      const [username, deviceId] = new TextDecoder().decode(node.leaf.credential.credentialType === 'basic' ? node.leaf.credential.identity : new Uint8Array()).split(':');
      if (username === victim) leaves.push({ leaf: index / 2, deviceId: deviceId ?? '' });
    }
  });
  assert.ok(leaves.length > 0, 'the victim is in the group');
  const built = await createCommit({ state, cipherSuite: ctx.mls.impl }, {
    extraProposals: leaves.map(({ leaf }) => ({ proposalType: 'remove', remove: { removed: leaf } }) as Proposal),
    ratchetTreeExtension: true,
  });
  const body: MessageInitShape<typeof CommitSchema> = {
    groupId: Buffer.from(groupId, 'hex'),
    epoch: conversation.epoch,
    commit: encodeMlsMessage(built.commit),
    removed: declare ? leaves.map(({ deviceId }) => ({ username: victim, deviceId })) : [],
    messageId: crypto.getRandomValues(new Uint8Array(16)),
  };
  await ctx.session.request(FrameType.COMMIT, create(CommitSchema, body));
}

before(async () => {
  world = await startInMemoryWorld(NAMES);
  for (const other of ['bob', 'cyd', 'dan'] as const) await makeContacts(member('ada'), member(other));
  await makeContacts(member('cyd'), member('dan'));
});
after(async () => {
  for (const client of extra) await client.close();
  await world?.close();
});

test('the creator is the admin; a member who is not one is refused on the device, and by the server for a commit made past that check', async () => {
  const group = (await member('ada').createGroup('walks', ['bob', 'cyd'])).groupId;
  await untilJoined(member('bob'), group);
  await untilJoined(member('cyd'), group);
  for (const name of ['ada', 'bob', 'cyd'] as const) assert.deepEqual(await member(name).groupAdmins(group), ['ada'], name);
  // 1:1 chats have no admins.
  assert.deepEqual(await member('ada').groupAdmins(await member('ada').openDirect('dan')), []);

  const epoch = (await member('ada').listConversations()).find((c) => c.groupId === group)!.epoch;
  await assert.rejects(member('cyd').addMembers(group, ['dan']), notAdmin);
  await assert.rejects(member('cyd').removeMembers(group, ['bob']), notAdmin);
  await assert.rejects(member('cyd').makeGroupAdmin(group, 'cyd'), notAdmin);
  await assert.rejects(craftRemoval(member('cyd'), group, 'bob', true), (e: unknown) => e instanceof RemoteError && e.wireCode === ErrorCode.NOT_GROUP_ADMIN);
  assert.deepEqual(await member('bob').listConversations().then((all) => all.find((c) => c.groupId === group)?.active), true);
  assert.equal((await member('ada').listConversations()).find((c) => c.groupId === group)!.epoch, epoch, 'nothing was committed');
  assert.equal((await member('dan').listConversations()).some((c) => c.groupId === group), false);

  // The admin makes bob an admin; everyone's chat says so, and bob may now add dan... once dan is his contact.
  await member('ada').makeGroupAdmin(group, 'bob');
  await until('cyd to see bob made an admin', async () => (await member('cyd').groupAdmins(group)).join() === 'ada,bob');
  assert.ok((await notices(member('ada'), group)).includes('You made bob an admin'));
  await until('the notice at cyd and bob', async () => (await notices(member('cyd'), group)).includes('ada made bob an admin') && (await notices(member('bob'), group)).includes('ada made you an admin'));
  await member('bob').removeMembers(group, ['cyd']);
  await until('cyd to be out', async () => (await member('ada').members(group)).join() === 'ada,bob');
});

test('leaving works for a member who is not an admin, and the last admin leaving hands it to the member who commits it', async () => {
  const group = (await member('ada').createGroup('hikes', ['bob', 'cyd'])).groupId;
  await untilJoined(member('bob'), group);
  await untilJoined(member('cyd'), group);
  await member('cyd').leave(group);
  await until('cyd gone at ada and bob', async () => (await member('ada').members(group)).join() === 'ada,bob' && (await member('bob').members(group)).join() === 'ada,bob');

  await makeContacts(member('bob'), member('dan'));
  await member('ada').addMembers(group, ['dan']);
  await untilJoined(member('dan'), group);
  await member('ada').leave(group);
  await until('one of bob and dan to be the admin, at both', async () => {
    const [atBob, atDan] = [await member('bob').groupAdmins(group), await member('dan').groupAdmins(group)];
    return atBob.length === 1 && atBob.join() === atDan.join() && ['bob', 'dan'].includes(atBob[0]!) && (await member('bob').members(group)).join() === 'bob,dan';
  });
  const admin = (await member('bob').groupAdmins(group))[0] as 'bob' | 'dan';
  const other = admin === 'bob' ? 'dan' : 'bob';
  await until('the notice', async () => (await notices(member(other), group)).includes(`${admin} is now an admin`));
  await until('the notice at the new admin', async () => (await notices(member(admin), group)).includes('You are now an admin'));

  // The member who is not an admin links a device: it is added to the group all the same.
  await assert.rejects(member(other).removeMembers(group, [admin]), notAdmin);
  const link = await member(other).devices.link();
  const [second] = await Promise.all([SottoClient.joinWithLink(inMemoryClientDeps(world.server), world.server.url, link.code), link.linked]);
  extra.push(second);
  await untilJoined(second, group);
  await member(admin).sendText(group, 'welcome, new laptop');
  await until('the linked device to read in the group', async () => (await texts(second, group)).includes('welcome, new laptop'));
});

test('a commit the server let through but the rule refuses is dropped by every member, and their next messages still read', async () => {
  const group = (await member('ada').createGroup('trail', ['cyd', 'dan'])).groupId;
  await untilJoined(member('cyd'), group);
  await untilJoined(member('dan'), group);
  const drops: string[] = [];
  const subscription = member('dan').events.didDrop.event((d) => drops.push(d.reason));
  try {
    // cyd hides the removal from the server (it declares nobody removed): the server accepts it.
    await craftRemoval(member('cyd'), group, 'dan', false);
    await until('dan to drop the commit', async () => drops.some((r) => r.startsWith('commit refused: a member who is not an admin removed someone else')));
  } finally {
    subscription();
  }
  assert.equal((await member('dan').listConversations()).find((c) => c.groupId === group)?.active, true);
  await until('ada to refuse it too', async () => (await member('ada').members(group)).join() === 'ada,cyd,dan');
  await member('ada').sendText(group, 'still here');
  await until('dan to read the admin after it', async () => (await texts(member('dan'), group)).includes('still here'));
  assert.deepEqual(await member('dan').members(group), ['ada', 'cyd', 'dan']);
});

test('a profile from before admins replaces its key packages once, so none of its old ones blocks an add', async () => {
  const store = new MemoryClientStore();
  const eve = await registerMember(world.server, 'eve', { store });
  await makeContacts(member('ada'), eve);
  // eve's packages on the server as a client from before made them: without the admins extension.
  const ctx = hostile(eve);
  const credential = { credentialType: 'basic' as const, identity: new TextEncoder().encode(`eve:${ctx.identity.deviceId}`) };
  const key = { publicKey: ctx.identity.publicKey, signKey: ctx.identity.signKey };
  const before = defaultCapabilities();
  before.extensions = [...before.extensions, 0x000a];
  const old = async (lastResort: boolean) => {
    const made = await generateKeyPackageWithKey(credential, before, defaultLifetime, lastResort ? [{ extensionType: 0x000a, extensionData: new Uint8Array() }] : [], key, ctx.mls.impl);
    return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: made.publicPackage });
  };
  await ctx.session.request(FrameType.UPLOAD_KEY_PACKAGES, create(UploadKeyPackagesSchema, { keyPackages: [await old(false), await old(false)], lastResort: await old(true), replace: true }));
  await store.apply({ settings: { keyPackageVersion: 1 } });
  await assert.rejects(member('ada').createGroup('too early', ['eve']), /extension/i, 'an old package cannot join a group with admins');

  await eve.close();
  const back = await SottoClient.open(inMemoryClientDeps(world.server, { store }));
  extra.push(back);
  await back.connect();
  await back.idle();
  assert.equal((await store.getSettings()).keyPackageVersion, 2);
  // One old one-time package was left and the old last-resort one: both gone, so every add works.
  for (const name of ['walk', 'run', 'swim']) {
    const group = await member('ada').createGroup(name, ['eve']);
    await untilJoined(back, group.groupId);
  }
});

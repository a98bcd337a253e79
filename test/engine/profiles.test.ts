/**
 * Profiles (issue 19), engine to engine over the in-memory server: a display name and an avatar
 * reach contacts (in their 1:1 conversations) and the account's other device, and nobody else:
 * a group member who is not a contact gets nothing. A contact made later gets the profile with
 * the new conversation. A bad avatar or name is refused when set and dropped when received; a
 * profile sent into a group is dropped. Two members who become contacts have each other's profile
 * before either writes a word (accepting sets up their 1:1), each sent once; a member who was only
 * asked, and never answered, gets nothing.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it times no media
 *   and restarts no shared service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AppContentSchema, ContactState, create } from '@sotto/protocol';
import { ClientError, SottoClient } from '@sotto/core';
import { inMemoryClientDeps, registerMember, startInMemoryWorld, until, type InMemoryWorld } from '../support/in-memory-members.js';
import { makeContacts, untilJoined } from '../support/member-steps.js';
import { acceptWithoutChat, internalsOf } from '../support/engine-internals.js';
import { pngFile } from '../support/sample-files.js';

const NAMES = ['ada', 'bob', 'cyd', 'dee'] as const;
let world: InMemoryWorld;
let ada2: SottoClient;
const extra: SottoClient[] = [];
let direct = '';
let group = '';
const member = (name: (typeof NAMES)[number]) => world.members[NAMES.indexOf(name)]!;
const avatar = pngFile(48, 48, 'avatar');

before(async () => {
  world = await startInMemoryWorld(NAMES);
  await makeContacts(member('ada'), member('bob'));
  await makeContacts(member('bob'), member('cyd'));
  direct = await member('ada').openDirect('bob');
  await untilJoined(member('bob'), direct);
  // cyd is in a group with ada through bob, but is not ada's contact.
  group = (await member('bob').createGroup('walks', ['ada', 'cyd'])).groupId;
  await untilJoined(member('ada'), group);
  await untilJoined(member('cyd'), group);
  const link = await member('ada').devices.link();
  [ada2] = await Promise.all([SottoClient.joinWithLink(inMemoryClientDeps(world.server), world.server.url, link.code), link.linked]);
});
after(async () => {
  await ada2?.close();
  for (const client of extra) await client.close();
  await world?.close();
});

test("a name and an avatar reach ada's contact and her other device, and no one else", async () => {
  await member('ada').profile.set({ displayName: 'Ada Lovelace', avatar });
  await until('bob to have ada\'s profile', async () => (await member('bob').profile.of('ada')).displayName === 'Ada Lovelace');
  assert.deepEqual((await member('bob').profile.of('ada')).avatar, new Uint8Array(avatar));
  await until('ada\'s laptop to have her profile', async () => (await ada2.profile.mine()).displayName === 'Ada Lovelace');
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual(await member('cyd').profile.of('ada'), { displayName: '' }, 'a group member who is not a contact learns nothing');
  // A change from the laptop reaches the phone and bob; taking the avatar away too.
  await ada2.profile.set({ displayName: 'Ada', avatar: null });
  await until('bob to see the new name', async () => (await member('bob').profile.of('ada')).displayName === 'Ada');
  assert.equal((await member('bob').profile.of('ada')).avatar, undefined);
  await until('the phone to take it', async () => (await member('ada').profile.mine()).displayName === 'Ada');
});

test('a contact made later gets the profile with the new 1:1 conversation, from one of her two devices', async () => {
  const sent = { phone: countProfileSends(member('ada')), laptop: countProfileSends(ada2) };
  const joined = { phone: [] as string[], laptop: [] as string[] };
  const stops = [member('ada').events.didJoinConversation.event(({ groupId }) => joined.phone.push(groupId)), ada2.events.didJoinConversation.event(({ groupId }) => joined.laptop.push(groupId))];
  await makeContacts(member('ada'), member('dee'));
  const direct = await member('dee').openDirect('ada');
  await until("dee to have ada's profile", async () => (await member('dee').profile.of('ada')).displayName === 'Ada');
  // Both of ada's devices joined dee's 1:1; only one of them speaks for her account.
  await until('both devices to announce the join', async () => joined.phone.includes(direct) && joined.laptop.includes(direct));
  await Promise.all([member('ada').idle(), ada2.idle()]);
  for (const stop of stops) stop();
  assert.equal(sent.phone() + sent.laptop(), 1, `one profile from ada's account (${JSON.stringify({ phone: sent.phone(), laptop: sent.laptop() })})`);
});

test('bad names and avatars are refused when set; a bad or misplaced profile is dropped when received', async () => {
  const invalid = (error: unknown) => error instanceof ClientError && error.code === 'INVALID_INPUT';
  await assert.rejects(member('bob').profile.set({ displayName: 'x'.repeat(65) }), invalid);
  await assert.rejects(member('bob').profile.set({ displayName: 'bob\u202e' }), invalid);
  await assert.rejects(member('bob').profile.set({ avatar: new TextEncoder().encode('%PDF-1.7 not an image') }), invalid);
  await assert.rejects(member('bob').profile.set({ avatar: pngFile(600, 10, 'too wide') }), invalid);
  const drops: string[] = [];
  const off = member('ada').events.didDrop.event((d) => drops.push(d.reason));
  const send = (groupId: string, value: unknown) => (internalsOf(member('bob')) as unknown as { send(c: { groupId: string }, content: unknown): Promise<void> })
    .send({ groupId }, create(AppContentSchema, { messageId: randomBytes(16), sentAt: BigInt(Date.now()), body: { case: 'profile', value: value as never } }));
  await send(group, { displayName: 'Bob in the group', avatar: new Uint8Array(0) });
  await send(direct, { displayName: 'Bob', avatar: new TextEncoder().encode('GIF89a not allowed') });
  const expected = ['a profile outside a 1:1 conversation', 'a profile whose avatar was refused: An avatar is a JPEG, PNG or WebP image.'];
  await until('both dropped at ada', async () => expected.every((reason) => drops.includes(reason)));
  off();
  assert.deepEqual(drops.filter((d) => d.startsWith('a profile')).sort(), expected);
  assert.equal((await member('ada').profile.of('bob')).displayName, '');
});

/**
 * Counts the profiles `client` sends, by wrapping its (internal) conversation layer's `send`: the
 * one door every profile leaves by. A spy, not a hostile client.
 */
function countProfileSends(client: SottoClient): () => number {
  const conversations = internalsOf(client) as unknown as { send(target: unknown, content: { body: { case?: string } }, ...rest: unknown[]): Promise<unknown> };
  const send = conversations.send.bind(conversations);
  let count = 0;
  conversations.send = (target, content, ...rest) => {
    if (content.body.case === 'profile') count += 1;
    return send(target, content, ...rest);
  };
  return () => count;
}

test('new contacts have each other\'s profile before either writes, each sent once; one only asked gets nothing', async () => {
  const [eve, fay, gus] = [await registerMember(world.server, 'eve'), await registerMember(world.server, 'fay'), await registerMember(world.server, 'gus')];
  extra.push(eve, fay, gus);
  await eve.profile.set({ displayName: 'Eve', avatar });
  await fay.profile.set({ displayName: 'Fay' });
  const sent = { eve: countProfileSends(eve), fay: countProfileSends(fay) };
  await eve.requestContact('gus', 'hello gus');
  await makeContacts(eve, fay);
  await until("fay to have eve's profile", async () => (await fay.profile.of('eve')).displayName === 'Eve');
  assert.deepEqual((await fay.profile.of('eve')).avatar, new Uint8Array(avatar));
  await until("eve to have fay's profile", async () => (await eve.profile.of('fay')).displayName === 'Fay');
  const written = async (client: SottoClient, peer: string) => (await client.listDirectMessages(peer, 50)).filter((m) => m.notice === undefined);
  assert.deepEqual([...(await written(eve, 'fay')), ...(await written(fay, 'eve'))], [], 'nobody wrote a word');
  // The chat goes on as usual: opening it and writing sends no profile again.
  const direct = await eve.openDirect('fay');
  await eve.sendText(direct, 'hi fay');
  await until('fay to read it', async () => (await fay.listDirectMessages('eve', 50)).some((m) => m.body === 'hi fay'));
  await fay.sendText(await fay.openDirect('eve'), 'hi eve');
  await until('eve to read it', async () => (await eve.listDirectMessages('fay', 50)).some((m) => m.body === 'hi eve'));
  await Promise.all([eve.idle(), fay.idle()]);
  assert.deepEqual({ eve: sent.eve(), fay: sent.fay() }, { eve: 1, fay: 1 }, 'one profile each way');
  assert.deepEqual(await gus.profile.of('eve'), { displayName: '' }, 'a member who never answered learns nothing');
});

test('both open their 1:1 at the same moment: two conversations, and still one profile each way', async () => {
  const [hal, ivy] = [await registerMember(world.server, 'hal'), await registerMember(world.server, 'ivy')];
  extra.push(hal, ivy);
  await hal.profile.set({ displayName: 'Hal' });
  await ivy.profile.set({ displayName: 'Ivy' });
  const sent = { hal: countProfileSends(hal), ivy: countProfileSends(ivy) };
  await hal.requestContact('ivy', 'hello ivy');
  await until('the request to arrive', async () => (await ivy.refreshContacts()).some((c) => c.username === 'hal' && c.state === ContactState.PENDING));
  await acceptWithoutChat(ivy, 'hal');
  await until('hal to hear of it', async () => (await hal.listContacts()).some((c) => c.username === 'ivy' && c.state === ContactState.ACCEPTED));
  // As if the acceptance were long past: hal's openDirect then waits for no chat of ivy's.
  await hal.updateSettings({ acceptedRequests: {} });
  const joined = { hal: [] as string[], ivy: [] as string[] };
  hal.events.didJoinConversation.event(({ groupId }) => joined.hal.push(groupId));
  ivy.events.didJoinConversation.event(({ groupId }) => joined.ivy.push(groupId));
  const [atHal, atIvy] = await Promise.all([hal.openDirect('ivy'), ivy.openDirect('hal')]);
  assert.notEqual(atHal, atIvy, 'two 1:1s, one made on each side');
  // Each joins the other's, and announces the join (which is when a joiner shares its profile).
  await until('both joins announced', async () => joined.hal.includes(atIvy) && joined.ivy.includes(atHal));
  await until('both profiles across', async () => (await hal.profile.of('ivy')).displayName === 'Ivy' && (await ivy.profile.of('hal')).displayName === 'Hal');
  await Promise.all([hal.idle(), ivy.idle()]);
  assert.deepEqual({ hal: sent.hal(), ivy: sent.ivy() }, { hal: 1, ivy: 1 }, 'the second 1:1 carried no profile again');
});

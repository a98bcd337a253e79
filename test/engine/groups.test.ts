/**
 * Group chats and verified contacts (issue 19), engine to engine over the in-memory server: a
 * group chat keeps notices of who was added and who is no longer in it (accounts, not devices:
 * a member linking a laptop is no news), and of a new name; a contact marked verified shows as
 * changed once their safety number changes, and the chat asks to compare again.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it times no media
 *   and restarts no shared service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientError, SottoClient } from '@sotto/core';
import { inMemoryClientDeps, startInMemoryWorld, until, type InMemoryWorld } from '../support/in-memory-members.js';
import { makeContacts, untilJoined } from '../support/member-steps.js';

const NAMES = ['ada', 'bob', 'cyd'] as const;
let world: InMemoryWorld;
let group = '';
const extra: SottoClient[] = [];
const member = (name: (typeof NAMES)[number]) => world.members[NAMES.indexOf(name)]!;
const notices = async (client: SottoClient, groupId: string) => (await client.listMessages(groupId, 500)).filter((m) => m.notice !== undefined).map((m) => m.body);

before(async () => {
  world = await startInMemoryWorld(NAMES);
  await makeContacts(member('ada'), member('bob'));
  await makeContacts(member('ada'), member('cyd'));
  group = (await member('ada').createGroup('walks', ['bob'])).groupId;
  await untilJoined(member('bob'), group);
});
after(async () => {
  for (const client of extra) await client.close();
  await world?.close();
});

test('who was added and who is no longer in the group, on every member\'s chat', async () => {
  await member('ada').addMembers(group, ['cyd']);
  await untilJoined(member('cyd'), group);
  await until('bob to see cyd added', async () => (await notices(member('bob'), group)).includes('cyd was added'));
  assert.ok((await notices(member('ada'), group)).includes('cyd was added'));
  await member('ada').removeMembers(group, ['cyd']);
  await until('bob to see cyd gone', async () => (await notices(member('bob'), group)).includes('cyd is no longer in the group'));
  assert.ok((await notices(member('ada'), group)).includes('cyd is no longer in the group'));
});

test('a rename is a notice for everyone; the name changes everywhere', async () => {
  await member('bob').renameGroup(group, 'long walks');
  await until('ada to see the rename', async () => (await notices(member('ada'), group)).includes('bob renamed the group to “long walks”'));
  assert.equal((await member('ada').listConversations()).find((c) => c.groupId === group)?.name, 'long walks');
  assert.ok((await notices(member('bob'), group)).includes('You renamed the group to “long walks”'));
  await assert.rejects(member('bob').renameGroup(group, ' '), (error: unknown) => error instanceof ClientError && error.code === 'INVALID_INPUT');
});

test('a member linking a device is no membership news; a verified contact\'s change asks to compare again', async () => {
  await untilJoined(member('bob'), await member('ada').openDirect('bob'));
  await member('ada').markVerified('bob');
  assert.equal(await member('ada').verification('bob'), 'verified');
  assert.equal(await member('ada').verification('cyd'), 'unverified');
  const before = await notices(member('ada'), group);
  const link = await member('bob').devices.link();
  const [bob2] = await Promise.all([SottoClient.joinWithLink(inMemoryClientDeps(world.server), world.server.url, link.code), link.linked]);
  extra.push(bob2);
  await untilJoined(bob2, group);
  await until("ada's verification to say changed", async () => (await member('ada').verification('bob')) === 'changed');
  assert.deepEqual(await notices(member('ada'), group), before, 'no "bob was added" for his new device');
  const direct = (await member('ada').findDirect('bob'))!;
  await until('the 1:1 to ask to compare again', async () => (await notices(member('ada'), direct)).some((n) => n.startsWith('bob linked a new device. Your safety number with them changed')));
  await member('ada').markVerified('bob');
  assert.equal(await member('ada').verification('bob'), 'verified');
});

/**
 * Unit tests of the engine's conversations (core/src/conversations.ts) against the in-memory
 * server: direct and group conversations by id, adding, removing and leaving (a removed member
 * reads nothing after), two members committing at once (the loser retries on STALE_EPOCH and both
 * changes land), and the outbox resending after a dropped link with every message shown once.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it times no media
 *   and restarts no shared service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientError, type SottoClient } from '@sotto/core';
import { registerMember, startInMemoryWorld, until, type InMemoryWorld } from '../support/in-memory-members.js';
import { makeContacts, untilJoined } from '../support/member-steps.js';
import { watchedTransport } from '../support/watched-transport.js';

const NAMES = ['ada', 'bob', 'cyd', 'dee'] as const;
let world: InMemoryWorld;
const extra: SottoClient[] = [];

before(async () => {
  world = await startInMemoryWorld(NAMES);
  for (const name of ['bob', 'cyd', 'dee'] as const) await makeContacts(member('ada'), member(name));
  await makeContacts(member('bob'), member('dee'));
});
after(async () => {
  for (const client of extra) await client.close();
  await world?.close();
});

function member(name: (typeof NAMES)[number]): SottoClient {
  return world.members[NAMES.indexOf(name)]!;
}

const bodies = async (client: SottoClient, groupId: string) => (await client.listMessages(groupId)).map((m) => m.body);
/** STALE_EPOCH answers the server has sent so far (its error counter, by code). */
const staleEpochAnswers = async () =>
  (await world.server.metrics.errors.get()).values.find((v) => v.labels['code'] === 'STALE_EPOCH')?.value ?? 0;
/** SEND frames the server has received so far (its frame counter, by type). */
const sendFramesReceived = async () =>
  (await world.server.metrics.framesReceived.get()).values.find((v) => v.labels['type'] === 'SEND')?.value ?? 0;
const epochOf = async (client: SottoClient, groupId: string) => (await client.listConversations()).find((c) => c.groupId === groupId)?.epoch;

test('direct: accepting sets up one conversation, openDirect returns its id again, and the peer finds the same id', async () => {
  const ada = member('ada');
  const bob = member('bob');
  assert.equal(await member('cyd').findDirect('dee'), undefined, 'findDirect never creates');
  // bob accepted ada's request: bob's device set up their 1:1, and ada joined it.
  const id = await bob.findDirect('ada');
  assert.ok(id);
  assert.equal(await ada.openDirect('bob'), id);
  assert.equal(await ada.openDirect('bob'), id);
  await ada.sendText(id, 'hi bob');
  await until('bob to receive', async () => (await bob.listDirectMessages('ada')).length === 1);
  assert.equal(await bob.findDirect('ada'), id);
  assert.equal(await bob.openDirect('ada'), id);
  assert.deepEqual(await bob.members(id), ['ada', 'bob']);
});

test('direct: a member who is not an accepted contact cannot be opened, and a 1:1 takes no third member', async () => {
  await assert.rejects(member('cyd').openDirect('dee'), (error: unknown) => error instanceof ClientError && error.code === 'NOT_A_CONTACT');
  const direct = await member('ada').openDirect('cyd');
  await assert.rejects(member('ada').addMembers(direct, ['bob']), (error: unknown) => error instanceof ClientError && error.code === 'UNKNOWN_GROUP');
  assert.deepEqual(await member('ada').members(direct), ['ada', 'cyd']);
});

test('group: created by id with its members; add, remove and leave change who reads', async () => {
  const [ada, bob, cyd, dee] = NAMES.map(member) as [SottoClient, SottoClient, SottoClient, SottoClient];
  const group = await ada.createGroup('team', ['bob', 'cyd']);
  assert.equal(group.kind, 'group');
  await untilJoined(bob, group.groupId);
  await untilJoined(cyd, group.groupId);
  assert.deepEqual(await cyd.members(group.groupId), ['ada', 'bob', 'cyd']);

  await ada.addMembers(group.groupId, ['dee']);
  await untilJoined(dee, group.groupId);
  await ada.sendText(group.groupId, 'four of us');
  for (const client of [bob, cyd, dee]) await until('everyone to read it', async () => (await bodies(client, group.groupId)).includes('four of us'));

  await ada.removeMembers(group.groupId, ['cyd']);
  await until('cyd to know she was removed', async () => (await cyd.listConversations()).some((c) => c.groupId === group.groupId && !c.active));
  await ada.sendText(group.groupId, 'without cyd');
  for (const client of [bob, dee]) await until('the rest to read it', async () => (await bodies(client, group.groupId)).includes('without cyd'));
  await cyd.idle();
  assert.ok(!(await bodies(cyd, group.groupId)).includes('without cyd'), 'a removed member reads nothing after');
  await assert.rejects(cyd.sendText(group.groupId, 'still here?'), (error: unknown) => error instanceof ClientError && error.code === 'NO_CONVERSATION');

  await dee.leave(group.groupId);
  assert.equal((await dee.listConversations()).find((c) => c.groupId === group.groupId)?.active, false);
  await until('the others to drop dee', async () => !(await ada.members(group.groupId)).includes('dee') && !(await bob.members(group.groupId)).includes('dee'));
  await bob.sendText(group.groupId, 'after dee left');
  await until('ada to read it', async () => (await bodies(ada, group.groupId)).includes('after dee left'));
  await dee.idle();
  assert.ok(!(await bodies(dee, group.groupId)).includes('after dee left'), 'a member who left reads nothing after');
  assert.deepEqual(await ada.members(group.groupId), ['ada', 'bob']);
});

test('two members commit at once: one wins the epoch, the other retries, and everyone ends in one epoch with both changes', async () => {
  const [ada, bob, cyd, dee] = NAMES.map(member) as [SottoClient, SottoClient, SottoClient, SottoClient];
  const group = await ada.createGroup('race', ['bob']);
  await untilJoined(bob, group.groupId);
  // Only admins add members: ada (the creator) makes bob one too, so both may.
  await ada.makeGroupAdmin(group.groupId, 'bob');
  await until('bob to be an admin', async () => (await bob.groupAdmins(group.groupId)).includes('bob'));
  const start = await epochOf(ada, group.groupId);
  assert.equal(await epochOf(bob, group.groupId), start);

  const staleBefore = await staleEpochAnswers();
  await Promise.all([ada.addMembers(group.groupId, ['cyd']), bob.addMembers(group.groupId, ['dee'])]);
  assert.ok((await staleEpochAnswers()) > staleBefore, 'the two commits raced: the server refused one as STALE_EPOCH, and it was retried');
  await untilJoined(cyd, group.groupId);
  await untilJoined(dee, group.groupId);
  const everyone = [ada, bob, cyd, dee];
  await until('every member to reach the same epoch', async () => {
    const epochs = await Promise.all(everyone.map((c) => epochOf(c, group.groupId)));
    return epochs.every((e) => e === start! + 2n);
  });
  for (const client of everyone) assert.deepEqual(await client.members(group.groupId), ['ada', 'bob', 'cyd', 'dee']);
  await dee.sendText(group.groupId, 'made it');
  for (const client of [ada, bob, cyd]) await until('all to read dee', async () => (await bodies(client, group.groupId)).includes('made it'));
});

test('outbox: messages whose acknowledgement was lost with the link are resent on reconnect and shown once', async () => {
  const transport = watchedTransport(world.server);
  const eve = await registerMember(world.server, 'eve', { transport, reconnect: true });
  extra.push(eve);
  const bob = member('bob');
  await makeContacts(eve, bob);
  const direct = await eve.openDirect('bob');
  await eve.sendText(direct, 'before the drop');

  // The server takes the messages, but its acknowledgements never reach eve before the link drops.
  transport.stallLatest();
  const sends = ['lost ack 1', 'lost ack 2'].map((text) => eve.sendText(direct, text));
  await until('the server to take both sends', async () => (await bob.listDirectMessages('eve')).length === 3);
  const sendsAtDrop = await sendFramesReceived();
  transport.dropLatest();
  const settled = await Promise.allSettled(sends);
  await until('eve to reconnect', async () => eve.connectionState === 'ready', 5_000);
  await eve.idle();
  assert.ok((await sendFramesReceived()) >= sendsAtDrop + 2, 'both unacknowledged messages were sent again');

  const expected = ['before the drop', 'lost ack 1', 'lost ack 2'];
  await bob.idle();
  await new Promise((resolve) => setTimeout(resolve, 100)); // room for a duplicate to arrive, if one were sent
  assert.deepEqual((await bob.listDirectMessages('eve')).map((m) => m.body).sort(), expected);
  assert.deepEqual((await eve.listMessages(direct)).filter((m) => m.notice === undefined).map((m) => m.body).sort(), expected, 'the sender shows each once');
  assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'fulfilled'], 'each send settles once the resend is acknowledged');
});

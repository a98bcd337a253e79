/**
 * Message actions (issue 19), engine to engine over the in-memory server: a reply names what it
 * answers; reactions, one per account, change and go away; a sender edits (15 minutes) and deletes
 * for everyone (2 days) its own messages, on every device that has them, the sender's other
 * devices included; forwarding marks the copy. Hostile actions (another member's edit or deletion,
 * an edit dated past the window, an action on a message of another conversation) are dropped with
 * their reason and change nothing.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it times no media
 *   and restarts no shared service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AppContentSchema, create } from '@sotto/protocol';
import { ClientError, SottoClient, type StoredMessage } from '@sotto/core';
import { inMemoryClientDeps, startInMemoryWorld, until, type InMemoryWorld } from '../support/in-memory-members.js';
import { makeContacts, untilJoined } from '../support/member-steps.js';
import { internalsOf } from '../support/engine-internals.js';

const NAMES = ['ada', 'bob', 'cyd'] as const;
let world: InMemoryWorld;
let ada2: SottoClient;
let direct = '';
let group = '';

const member = (name: (typeof NAMES)[number]) => world.members[NAMES.indexOf(name)]!;

before(async () => {
  world = await startInMemoryWorld(NAMES);
  await makeContacts(member('ada'), member('bob'));
  await makeContacts(member('ada'), member('cyd'));
  await makeContacts(member('bob'), member('cyd'));
  direct = await member('ada').openDirect('bob');
  await untilJoined(member('bob'), direct);
  group = (await member('ada').createGroup('club', ['bob', 'cyd'])).groupId;
  await untilJoined(member('bob'), group);
  await untilJoined(member('cyd'), group);
  const link = await member('ada').devices.link();
  [ada2] = await Promise.all([SottoClient.joinWithLink(inMemoryClientDeps(world.server), world.server.url, link.code), link.linked]);
  await untilJoined(ada2, direct);
  await untilJoined(ada2, group);
});
after(async () => {
  await ada2?.close();
  await world?.close();
});

/** `client`'s copy of the message `messageId`, once `ready` holds for it. */
async function copyOf(client: SottoClient, messageId: string, ready: (m: StoredMessage) => boolean, what: string): Promise<StoredMessage> {
  let found: StoredMessage | undefined;
  await until(what, async () => {
    found = [...(await client.listMessages(direct, 500)), ...(await client.listMessages(group, 500))].find((m) => m.messageId === messageId);
    return found !== undefined && ready(found);
  });
  return found!;
}

async function sent(from: SottoClient, groupId: string, text: string): Promise<StoredMessage> {
  const message = await from.sendText(groupId, text);
  for (const client of [member('ada'), member('bob'), ada2]) await copyOf(client, message.messageId, () => true, `${text} everywhere`);
  return message;
}

const invalid = (pattern: RegExp) => (error: unknown) => error instanceof ClientError && error.code === 'INVALID_INPUT' && pattern.test(error.message);

test('a reply names the message it answers, on every device', async () => {
  const question = await sent(member('ada'), direct, 'lunch at noon?');
  const answer = await member('bob').messages.reply(direct, question.messageId, 'yes');
  for (const client of [member('ada'), ada2]) {
    const copy = await copyOf(client, answer.messageId, () => true, 'the reply');
    assert.equal(copy.replyTo, question.messageId);
  }
  await assert.rejects(member('bob').messages.reply(group, question.messageId, 'wrong chat'), invalid(/not in this conversation/));
});

test('reactions: one per account, changed, taken back; every device agrees', async () => {
  const message = await sent(member('ada'), direct, 'the venue is booked');
  await member('bob').messages.react(direct, message.messageId, '👍');
  await copyOf(member('ada'), message.messageId, (m) => m.reactions?.[0]?.emoji === '👍', 'bob\'s 👍 at ada');
  await member('bob').messages.react(direct, message.messageId, '❤️');
  await member('ada').messages.react(direct, message.messageId, '🎉');
  for (const client of [member('ada'), member('bob'), ada2]) {
    const copy = await copyOf(client, message.messageId, (m) => (m.reactions ?? []).length === 2 && m.reactions!.some((r) => r.emoji === '❤️'), 'two reactions');
    assert.deepEqual(copy.reactions!.map((r) => `${r.user}:${r.emoji}`).sort(), ['ada:🎉', 'bob:❤️']);
  }
  await member('bob').messages.react(direct, message.messageId, '');
  await copyOf(ada2, message.messageId, (m) => (m.reactions ?? []).length === 1, 'bob\'s reaction gone at ada\'s laptop');
  await assert.rejects(member('bob').messages.react(direct, message.messageId, 'lol'), invalid(/one emoji/));
});

test('edit and delete for everyone: the sender\'s own, on every device, its other device included', async () => {
  const typo = await sent(member('ada'), group, 'meet at 7pn');
  await member('ada').messages.edit(group, typo.messageId, 'meet at 7pm');
  for (const client of [member('bob'), member('cyd'), ada2, member('ada')]) {
    const copy = await copyOf(client, typo.messageId, (m) => m.body === 'meet at 7pm', 'the edit');
    assert.ok(copy.editedAt !== undefined);
  }
  await assert.rejects(member('bob').messages.edit(group, typo.messageId, 'mine now'), invalid(/Only its sender can edit/));
  await assert.rejects(member('bob').messages.deleteForEveryone(group, typo.messageId), invalid(/Only its sender can delete/));
  // ada's laptop deletes what her phone sent: the same account.
  await ada2.messages.deleteForEveryone(group, typo.messageId);
  for (const client of [member('bob'), member('cyd'), member('ada')]) {
    const copy = await copyOf(client, typo.messageId, (m) => m.deletedAt !== undefined, 'the deletion');
    assert.equal(copy.body, '');
  }
  await assert.rejects(member('ada').messages.edit(group, typo.messageId, 'back'), invalid(/deleted/));
});

test('forwarding sends a marked copy to another chat', async () => {
  const original = await sent(member('bob'), direct, 'the address is 12 Elm St');
  const copy = await member('ada').messages.forward(original.messageId, group);
  const atCyd = await copyOf(member('cyd'), copy.messageId, () => true, 'the forwarded copy');
  assert.equal(atCyd.body, 'the address is 12 Elm St');
  assert.equal(atCyd.forwarded, true);
});

test('hostile actions are dropped with their reason and change nothing', async () => {
  const drops: string[] = [];
  const subscription = member('bob').events.didDrop.event((d) => drops.push(d.reason));
  const target = await sent(member('ada'), group, 'the plan stands');
  const craft = async (from: SottoClient, groupId: string, body: unknown, sentAt = Date.now()) => {
    const content = create(AppContentSchema, { messageId: randomBytes(16), sentAt: BigInt(sentAt), body: body as never });
    await (internalsOf(from) as unknown as { send(c: { groupId: string }, content: unknown): Promise<void> }).send({ groupId }, content);
  };
  const id = Buffer.from(target.messageId, 'hex');
  // cyd edits and deletes ada's message; ada edits it 16 minutes "later"; an edit aimed from the 1:1 at a group message.
  await craft(member('cyd'), group, { case: 'edit', value: { messageId: id, body: 'the plan is off' } });
  await craft(member('cyd'), group, { case: 'retract', value: { messageId: id } });
  await craft(member('ada'), group, { case: 'edit', value: { messageId: id, body: 'too late' } }, target.sentAt + 16 * 60_000);
  await craft(member('ada'), direct, { case: 'edit', value: { messageId: id, body: 'elsewhere' } });
  await until('four drops at bob', async () => drops.filter((d) => d.startsWith('action')).length >= 4);
  subscription();
  assert.deepEqual(drops.filter((d) => d.startsWith('action')).sort(), [
    'action on a message this device does not have in that conversation',
    'action refused: A message can be edited for 15 minutes after it was sent.',
    'action refused: Only its sender can delete a message for everyone.',
    'action refused: Only its sender can edit a message.',
  ]);
  const copy = await copyOf(member('bob'), target.messageId, () => true, 'bob\'s copy');
  assert.equal(copy.body, 'the plan stands');
  assert.equal(copy.editedAt, undefined);
  assert.equal(copy.deletedAt, undefined);
});

test('search finds messages by their text, newest first, on this device; deleted ones are not found', async () => {
  const first = await sent(member('bob'), direct, 'the Harbour walk is on Sunday');
  await sent(member('ada'), group, 'harbour or the hills?');
  const found = await member('ada').searchMessages('HARBOUR');
  assert.deepEqual(found.slice(0, 2).map((m) => m.body), ['harbour or the hills?', 'the Harbour walk is on Sunday']);
  await member('bob').messages.deleteForEveryone(direct, first.messageId);
  await until('the deletion at ada', async () => (await member('ada').searchMessages('sunday')).length === 0);
  assert.deepEqual(await member('ada').searchMessages('   '), []);
});

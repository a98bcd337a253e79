/**
 * "bob accepted your request" (issue 19), engine to engine over the in-memory server: when a
 * member's contact request is accepted, the requester's 1:1 chat with the new contact keeps a
 * stored notice saying so: once, never unread, still there after a restart, on the requester's
 * side only. It lands in whichever 1:1 comes first: the one accepting sets up, or, when the
 * accepter's device set none up (an older client; or it failed), the one the requester opens.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it times no media
 *   and restarts no shared service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ContactState } from '@sotto/protocol';
import { SottoClient, type StoredMessage } from '@sotto/core';
import { inMemoryClientDeps, registerMember, until } from '../support/in-memory-members.js';
import { untilJoined } from '../support/member-steps.js';
import { acceptWithoutChat } from '../support/engine-internals.js';
import { startInMemoryServer, type InMemoryServer } from '@sotto/server/in-memory';

let server: InMemoryServer;
const clients: SottoClient[] = [];
const contactNotices = async (client: SottoClient, peer: string): Promise<StoredMessage[]> =>
  (await client.listDirectMessages(peer, 500)).filter((m) => m.notice !== undefined && m.body.includes('accepted'));

before(() => {
  server = startInMemoryServer();
});
after(async () => {
  for (const client of clients) await client.close();
  await server?.close();
});

async function member(name: string, deps = inMemoryClientDeps(server)): Promise<SottoClient> {
  const client = await registerMember(server, name, deps);
  clients.push(client);
  return client;
}

/** `from` asks `to`; `to` sees the request and accepts it. */
async function askAndAccept(from: SottoClient, to: SottoClient): Promise<void> {
  await from.requestContact(to.identity.username, 'hello');
  await until('the request to arrive', async () => (await to.refreshContacts()).some((c) => c.username === from.identity.username && c.state === ContactState.PENDING));
  await to.respondToContact(from.identity.username, 'accept');
}

test("the requester's chat with the new contact says 'bob accepted your request', once, and still after a restart", async () => {
  const deps = inMemoryClientDeps(server);
  const ann = await member('ann', deps);
  const bob = await member('bob');
  const heard: StoredMessage[] = [];
  ann.events.didReceiveMessage.event((m) => {
    if (m.notice !== undefined) heard.push(m);
  });
  await askAndAccept(ann, bob);
  // Accepting set the conversation up on bob's device; ann joins it.
  const direct = await bob.findDirect('ann');
  assert.ok(direct, "accepting set up bob's 1:1 with ann");
  await untilJoined(ann, direct);
  await until("ann's notice", async () => (await contactNotices(ann, 'bob')).length > 0);
  const [notice] = await contactNotices(ann, 'bob');
  assert.equal(notice!.body, 'bob accepted your request');
  assert.equal(notice!.notice, 'contact');
  assert.equal(notice!.groupId, direct, 'in the 1:1 with bob');
  assert.ok(notice!.status === 'read' && !notice!.outgoing && notice!.sender === 'bob');
  assert.equal(await ann.unreadCount(direct), 0, 'a notice is never unread');
  assert.deepEqual(heard.map((m) => m.body), ['bob accepted your request'], 'told once, as it was stored (the CLI prints it)');
  // The chat goes on: still one notice, and it comes before the first message.
  await bob.sendText(direct, 'welcome');
  await until('the message', async () => (await ann.listDirectMessages('bob', 500)).some((m) => m.body === 'welcome'));
  assert.deepEqual((await ann.listDirectMessages('bob', 500)).map((m) => m.body), ['bob accepted your request', 'welcome']);
  assert.deepEqual(await contactNotices(bob, 'ann'), [], 'the accepter is told nothing of the kind');
  // A restart: the notice was stored, and is not written again.
  await ann.close();
  clients.splice(clients.indexOf(ann), 1);
  const reopened = await SottoClient.open(deps);
  clients.push(reopened);
  await reopened.connect();
  await reopened.sync();
  await reopened.idle();
  assert.deepEqual((await contactNotices(reopened, 'bob')).map((m) => m.messageId), [notice!.messageId]);
});

test('when the accepter set up no chat, the requester finds the notice in the chat it opens', async () => {
  const cyd = await member('cyd');
  const dee = await member('dee');
  await cyd.requestContact('dee', 'hello');
  await until('the request to arrive', async () => (await dee.refreshContacts()).some((c) => c.username === 'cyd' && c.state === ContactState.PENDING));
  await acceptWithoutChat(dee, 'cyd');
  await until('cyd to hear of the acceptance', async () => (await cyd.listContacts()).some((c) => c.username === 'dee' && c.state === ContactState.ACCEPTED));
  await cyd.idle();
  assert.equal(await cyd.findDirect('dee'), undefined, 'no chat yet');
  assert.deepEqual(await contactNotices(cyd, 'dee'), [], 'the notice waits for one');
  const direct = await cyd.openDirect('dee');
  await until("cyd's notice", async () => (await contactNotices(cyd, 'dee')).length > 0);
  const notices = await contactNotices(cyd, 'dee');
  assert.deepEqual(notices.map((m) => [m.body, m.groupId]), [['dee accepted your request', direct]]);
  await untilJoined(dee, direct);
  await cyd.sendText(direct, 'hi');
  await until('dee to read it', async () => (await dee.listDirectMessages('cyd', 500)).some((m) => m.body === 'hi'));
  assert.equal((await contactNotices(cyd, 'dee')).length, 1);
  assert.deepEqual(await contactNotices(dee, 'cyd'), []);
});

test("a requester who writes the moment the acceptance arrives uses the accepter's 1:1: one conversation, not two", async () => {
  const eli = await member('eli');
  const fox = await member('fox');
  await eli.requestContact('fox', 'hello');
  await until('the request to arrive', async () => (await fox.refreshContacts()).some((c) => c.username === 'eli' && c.state === ContactState.PENDING));
  const accepted = fox.respondToContact('eli', 'accept');
  // eli writes as soon as her device has heard of the acceptance, while fox's device is still setting the chat up.
  await until('eli to hear of the acceptance', async () => (await eli.listContacts()).some((c) => c.username === 'fox' && c.state === ContactState.ACCEPTED), 10_000);
  const direct = await eli.openDirect('fox');
  await accepted;
  assert.equal(direct, await fox.findDirect('eli'), "eli's message goes to the chat fox set up");
  await eli.sendText(direct, 'quick hello');
  await until('fox to read it', async () => (await fox.listDirectMessages('eli', 50)).some((m) => m.body === 'quick hello'));
  assert.equal((await eli.listConversations()).filter((c) => c.kind === 'direct' && c.name === 'fox').length, 1, 'one 1:1 at eli');
  assert.equal((await fox.listConversations()).filter((c) => c.kind === 'direct' && c.name === 'eli').length, 1, 'one 1:1 at fox');
});

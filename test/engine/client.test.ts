/**
 * Unit tests of the engine's client facade (core/src/client.ts) against the in-memory server:
 * register then open, a second register refused, the contact flow (request, accept, decline,
 * block), sync draining the mailbox, read state, and safety numbers.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it times no media
 *   and restarts no shared service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientError, MemoryClientStore, RemoteError, SottoClient, type ClientDeps } from '@sotto/core';
import { ContactState, ErrorCode } from '@sotto/protocol';
import { inMemoryClientDeps, registerMember, startInMemoryWorld, until, type InMemoryWorld } from '../support/in-memory-members.js';
import { contactState, makeContacts } from '../support/member-steps.js';

let world: InMemoryWorld;
const extra: SottoClient[] = [];
before(async () => {
  world = await startInMemoryWorld(['ada', 'bob']);
  await makeContacts(world.members[0]!, world.members[1]!);
});
after(async () => {
  for (const client of extra) await client.close();
  await world?.close();
});

const ada = () => world.members[0]!;
const bob = () => world.members[1]!;

async function newMember(username: string, overrides: Partial<ClientDeps> = {}): Promise<SottoClient> {
  const client = await registerMember(world.server, username, overrides);
  extra.push(client);
  return client;
}

test('register keeps the identity in the profile; open with that profile logs in as the same device', async () => {
  const deps = inMemoryClientDeps(world.server);
  const first = await SottoClient.register(deps, world.server.url, 'reg');
  const { deviceId } = first.identity;
  await first.close();
  const reopened = await SottoClient.open(deps);
  extra.push(reopened);
  assert.equal(reopened.identity.deviceId, deviceId);
  assert.equal(reopened.identity.username, 'reg');
  await reopened.connect();
  assert.equal(reopened.connectionState, 'ready');
});

test('open without a registered profile is refused with NOT_REGISTERED', async () => {
  await assert.rejects(SottoClient.open(inMemoryClientDeps(world.server)), (error: unknown) => error instanceof ClientError && error.code === 'NOT_REGISTERED');
});

test('a second register is refused: on the same profile locally, for a taken name by the server', async () => {
  const deps = inMemoryClientDeps(world.server);
  await SottoClient.register(deps, world.server.url, 'twice');
  await assert.rejects(SottoClient.register(deps, world.server.url, 'twice-again'), (error: unknown) => error instanceof ClientError && error.code === 'ALREADY_REGISTERED');
  await assert.rejects(SottoClient.register(inMemoryClientDeps(world.server), world.server.url, 'twice'), (error: unknown) =>
    error instanceof RemoteError && error.wireCode === ErrorCode.USERNAME_TAKEN);
  await assert.rejects(SottoClient.register(inMemoryClientDeps(world.server), world.server.url, 'No Spaces'), (error: unknown) =>
    error instanceof ClientError && error.code === 'INVALID_INPUT');
});

test('contacts: a request is REQUESTED for the asker and PENDING with its text for the asked; accept makes both ACCEPTED', async () => {
  const cyd = await newMember('cyd');
  const dee = await newMember('dee');
  await cyd.requestContact('dee', 'hi dee, cyd here');
  assert.equal(await contactState(cyd, 'dee'), ContactState.REQUESTED);
  await until('dee to see the request', async () => (await contactState(dee, 'cyd')) === ContactState.PENDING);
  assert.equal((await dee.listContacts()).find((c) => c.username === 'cyd')?.text, 'hi dee, cyd here');
  await dee.respondToContact('cyd', 'accept');
  assert.equal(await contactState(dee, 'cyd'), ContactState.ACCEPTED);
  await until('cyd to see the acceptance', async () => (await contactState(cyd, 'dee')) === ContactState.ACCEPTED);
  // Only an accepted contact can be talked to; this pair now can.
  assert.ok(await cyd.openDirect('dee'));
});

test('contacts: asking an accepted contact again is refused with a clear error, not reported as sent', async () => {
  await assert.rejects(ada().requestContact('bob', 'again?'), (error: unknown) =>
    error instanceof ClientError && error.code === 'INVALID_INPUT' && /bob is already your contact/.test(error.message));
  assert.equal(await contactState(ada(), 'bob'), ContactState.ACCEPTED);
});

test('contacts: a declined request is DECLINED for the decliner, the asker is not told, and no 1:1 can be opened', async () => {
  const eve = await newMember('eve');
  const fay = await newMember('fay');
  await eve.requestContact('fay', 'hello');
  await until('fay to see the request', async () => (await contactState(fay, 'eve')) === ContactState.PENDING);
  await fay.respondToContact('eve', 'decline');
  assert.equal(await contactState(fay, 'eve'), ContactState.DECLINED);
  await eve.idle();
  assert.equal(await contactState(eve, 'fay'), ContactState.REQUESTED, 'the requester is not told');
  await assert.rejects(fay.openDirect('eve'), (error: unknown) => error instanceof ClientError && error.code === 'NOT_A_CONTACT');
});

test('contacts: after a block, the blocked member\'s later requests are swallowed without telling them', async () => {
  const gus = await newMember('gus');
  const hal = await newMember('hal');
  await gus.requestContact('hal', 'first');
  await until('hal to see the request', async () => (await contactState(hal, 'gus')) === ContactState.PENDING);
  await hal.respondToContact('gus', 'block');
  assert.equal(await contactState(hal, 'gus'), ContactState.BLOCKED);
  await gus.requestContact('hal', 'second'); // accepted by the server, as if it went through
  await new Promise((resolve) => setTimeout(resolve, 100));
  await hal.idle();
  const seen = (await hal.refreshContacts()).find((c) => c.username === 'gus');
  assert.equal(seen?.state, ContactState.BLOCKED);
  assert.notEqual(seen?.text, 'second');
});

test('sync drains the mailbox: messages sent while a member was away are all processed on connect, each once', async () => {
  const jon = await newMember('jon');
  const store = new MemoryClientStore();
  const kim = await registerMember(world.server, 'kim', { store });
  await makeContacts(jon, kim);
  const direct = await jon.openDirect('kim');
  await jon.sendText(direct, 'warm-up');
  await until('kim to get the warm-up', async () => (await kim.listDirectMessages('jon')).length === 1);
  await kim.close();
  for (let i = 0; i < 5; i++) await jon.sendText(direct, `while away ${i}`);

  const back = await SottoClient.open(inMemoryClientDeps(world.server, { store }));
  extra.push(back);
  await back.connect();
  const result = await back.sync(10_000);
  assert.ok(result.processed >= 5, `processed ${result.processed}`);
  // Right after sync, without waiting: what was queued at connect time is in the store.
  const bodies = (await back.listMessages(direct)).map((m) => m.body);
  assert.deepEqual(bodies.filter((b) => b.startsWith('while away')).sort(), [0, 1, 2, 3, 4].map((i) => `while away ${i}`));
  assert.equal(bodies.filter((b) => b === 'warm-up').length, 1);
});

test('unreadCount counts incoming messages until markRead, which tells the sender (delivered -> read)', async () => {
  const direct = await ada().openDirect('bob');
  const before = await bob().unreadCount(direct);
  const sent = await ada().sendText(direct, 'read me');
  await until('bob to get it', async () => (await bob().unreadCount(direct)) === before + 1);
  assert.equal(await ada().unreadCount(direct), 0, 'her own messages are never unread for the sender');
  const readBefore = (await ada().listMessages(direct)).filter((m) => m.outgoing && m.status === 'read').length;
  assert.equal(await bob().markRead(direct), before + 1);
  assert.equal(await bob().unreadCount(direct), 0);
  assert.equal(await bob().markRead(direct), 0, 'nothing left to mark');
  await until('ada to see her message read', async () =>
    (await ada().listMessages(direct)).find((m) => m.messageId === sent.messageId)?.status === 'read');
  assert.ok((await ada().listMessages(direct)).filter((m) => m.outgoing && m.status === 'read').length > readBefore);
});

test('safety numbers: both sides compute the same 60 digits; a third member gets a different one', async () => {
  const adaSees = await ada().safetyNumber('bob');
  const bobSees = await bob().safetyNumber('ada');
  assert.match(adaSees.replace(/\s/g, ''), /^\d{60}$/);
  assert.equal(adaSees, bobSees);
  const ivy = await newMember('ivy');
  assert.notEqual(await ivy.safetyNumber('ada'), adaSees);
  assert.equal(await ivy.safetyNumber('ada'), await ada().safetyNumber('ivy'));
});

/**
 * Disappearing messages on devices (issue 19), engine to engine over the in-memory server: any
 * member sets the timer and everyone sees a notice; messages sent under it disappear from every
 * device when their time is up (the clock moved forward, not waited for); turned off, new
 * messages stay; a timer outside a minute to 90 days is refused on both sides.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it times no media
 *   and restarts no shared service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AppContentSchema, create } from '@sotto/protocol';
import { ClientError, SottoClient } from '@sotto/core';
import { inMemoryClientDeps, until } from '../support/in-memory-members.js';
import { makeContacts, untilJoined } from '../support/member-steps.js';
import { internalsOf } from '../support/engine-internals.js';
import { SteppableClock } from '../support/steppable-clock.js';
import { startInMemoryServer, type InMemoryServer } from '@sotto/server/in-memory';

let server: InMemoryServer;
const clocks = { ada: new SteppableClock(), bob: new SteppableClock() };
let ada: SottoClient;
let bob: SottoClient;
let direct = '';

async function member(name: 'ada' | 'bob'): Promise<SottoClient> {
  const client = await SottoClient.register(inMemoryClientDeps(server, { clock: clocks[name] }), server.url, name);
  await client.connect();
  await client.sync();
  return client;
}

before(async () => {
  server = startInMemoryServer();
  ada = await member('ada');
  bob = await member('bob');
  await makeContacts(ada, bob);
  direct = await ada.openDirect('bob');
  await untilJoined(bob, direct);
});
after(async () => {
  await ada?.close();
  await bob?.close();
  await server?.close();
});

const bodies = async (client: SottoClient) => (await client.listMessages(direct, 500)).map((m) => m.body);

test('a member sets the timer: both see the notice, and both hold the timer', async () => {
  await bob.setDisappearing(direct, 3600);
  await until('ada to hear of the timer', async () => (await ada.disappearingTimer(direct)) === 3600);
  const notices = async (client: SottoClient) => (await client.listMessages(direct, 500)).filter((m) => m.notice === 'timer').map((m) => m.body);
  assert.deepEqual(await notices(ada), ['bob set disappearing messages to 1 hour']);
  assert.deepEqual(await notices(bob), ['You set disappearing messages to 1 hour']);
});

test('messages under the timer disappear from both devices when their hour is up; older ones stay', async () => {
  await ada.setDisappearing(direct, 0);
  await until('bob to see it off', async () => (await bob.disappearingTimer(direct)) === 0);
  await ada.sendText(direct, 'this one stays');
  await ada.setDisappearing(direct, 3600);
  await until('bob to see the timer', async () => (await bob.disappearingTimer(direct)) === 3600);
  const sent = await ada.sendText(direct, 'gone within the hour');
  await until('bob to read it', async () => (await bodies(bob)).includes('gone within the hour'));
  const atBob = (await bob.listMessages(direct, 500)).find((m) => m.messageId === sent.messageId)!;
  assert.ok(atBob.expiresAt! - clocks.bob.now() <= 3600_000 && atBob.expiresAt! - clocks.bob.now() > 3590_000, 'an hour from its arrival');
  // Fifty-nine minutes on: still there.
  clocks.ada.advance(59 * 60_000);
  clocks.bob.advance(59 * 60_000);
  assert.ok((await bodies(bob)).includes('gone within the hour'));
  // Two minutes more: gone from both stores, not just hidden.
  clocks.ada.advance(2 * 60_000);
  clocks.bob.advance(2 * 60_000);
  for (const [name, client] of [['ada', ada], ['bob', bob]] as const) {
    await until(`${name} to delete it`, async () => !(await internalsStore(client).getMessage(sent.messageId)));
    const left = await bodies(client);
    assert.ok(!left.includes('gone within the hour'), name);
    assert.ok(left.includes('this one stays'), `${name} keeps what was sent before the timer`);
  }
});

test('a timer outside a minute to 90 days is refused when set, and dropped when a hostile member sends one', async () => {
  for (const seconds of [1, 59, 90 * 86400 + 1, 1.5]) {
    await assert.rejects(ada.setDisappearing(direct, seconds), (error: unknown) => error instanceof ClientError && error.code === 'INVALID_INPUT');
  }
  const drops: string[] = [];
  const off = bob.events.didDrop.event((d) => drops.push(d.reason));
  const content = create(AppContentSchema, { messageId: randomBytes(16), sentAt: BigInt(Date.now()), body: { case: 'timer', value: { seconds: 5 } } });
  await (internalsOf(ada) as unknown as { send(c: { groupId: string }, content: unknown): Promise<void> }).send({ groupId: direct }, content);
  await until('bob to drop it', async () => drops.length > 0);
  off();
  assert.equal(await bob.disappearingTimer(direct), 3600, 'the timer is what it was');
});

function internalsStore(client: SottoClient): { getMessage(id: string): Promise<unknown> } {
  return (client as unknown as { deps: { store: { getMessage(id: string): Promise<unknown> } } }).deps.store;
}

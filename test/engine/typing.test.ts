/**
 * Typing indicators (issue 19), engine to engine over the in-memory server, with clocks the test
 * moves: "ada is typing" reaches bob and clears when she stops, when her message arrives, or 8 s
 * after her newest; keystrokes are paced to one indicator per 5 s; off on one side means neither
 * sees the other's; an indicator from the member's own account or sent long ago is not shown; and
 * a device that was offline while 100 indicators came and went (the server forgot them) still
 * reads the next message: the skipped MLS generations are bounded and within reach.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it times no media
 *   and restarts no shared service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AppContentSchema, create } from '@sotto/protocol';
import { MAX_QUIET_BETWEEN_STORED, MemoryClientStore, SottoClient, TYPING_SHOWN_MS } from '@sotto/core';
import { startInMemoryServer, type InMemoryServer } from '@sotto/server/in-memory';
import { inMemoryClientDeps, until } from '../support/in-memory-members.js';
import { makeContacts, untilJoined } from '../support/member-steps.js';
import { SteppableClock } from '../support/steppable-clock.js';

const clocks = { ada: new SteppableClock(), bob: new SteppableClock(), server: new SteppableClock() };
const bobStore = new MemoryClientStore();
let server: InMemoryServer;
let ada: SottoClient;
let bob: SottoClient;
let direct = '';

interface QuietInternals {
  sendQuiet(groupId: string, content: unknown, expiresAt: number): Promise<boolean>;
}
const quietOf = (client: SottoClient) => (client as unknown as { conversations: QuietInternals }).conversations;

/** Counts the indicators `client` really sends (what its pacing lets through). */
function countQuietSends(client: SottoClient): { readonly count: number; stop(): void } {
  const internals = quietOf(client);
  const original = internals.sendQuiet.bind(internals);
  const counter = { count: 0, stop: () => { internals.sendQuiet = original; } };
  internals.sendQuiet = async (...args) => {
    counter.count += 1;
    return original(...args);
  };
  return counter;
}

async function member(name: 'ada' | 'bob', store?: MemoryClientStore): Promise<SottoClient> {
  const client = await SottoClient.register(inMemoryClientDeps(server, { clock: clocks[name], ...(store ? { store } : {}) }), server.url, name);
  await client.connect();
  await client.sync();
  return client;
}

before(async () => {
  server = startInMemoryServer({ now: () => clocks.server.now() });
  ada = await member('ada');
  bob = await member('bob', bobStore);
  await makeContacts(ada, bob);
  direct = await ada.openDirect('bob');
  await untilJoined(bob, direct);
});
after(async () => {
  await ada?.close();
  await bob?.close();
  await server?.close();
});

test('ada typing shows at bob (not at ada), and clears when she stops, when her message arrives, and 8 s after her newest', async () => {
  await ada.typing.set(direct, true);
  await until('bob to see ada typing', async () => bob.typing.in(direct).join() === 'ada');
  assert.deepEqual(ada.typing.in(direct), [], 'nobody is shown their own typing');
  await ada.typing.set(direct, false);
  await until('it to clear when she stops', async () => bob.typing.in(direct).length === 0);

  await ada.typing.set(direct, true);
  await until('bob to see ada typing again', async () => bob.typing.in(direct).join() === 'ada');
  await ada.sendText(direct, 'here is the address');
  await until('her message to clear it', async () => bob.typing.in(direct).length === 0);
  assert.ok((await bob.listMessages(direct)).some((m) => m.body === 'here is the address'));

  await ada.typing.set(direct, true);
  await until('bob to see ada typing a third time', async () => bob.typing.in(direct).join() === 'ada');
  clocks.bob.advance(TYPING_SHOWN_MS + 1);
  assert.deepEqual(bob.typing.in(direct), [], 'no newer indicator within 8 s: no longer shown');
  await ada.typing.set(direct, false);
});

test('keystrokes are paced: one indicator per 5 s while typing, one "stopped", nothing for a stop without typing', async () => {
  const sends = countQuietSends(ada);
  try {
    for (let i = 0; i < 20; i++) await ada.typing.set(direct, true);
    assert.equal(sends.count, 1);
    clocks.ada.advance(5_000);
    await ada.typing.set(direct, true);
    assert.equal(sends.count, 2, 'refreshed after 5 s');
    for (let i = 0; i < 3; i++) await ada.typing.set(direct, false);
    assert.equal(sends.count, 3, 'one "stopped"');
    await ada.typing.set(direct, false);
    assert.equal(sends.count, 3);
  } finally {
    sends.stop();
  }
});

test('typing indicators off on one side: neither sees the other\'s', async () => {
  await bob.updateSettings({ typingIndicators: false });
  const bobSends = countQuietSends(bob);
  const shownAtBob: string[] = [];
  const off = bob.events.didChangeTyping.event(({ groupId }) => shownAtBob.push(...bob.typing.in(groupId)));
  try {
    await bob.typing.set(direct, true);
    assert.equal(bobSends.count, 0, 'bob, with them off, tells nobody');
    await ada.typing.set(direct, true);
    await ada.sendText(direct, 'a message after typing');
    await until('bob to get the message', async () => (await bob.listMessages(direct)).some((m) => m.body === 'a message after typing'));
    await bob.idle();
    assert.deepEqual(shownAtBob, [], 'and is shown nobody typing');
  } finally {
    off();
    bobSends.stop();
    await bob.updateSettings({ typingIndicators: true });
  }
});

test('an indicator sent more than 15 s ago is not shown', async () => {
  const send = (from: SottoClient, sentAt: number) => quietOf(from).sendQuiet(direct,
    create(AppContentSchema, { messageId: randomBytes(16), sentAt: BigInt(sentAt), body: { case: 'typing', value: { stopped: false } } }), clocks.server.now() + 15_000);
  await send(ada, clocks.ada.now() - 60_000);
  await ada.sendText(direct, 'after a stale indicator');
  await until('bob to get the message', async () => (await bob.listMessages(direct)).some((m) => m.body === 'after a stale indicator'));
  assert.deepEqual(bob.typing.in(direct), []);
});

test('a device offline while 100 indicators came and went still reads the next message; a 101st waits for a stored message', async () => {
  await bob.close();
  const quiet = quietOf(ada);
  const typing = () => create(AppContentSchema, { messageId: randomBytes(16), sentAt: BigInt(clocks.ada.now()), body: { case: 'typing', value: { stopped: false } } });
  // The count since ada's last stored message starts again with her last text above.
  for (let i = 0; i < MAX_QUIET_BETWEEN_STORED; i++) assert.equal(await quiet.sendQuiet(direct, typing(), clocks.server.now() + 15_000), true);
  assert.equal(await quiet.sendQuiet(direct, typing(), clocks.server.now() + 15_000), false, 'the 101st is not sent');
  // The server forgets them all before bob is back.
  clocks.server.advance(16_000);
  await ada.sendText(direct, 'after the gap');
  assert.equal(await quiet.sendQuiet(direct, typing(), clocks.server.now() + 15_000), true, 'a stored message starts the count again');

  bob = await SottoClient.open(inMemoryClientDeps(server, { clock: clocks.bob, store: bobStore }));
  await bob.connect();
  await bob.sync(10_000);
  await until('bob to read the message after 100 skipped generations', async () => (await bob.listMessages(direct)).some((m) => m.body === 'after the gap'));
  const drops: string[] = [];
  bob.events.didDrop.event((d) => drops.push(d.reason));
  await ada.sendText(direct, 'and the next');
  await until('and the next', async () => (await bob.listMessages(direct)).some((m) => m.body === 'and the next'));
  assert.deepEqual(drops, []);
});

/**
 * Scenario (issue 16): five real SottoClients and the server core in ONE process, with no
 * network: an in-memory store, the local bus and in-memory socket pairs (`@sotto/server/in-memory`).
 * They register, become contacts, talk 1:1 and in a group, and every message is shown exactly
 * once on every device that should have it. The base for unit tests of the engine's client,
 * conversations, session and call controller.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it times no media
 *   and restarts no shared service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ContactState } from '@sotto/protocol';
import type { SottoClient, StoredMessage } from '@sotto/core';
import { startInMemoryWorld, until, type InMemoryWorld } from '../support/in-memory-members.js';

const NAMES = ['ada', 'bob', 'cyd', 'dee', 'eve'] as const;
let world: InMemoryWorld;
let started = 0;

before(async () => {
  started = performance.now();
  world = await startInMemoryWorld(NAMES);
});

after(async () => {
  await world?.close();
});

/** What members wrote, sorted (not the notices the chat keeps, such as "bob accepted your request"). */
const bodies = (messages: StoredMessage[]) => messages.filter((m) => m.notice === undefined).map((m) => m.body).sort();
const member = (name: (typeof NAMES)[number]): SottoClient => world.members[NAMES.indexOf(name)]!;

test('five members register and connect to the in-memory server', () => {
  assert.equal(world.members.length, NAMES.length);
  assert.equal(world.server.connections, NAMES.length, 'one open connection each');
  for (const client of world.members) assert.equal(client.connectionState, 'ready');
});

test('contacts: ada asks everyone, everyone accepts', async () => {
  const ada = member('ada');
  const others = world.members.slice(1);
  for (const name of NAMES.slice(1)) await ada.requestContact(name, `hello ${name}, this is ada`);
  for (const other of others) {
    await until('the request to arrive', async () => (await other.refreshContacts()).some((c) => c.username === 'ada' && c.state === ContactState.PENDING));
    const request = (await other.listContacts()).find((c) => c.username === 'ada');
    assert.match(request?.text ?? '', /this is ada/);
    await other.respondToContact('ada', 'accept');
  }
  await until('every acceptance to reach ada', async () => (await ada.refreshContacts()).filter((c) => c.state === ContactState.ACCEPTED).length === others.length);
});

test('1:1: ada and each other member exchange one message each way, each shown once', async () => {
  const ada = member('ada');
  for (const name of NAMES.slice(1)) {
    const other = member(name);
    const direct = await ada.openDirect(name);
    await ada.sendText(direct, `ada to ${name}`);
    await until(`${name} to receive ada's message`, async () => (await other.listDirectMessages('ada')).length === 1);
    await other.sendText(direct, `${name} to ada`);
    await until(`ada to receive ${name}'s reply`, async () => bodies(await ada.listMessages(direct)).length === 2);
  }
  for (const name of NAMES.slice(1)) {
    const other = member(name);
    const direct = await ada.findDirect(name);
    assert.ok(direct, `ada has a direct conversation with ${name}`);
    const expected = [`${name} to ada`, `ada to ${name}`].sort();
    assert.deepEqual(bodies(await ada.listMessages(direct)), expected);
    assert.deepEqual(bodies(await other.listDirectMessages('ada')), expected);
  }
});

test('a group of five: each member sends one message, and every member shows all five once', async () => {
  const ada = member('ada');
  const group = await ada.createGroup('all five', NAMES.slice(1));
  for (const client of world.members.slice(1)) {
    await until('the member to join', async () => (await client.listConversations()).some((c) => c.groupId === group.groupId && c.active));
  }
  // Everyone in the group has everyone else as a member, whether or not they are each other's contacts.
  for (const client of world.members) assert.deepEqual([...(await client.members(group.groupId))].sort(), [...NAMES]);

  for (const [i, client] of world.members.entries()) await client.sendText(group.groupId, `${NAMES[i]} to all`);
  const expected = NAMES.map((name) => `${name} to all`).sort();
  for (const client of world.members) {
    await until('all five messages', async () => (await client.listMessages(group.groupId)).length >= NAMES.length);
    await client.idle();
    assert.deepEqual(bodies(await client.listMessages(group.groupId)), expected);
  }
});

test('the whole scenario runs in seconds, in one process', () => {
  const seconds = (performance.now() - started) / 1000;
  assert.ok(seconds < 30, `took ${seconds.toFixed(1)} s`);
  console.log(`in-memory scenario: ${NAMES.length} members, ${seconds.toFixed(2)} s`);
});

/**
 * Scenario (issue 16): the engine's API addresses conversations by id. Two groups with the same
 * name are each reached by their own id (the web app sends by `chat.groupId`), a direct
 * conversation is found or started by `openDirect`, the public send keeps its checks, and sends
 * made without awaiting go out in call order (what `send --stdin` relies on).
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it times no media
 *   and restarts no shared service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ContactState } from '@sotto/protocol';
import { SottoClient, type StoredMessage } from '@sotto/core';
import { nodeClientDeps, registerNodeClient } from '@sotto/client-node';
import { startServer } from '@sotto/server';
import { scratchDir } from '../support/paths.js';

const dir = scratchDir('engine-by-id');
let server: Awaited<ReturnType<typeof startServer>>;
const clients: SottoClient[] = [];

async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function member(name: string): Promise<SottoClient> {
  const registered = await registerNodeClient({ profileDir: join(dir.path, name), logLevel: 'silent', reconnect: false }, server.url, name);
  await registered.connect();
  await registered.idle();
  await registered.close();
  const client = await SottoClient.open(nodeClientDeps({ profileDir: join(dir.path, name), logLevel: 'silent', reconnect: false }));
  await client.connect();
  await client.sync();
  clients.push(client);
  return client;
}

const bodies = (messages: StoredMessage[]) => messages.map((m) => m.body);

let alice: SottoClient;
let bob: SottoClient;

before(async () => {
  server = await startServer({ dataDir: join(dir.path, 'server'), port: 0, logLevel: 'silent' });
  alice = await member('alice');
  bob = await member('bob');
  await alice.requestContact('bob', 'hi');
  await until('bob to see the request', async () => (await bob.refreshContacts()).some((c) => c.username === 'alice'));
  await bob.respondToContact('alice', 'accept');
  await until('alice to see the acceptance', async () => (await alice.refreshContacts()).some((c) => c.username === 'bob' && c.state === ContactState.ACCEPTED));
});

after(async () => {
  for (const client of clients) await client.close();
  await server?.close();
  dir.remove();
});

test('two groups with the same name each get their own messages, sent by id', async () => {
  const first = (await alice.createGroup('club', ['bob'])).groupId;
  const second = (await alice.createGroup('club', ['bob'])).groupId;
  assert.notEqual(first, second);
  await until('bob to join both', async () => (await bob.listConversations()).filter((c) => c.name === 'club' && c.active).length === 2);

  await alice.sendText(first, 'to the first club');
  await alice.sendText(second, 'to the second club');
  await until('bob to receive both', async () => (await bob.listMessages(first)).length + (await bob.listMessages(second)).length >= 2);
  assert.deepEqual(bodies(await bob.listMessages(first)), ['to the first club']);
  assert.deepEqual(bodies(await bob.listMessages(second)), ['to the second club']);
  assert.deepEqual(await alice.members(first), ['alice', 'bob']);

  // Group changes by id: bob leaves the second; the first is untouched and still works.
  await bob.leave(second);
  await alice.sendText(first, 'still here');
  await until('bob to receive it', async () => bodies(await bob.listMessages(first)).includes('still here'));
  assert.equal((await bob.listConversations()).find((c) => c.groupId === second)?.active, false);
  await assert.rejects(bob.sendText(second, 'after leaving'), (e: Error & { code?: string }) => e.code === 'NO_CONVERSATION');
});

test('openDirect finds or starts the one 1:1; group changes refuse a direct conversation', async () => {
  const direct = await alice.openDirect('bob');
  assert.equal(await alice.openDirect('bob'), direct, 'the same conversation, not a second one');
  assert.equal(await alice.findDirect('bob'), direct);
  await assert.rejects(alice.addMembers(direct, ['bob']), (e: Error & { code?: string }) => e.code === 'UNKNOWN_GROUP');
  await assert.rejects(alice.openDirect('nobody'), (e: Error & { code?: string }) => e.code === 'NOT_A_CONTACT');
});

test('the public send keeps its checks, and unawaited sends go out in call order', async () => {
  const direct = await alice.openDirect('bob');
  await assert.rejects(alice.sendText(direct, ''), (e: Error & { code?: string }) => e.code === 'INVALID_INPUT');
  await assert.rejects(alice.sendText(direct, 'x'.repeat(100_000)), (e: Error & { code?: string }) => e.code === 'INVALID_INPUT');
  await assert.rejects(alice.sendText(direct, 'bell\u0007'), (e: Error & { code?: string }) => e.code === 'INVALID_INPUT');

  const received: string[] = [];
  const stop = bob.events.didReceiveMessage.event((m) => {
    if (m.body.startsWith('line ')) received.push(m.body);
  });
  const lines = Array.from({ length: 40 }, (_, i) => `line ${i}`);
  const sent = await Promise.all(lines.map((line) => alice.sendText(direct, line)));
  assert.deepEqual(sent.map((m) => m.body), lines);
  await until('bob to receive every line', async () => received.length === lines.length);
  stop();
  assert.deepEqual(received, lines);
});

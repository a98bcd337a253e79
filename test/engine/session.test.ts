/**
 * Unit tests of the engine's session (core/src/session.ts), driven through a real SottoClient
 * against the in-memory server: the challenge/hello handshake, responses matched to requests by
 * id, a request with no answer timing out, reconnecting after the link drops, and stopping for
 * good when the server requires a newer client.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it times no media
 *   and restarts no shared service.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientError, RemoteError, SottoClient, type Clock } from '@sotto/core';
import { nodeClock } from '@sotto/client-node';
import { ErrorCode } from '@sotto/protocol';
import { startInMemoryServer, type InMemoryServer } from '@sotto/server/in-memory';
import { inMemoryClientDeps, registerMember, until } from '../support/in-memory-members.js';
import { watchedTransport } from '../support/watched-transport.js';

const servers: InMemoryServer[] = [];
const clients: SottoClient[] = [];
after(async () => {
  for (const client of clients) await client.close();
  for (const server of servers) await server.close();
});

function server(): InMemoryServer {
  const started = startInMemoryServer();
  servers.push(started);
  return started;
}

async function member(on: InMemoryServer, username: string, overrides: Parameters<typeof registerMember>[2] = {}): Promise<SottoClient> {
  const client = await registerMember(on, username, overrides);
  clients.push(client);
  return client;
}

/** The Node clock with the session's 20 s request timeout cut to `ms`, so a lost answer fails fast. */
function clockWithRequestTimeout(ms: number): Clock {
  return { ...nodeClock, setTimeout: (fn, delay) => nodeClock.setTimeout(fn, delay === 20_000 ? ms : delay) };
}

test('handshake: register answers the challenge with a register hello, then open logs in with the new device', async () => {
  const on = server();
  const deps = inMemoryClientDeps(on);
  const registered = await SottoClient.register(deps, on.url, 'ada');
  const identity = await deps.store.getIdentity();
  assert.ok(identity?.deviceId, 'the server gave the device an id in HelloOk');
  await until('the registering connection to close', async () => on.connections === 0, 2_000);
  assert.equal(registered.connectionState, 'idle');

  await registered.connect();
  clients.push(registered);
  assert.equal(registered.connectionState, 'ready');
  assert.equal(on.connections, 1);
});

test('handshake: a hello the server refuses rejects connect with its reason and leaves no connection', async () => {
  const on = server();
  const ada = await member(on, 'ada');
  const impostor = inMemoryClientDeps(on);
  // A profile claiming ada's device with bob's key: its signature over the challenge cannot verify.
  const other = inMemoryClientDeps(on);
  await SottoClient.register(other, on.url, 'bob');
  const bobIdentity = (await other.store.getIdentity())!;
  await impostor.store.apply({ identity: { ...bobIdentity, username: 'ada', deviceId: ada.identity.deviceId } });
  const client = await SottoClient.open(impostor);
  let refusal: ErrorCode | undefined;
  await assert.rejects(client.connect(), (error: unknown) => {
    assert.ok(error instanceof RemoteError, String(error));
    refusal = error.wireCode;
    return true;
  });
  assert.equal(refusal, ErrorCode.BAD_SIGNATURE);
  assert.notEqual(client.connectionState, 'ready');
  client.close().catch(() => undefined);
});

test('requests are matched to their responses by id, however many are in flight', async () => {
  const on = server();
  const names = ['ada', 'bob', 'cyd', 'dee'];
  const [ada, ...others] = await Promise.all(names.map((name) => member(on, name)));
  for (const other of others) await ada!.requestContact(other.identity.username, 'hi');
  for (const other of others) {
    await until('the request', async () => (await other.refreshContacts()).some((c) => c.username === 'ada'));
    await other.respondToContact('ada', 'accept');
  }
  await until('all accepted', async () => (await ada!.refreshContacts()).length === others.length);
  // Each safety-number lookup asks the server for that member's devices: answers must not cross.
  const inFlight = await Promise.all(others.map((other) => ada!.safetyNumber(other.identity.username)));
  const oneByOne: string[] = [];
  for (const other of others) oneByOne.push(await ada!.safetyNumber(other.identity.username));
  assert.deepEqual(inFlight, oneByOne);
  assert.equal(new Set(inFlight).size, others.length, 'each member has a different safety number');
});

test('a request the server never answers fails with TIMEOUT', async () => {
  const on = server();
  const transport = watchedTransport(on);
  const ada = await member(on, 'ada', { transport, clock: clockWithRequestTimeout(150) });
  transport.stallLatest();
  const started = performance.now();
  await assert.rejects(ada.refreshContacts(), (error: unknown) => error instanceof ClientError && error.code === 'TIMEOUT');
  const waited = performance.now() - started;
  assert.ok(waited >= 140 && waited < 2_000, `timed out after ${waited.toFixed(0)} ms`);
});

test('after the server drops the connection, the session reconnects and requests work again', async () => {
  const on = server();
  const transport = watchedTransport(on);
  const ada = await member(on, 'ada', { transport, reconnect: true });
  const states: string[] = [];
  const opensBefore = transport.opens; // the register probe and the connection
  transport.dropLatest();
  await until('the session to notice', async () => (states.push(ada.connectionState), ada.connectionState !== 'ready'), 2_000);
  await until('the session to be ready again', async () => ada.connectionState === 'ready', 5_000);
  assert.ok(states.includes('reconnecting'), `states seen: ${states.join(', ')}`);
  assert.equal(transport.opens, opensBefore + 1, 'one new connection');
  await until('the server to let the dropped connection go', async () => on.connections === 1, 2_000);
  assert.deepEqual(await ada.refreshContacts(), []);
});

test('a request in flight when the link drops fails with NOT_CONNECTED rather than hanging', async () => {
  const on = server();
  const transport = watchedTransport(on);
  const ada = await member(on, 'ada', { transport });
  transport.stallLatest();
  const pending = ada.refreshContacts();
  transport.dropLatest();
  await assert.rejects(pending, (error: unknown) => error instanceof ClientError && error.code === 'NOT_CONNECTED');
  assert.equal(ada.connectionState, 'idle', 'reconnect is off for this client');
});

test('UPDATE_REQUIRED at a reconnect stops the session for good, with the reason kept', async () => {
  const on = server();
  const transport = watchedTransport(on);
  const ada = await member(on, 'ada', { transport, reconnect: true, clientVersion: '1.0.0' });
  await on.store.setSetting('min_client_version', '2.0.0');
  transport.dropLatest();
  await until('the session to stop', async () => ada.stopReason !== undefined, 5_000);
  const reason = ada.stopReason;
  assert.ok(reason instanceof RemoteError && reason.wireCode === ErrorCode.UPDATE_REQUIRED, `stopped for ${String(reason)}`);
  const opens = transport.opens;
  // The first backoff is at most 250 ms: a session that kept trying would have opened again.
  await new Promise((resolve) => setTimeout(resolve, 600));
  assert.equal(transport.opens, opens, 'no further connection attempts');
  assert.notEqual(ada.connectionState, 'ready');
  await assert.rejects(ada.refreshContacts(), (error: unknown) => error instanceof RemoteError && error.wireCode === ErrorCode.UPDATE_REQUIRED);
});

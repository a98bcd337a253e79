/**
 * Calls with linked devices (issue 17), engine to engine over the in-memory server, with a
 * recording media port on every device: a call rings on every device of the callee; the first
 * to accept takes it and the others stop ringing ("answered on another device"), their media
 * port never touched; a decline on one device declines for the account; the caller's other
 * device hears nothing of the call; each device keeps the consent rules on its own.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it times no media
 *   and restarts no shared service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SottoClient, type CallState } from '@sotto/core';
import { inMemoryClientDeps, registerMember, until } from '../support/in-memory-members.js';
import { makeContacts, untilJoined } from '../support/member-steps.js';
import { recordingCallMedia, type RecordingCallMedia } from '../support/recording-call-media.js';
import { startInMemoryServer, type InMemoryServer } from '@sotto/server/in-memory';

type Device = 'ada' | 'bob' | 'bob2';
let server: InMemoryServer;
const clients = new Map<Device, SottoClient>();
const media = new Map<Device, RecordingCallMedia>();
/** What each device's screen was told: rings shown and refusals, in order. */
const heard = new Map<Device, string[]>();

function watch(device: Device, client: SottoClient): void {
  const log: string[] = [];
  heard.set(device, log);
  client.calls.events.didRing.event(({ peer }) => log.push(`ring:${peer}`));
  client.calls.events.didRefuseInput.event(({ code }) => log.push(`refused:${code}`));
}

before(async () => {
  server = startInMemoryServer();
  for (const name of ['ada', 'bob'] as const) {
    const port = recordingCallMedia();
    media.set(name, port);
    clients.set(name, await registerMember(server, name, { calls: { media: port } }));
  }
  await makeContacts(device('ada'), device('bob'));
  const direct = await device('ada').openDirect('bob');
  await untilJoined(device('bob'), direct);
  // bob links a second device, which joins the direct conversation with ada.
  const port = recordingCallMedia();
  media.set('bob2', port);
  const link = await device('bob').devices.link();
  const [bob2] = await Promise.all([SottoClient.joinWithLink(inMemoryClientDeps(server, { calls: { media: port } }), server.url, link.code), link.linked]);
  clients.set('bob2', bob2);
  await untilJoined(bob2, direct);
  // A message from ada that bob2 reads shows ada's side holds both of bob's devices too.
  await device('ada').sendText(direct, 'to both of your devices');
  await until('bob2 to read ada', async () => (await bob2.listMessages(direct)).some((m) => m.body === 'to both of your devices'));
  for (const [name, client] of clients) watch(name, client);
});
after(async () => {
  for (const client of clients.values()) await client.close();
  await server?.close();
});

const device = (name: Device): SottoClient => clients.get(name)!;
const mediaOf = (name: Device): string[] => media.get(name)!.log;
const state = (name: Device): CallState => device(name).calls.current;

async function untilCall(name: Device, kind: CallState['kind']): Promise<CallState> {
  await until(`${name}'s call to be ${kind}`, async () => state(name).kind === kind, 5_000);
  return state(name);
}

/** Ends every live call and clears the logs, so each test starts idle. */
async function reset(): Promise<void> {
  for (const name of clients.keys()) {
    if (!['idle', 'ended'].includes(state(name).kind)) await device(name).calls.hangup().catch(() => undefined);
  }
  for (const name of clients.keys()) {
    await until(`${name} to be quiet`, async () => ['idle', 'ended'].includes(state(name).kind));
    await device(name).calls.idle();
    mediaOf(name).length = 0;
    heard.get(name)!.length = 0;
  }
}

const ended = (s: CallState) => (s.kind === 'ended' ? `${s.reason}/${s.outcome}` : s.kind);

test('a call rings on every device; the first to accept takes it and the other stops ringing, its media untouched', async () => {
  await reset();
  await device('ada').calls.place('bob');
  await untilCall('bob', 'incoming-ringing');
  await untilCall('bob2', 'incoming-ringing');
  assert.deepEqual(heard.get('bob'), ['ring:ada']);
  assert.deepEqual(heard.get('bob2'), ['ring:ada']);

  await device('bob2').calls.accept();
  await untilCall('bob2', 'active');
  const ada = await untilCall('ada', 'active');
  assert.equal(ada.kind === 'active' ? ada.peerDevice : undefined, device('bob2').identity.deviceId, "ada's call is with the device that accepted");
  assert.equal(ended(await untilCall('bob', 'ended')), 'answered-elsewhere/answered-elsewhere');
  assert.deepEqual(mediaOf('bob'), [], 'the phone that did not answer never touched RTC');
  assert.deepEqual(heard.get('bob'), ['ring:ada'], 'and refused nothing: the offer to its sibling is routine');

  await device('ada').calls.hangup();
  assert.equal(ended(await untilCall('bob2', 'ended')), 'hangup-remote/answered');
  assert.equal((await device('bob').listCallLog(1)).at(-1)?.outcome, 'answered-elsewhere');
  assert.equal((await device('bob2').listCallLog(1)).at(-1)?.outcome, 'answered');
  assert.deepEqual(mediaOf('bob'), []);
});

test('declining on one device declines the call for the account: the caller hears declined, the other device stops', async () => {
  await reset();
  await device('ada').calls.place('bob');
  await untilCall('bob2', 'incoming-ringing');
  await untilCall('bob', 'incoming-ringing');
  await device('bob').calls.decline();
  assert.equal(ended(await untilCall('ada', 'ended')), 'declined-remote/declined');
  assert.equal(ended(await untilCall('bob2', 'ended')), 'declined-elsewhere/declined');
  for (const name of ['ada', 'bob', 'bob2'] as const) assert.deepEqual(mediaOf(name), [], name);
});

test('the caller hanging up while it rings stops every device of the callee', async () => {
  await reset();
  await device('ada').calls.place('bob');
  await untilCall('bob', 'incoming-ringing');
  await untilCall('bob2', 'incoming-ringing');
  await device('ada').calls.hangup();
  assert.equal(ended(await untilCall('bob', 'ended')), 'missed/missed');
  assert.equal(ended(await untilCall('bob2', 'ended')), 'missed/missed');
});

test('both devices accept at once: one gets the call, the other ends as answered elsewhere without a peer connection', async () => {
  await reset();
  await device('ada').calls.place('bob');
  await untilCall('bob', 'incoming-ringing');
  await untilCall('bob2', 'incoming-ringing');
  await Promise.all([device('bob').calls.accept(), device('bob2').calls.accept()]);
  await untilCall('ada', 'active');
  const adaCall = state('ada');
  const chosen = adaCall.kind === 'active' && adaCall.peerDevice === device('bob').identity.deviceId ? 'bob' : 'bob2';
  const other = chosen === 'bob' ? 'bob2' : 'bob';
  await untilCall(chosen, 'active');
  assert.equal(ended(await untilCall(other, 'ended')), 'answered-elsewhere/answered-elsewhere');
  assert.ok(!mediaOf(other).includes('createSession'), `the other device built no peer connection: ${mediaOf(other).join(', ')}`);
  await device('ada').calls.hangup();
  await untilCall(chosen, 'ended');
});

test("the caller's other device hears nothing of its sibling's call, and refuses nothing", async () => {
  await reset();
  const before = state('bob2');
  await device('bob').calls.place('ada');
  await untilCall('ada', 'incoming-ringing');
  await device('ada').calls.accept();
  await untilCall('ada', 'active');
  await untilCall('bob', 'active');
  await device('bob').calls.hangup();
  await untilCall('ada', 'ended');
  await device('bob2').calls.idle();
  assert.equal(state('bob2'), before, 'no call ever showed on the sibling');
  assert.deepEqual(heard.get('bob2'), [], 'no ring, no refusal');
  assert.deepEqual(mediaOf('bob2'), []);
});

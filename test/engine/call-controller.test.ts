/**
 * Unit tests of the engine's call shell (core/src/calls/call-controller.ts) between in-memory
 * clients, with a recording media port instead of RTC: placing, ringing, accepting, declining and
 * hanging up; consent (the callee's media port is untouched until it accepts); busy for a second
 * caller; and a ring from a non-contact arriving only as a call request.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it times no media
 *   and restarts no shared service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientError, type CallState, type SottoClient } from '@sotto/core';
import { ContactState } from '@sotto/protocol';
import { registerMember, until } from '../support/in-memory-members.js';
import { contactState, makeContacts } from '../support/member-steps.js';
import { recordingCallMedia, type RecordingCallMedia } from '../support/recording-call-media.js';
import { startInMemoryServer, type InMemoryServer } from '@sotto/server/in-memory';

const NAMES = ['ada', 'bob', 'cyd', 'dee'] as const;
type Name = (typeof NAMES)[number];
let server: InMemoryServer;
const clients = new Map<Name, SottoClient>();
const media = new Map<Name, RecordingCallMedia>();

before(async () => {
  server = startInMemoryServer();
  for (const name of NAMES) {
    const port = recordingCallMedia();
    media.set(name, port);
    clients.set(name, await registerMember(server, name, { calls: { media: port } }));
  }
  await makeContacts(member('ada'), member('bob'));
  await makeContacts(member('cyd'), member('bob'));
  // dee is nobody's contact.
});
after(async () => {
  for (const client of clients.values()) await client.close();
  await server?.close();
});

const member = (name: Name): SottoClient => clients.get(name)!;
const mediaOf = (name: Name): string[] => media.get(name)!.log;
const state = (name: Name): CallState => member(name).calls.current;

/** Waits for `name`'s call to reach `kind`. */
async function untilCall(name: Name, kind: CallState['kind']): Promise<CallState> {
  await until(`${name}'s call to be ${kind}`, async () => state(name).kind === kind, 5_000);
  return state(name);
}

/** Ends whatever call `names` have and clears the media logs, so each test starts idle. */
async function reset(...names: Name[]): Promise<void> {
  for (const name of names) {
    if (!['idle', 'ended'].includes(state(name).kind)) await member(name).calls.hangup().catch(() => undefined);
    await member(name).calls.idle();
  }
  for (const name of names) mediaOf(name).length = 0;
}

test('place, ring, accept, hang up: both sides connect through the media port and end with the right reasons', async () => {
  await reset('ada', 'bob');
  const rings: string[] = [];
  const subscription = member('bob').calls.events.didRing.event(({ peer }) => rings.push(peer));
  const placed = await member('ada').calls.place('bob');
  assert.equal(placed.kind, 'ringing');
  await untilCall('bob', 'incoming-ringing');
  assert.deepEqual(rings, ['ada']);
  assert.equal(state('ada').kind, 'outgoing-ringing');
  assert.deepEqual(mediaOf('bob'), [], 'nothing touches the callee\'s media before accept');
  assert.deepEqual(mediaOf('ada'), [], 'nor the caller\'s: no candidates are gathered before consent');

  await member('bob').calls.accept();
  await untilCall('bob', 'active');
  await untilCall('ada', 'active');
  assert.ok(mediaOf('ada').includes('createOffer') && mediaOf('ada').includes('setRemoteDescription:answer'), mediaOf('ada').join(', '));
  assert.ok(mediaOf('bob').includes('setRemoteDescription:offer') && mediaOf('bob').includes('createAnswer'), mediaOf('bob').join(', '));
  assert.ok(mediaOf('bob').indexOf('openMicrophone') > -1, 'the callee opens its microphone once it accepted');

  await member('ada').calls.hangup();
  const adaEnd = await untilCall('ada', 'ended');
  const bobEnd = await untilCall('bob', 'ended');
  assert.equal(adaEnd.kind === 'ended' && adaEnd.reason, 'hangup-local');
  assert.equal(bobEnd.kind === 'ended' && bobEnd.reason, 'hangup-remote');
  await until('both media sessions closed', async () => mediaOf('ada').includes('close') && mediaOf('bob').includes('close'));
  subscription();
  const log = await member('bob').listCallLog(1);
  assert.equal(log.at(-1)?.peer, 'ada');
  assert.equal(log.at(-1)?.outcome, 'answered');
});

test('decline: the caller hears declined-remote and the callee\'s media port is never touched', async () => {
  await reset('ada', 'bob');
  await member('ada').calls.place('bob');
  await untilCall('bob', 'incoming-ringing');
  await member('bob').calls.decline();
  const bobEnd = await untilCall('bob', 'ended');
  const adaEnd = await untilCall('ada', 'ended');
  assert.equal(bobEnd.kind === 'ended' && bobEnd.reason, 'declined-local');
  assert.equal(adaEnd.kind === 'ended' && adaEnd.reason, 'declined-remote');
  assert.deepEqual(mediaOf('bob'), []);
  await assert.rejects(member('bob').calls.accept(), (error: unknown) => error instanceof ClientError && error.code === 'NO_CALL');
});

test('the caller hangs up while it rings: the callee stops ringing, still without media', async () => {
  await reset('ada', 'bob');
  await member('ada').calls.place('bob');
  await untilCall('bob', 'incoming-ringing');
  await member('ada').calls.hangup();
  await untilCall('bob', 'ended');
  assert.deepEqual(mediaOf('bob'), []);
  await assert.rejects(member('ada').calls.hangup(), (error: unknown) => error instanceof ClientError && error.code === 'NO_CALL');
});

test('busy: a second caller gets busy while the callee rings for the first, whose call goes on', async () => {
  await reset('ada', 'bob', 'cyd');
  await member('ada').calls.place('bob');
  await untilCall('bob', 'incoming-ringing');
  await member('cyd').calls.place('bob');
  const cydEnd = await untilCall('cyd', 'ended');
  assert.equal(cydEnd.kind === 'ended' && cydEnd.reason, 'busy');
  const bobNow = state('bob');
  assert.equal(bobNow.kind, 'incoming-ringing');
  assert.equal(bobNow.kind === 'incoming-ringing' && bobNow.peer, 'ada');
  assert.deepEqual(mediaOf('bob'), []);
  await assert.rejects(member('ada').calls.place('bob'), (error: unknown) => error instanceof ClientError && error.code === 'CALL_IN_PROGRESS');
  await member('bob').calls.decline();
  await untilCall('ada', 'ended');
});

test('a ring from a non-contact places no call: the callee gets only a call request, logged as a missed request', async () => {
  await reset('bob', 'dee');
  const result = await member('dee').calls.place('bob');
  assert.deepEqual(result, { kind: 'requested' });
  assert.equal(state('dee').kind, 'idle', 'the caller has no call to wait on');
  await until('bob to see dee\'s request', async () => (await contactState(member('bob'), 'dee')) === ContactState.PENDING);
  await until('bob to log a missed call request', async () => (await member('bob').listCallLog(5)).some((e) => e.peer === 'dee' && e.outcome === 'missed-request'));
  assert.ok(!['incoming-ringing', 'active'].includes(state('bob').kind), 'nothing rang');
  assert.deepEqual(mediaOf('dee'), []);
  assert.deepEqual(mediaOf('bob'), []);
});

test('in lockdown on a server without TURN, accepting refuses with NO_TURN and ends the call, so the caller is not left ringing', async () => {
  await reset('cyd', 'bob');
  await member('bob').lockdown.set(true);
  try {
    await member('cyd').calls.place('bob');
    await untilCall('bob', 'incoming-ringing');
    await assert.rejects(member('bob').calls.accept(), (error: unknown) =>
      error instanceof ClientError && error.code === 'NO_TURN' && /Relay-only calls need a TURN server/.test(error.message));
    const bobEnd = await untilCall('bob', 'ended');
    const cydEnd = await untilCall('cyd', 'ended');
    assert.equal(bobEnd.kind === 'ended' && bobEnd.reason, 'declined-local');
    assert.equal(cydEnd.kind === 'ended' && cydEnd.reason, 'declined-remote', 'the caller stops ringing');
    assert.deepEqual(mediaOf('bob'), [], 'no media was touched');
  } finally {
    await member('bob').lockdown.set(false);
  }
});

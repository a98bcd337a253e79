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

const NAMES = ['ada', 'bob', 'cyd', 'dee', 'eve', 'fay'] as const;
/** Their media carries video (as the browser's); the others' is voice only (as the CLI's). */
const WITH_VIDEO: readonly Name[] = ['eve', 'fay'];
type Name = (typeof NAMES)[number];
let server: InMemoryServer;
const clients = new Map<Name, SottoClient>();
const media = new Map<Name, RecordingCallMedia>();

before(async () => {
  server = startInMemoryServer();
  for (const name of NAMES) {
    const port = recordingCallMedia({ video: WITH_VIDEO.includes(name) });
    media.set(name, port);
    clients.set(name, await registerMember(server, name, { calls: { media: port } }));
  }
  await makeContacts(member('ada'), member('bob'));
  await makeContacts(member('cyd'), member('bob'));
  await makeContacts(member('eve'), member('fay'));
  await makeContacts(member('eve'), member('bob'));
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

/** `caller` calls `callee` (voice) and the callee takes it: both active. */
async function voiceCall(caller: Name, callee: Name): Promise<void> {
  await reset(caller, callee);
  await member(caller).calls.place(callee);
  await untilCall(callee, 'incoming-ringing');
  await member(callee).calls.accept();
  await untilCall(caller, 'active');
  await untilCall(callee, 'active');
  mediaOf(caller).length = 0;
  mediaOf(callee).length = 0;
}

test('a voice call moves to video by consent of both: no camera on either side until the ask is accepted, then one each', async () => {
  await voiceCall('eve', 'fay');
  await member('eve').calls.requestVideo();
  await until("fay to see eve's ask", async () => { const s = state('fay'); return s.kind === 'active' && s.upgrade?.step === 'asked'; });
  assert.deepEqual([...mediaOf('eve'), ...mediaOf('fay')], [], 'an ask opens nothing on either side');
  await member('fay').calls.acceptVideo();
  await until('both to be in a video call', async () => { const [e, f] = [state('eve'), state('fay')]; return e.kind === 'active' && e.media === 'video' && f.kind === 'active' && f.media === 'video'; });
  assert.deepEqual(mediaOf('eve'), ['enableVideo', 'openCamera', 'createOffer', 'setRemoteDescription:answer'], mediaOf('eve').join(', '));
  assert.deepEqual(mediaOf('fay'), ['enableVideo', 'openCamera', 'setRemoteDescription:offer', 'createAnswer'], mediaOf('fay').join(', '));
  await assert.rejects(member('eve').calls.requestVideo(), (error: unknown) => error instanceof ClientError && error.code === 'INVALID_INPUT');
  await member('eve').calls.hangup();
});

test('declined, the call stays voice and the asker is told; a device without video declines at once and says so', async () => {
  await voiceCall('eve', 'fay');
  const ended: string[] = [];
  const subscription = member('eve').calls.events.didEndVideoRequest.event(({ reason }) => ended.push(reason));
  await member('eve').calls.requestVideo();
  await until("fay to see eve's ask", async () => { const s = state('fay'); return s.kind === 'active' && s.upgrade?.step === 'asked'; });
  await member('fay').calls.declineVideo();
  await until('eve to hear the decline', async () => ended.length === 1);
  assert.deepEqual(ended, ['declined']);
  assert.deepEqual([...mediaOf('eve'), ...mediaOf('fay')], []);
  await member('eve').calls.hangup();

  // Bob's app carries voice only (the CLI): eve's ask is declined by it at once, and bob is told why.
  await voiceCall('eve', 'bob');
  const refusals: string[] = [];
  const bobRefusals = member('bob').calls.events.didRefuseInput.event(({ code }) => refusals.push(code));
  await member('eve').calls.requestVideo();
  await until('eve to hear the decline', async () => ended.length === 2);
  assert.deepEqual(refusals, ['VIDEO_NOT_SUPPORTED']);
  const bobCall = state('bob');
  assert.equal(bobCall.kind === 'active' && bobCall.media, 'audio');
  await assert.rejects(member('bob').calls.requestVideo(), (error: unknown) => error instanceof ClientError && error.code === 'NO_VIDEO');
  subscription();
  bobRefusals();
  await member('eve').calls.hangup();
});

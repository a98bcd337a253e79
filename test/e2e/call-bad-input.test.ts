/**
 * Scenario: a malicious contact crafts call signalling by hand (through the SDK, inside real
 * MLS, through a real server process) against a member whose client uses the real werift
 * media stack, wrapped only to count what it is asked to do. Each bad input must be refused
 * with a stable code, the RTC stack must not be touched before consent, and afterwards the
 * victim's client must still work.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  callSignalContent,
  type CallInputRefused,
  type CallMediaFactory,
  type CallSignal,
  type CallState,
  type SottoClient,
} from '@sotto/core';
import { openNodeClient, registerNodeClient } from '@sotto/client-node';
import { genuineOffer, spiedMedia } from '../support/call-spies.js';
import { scratchDir } from '../support/paths.js';
import { ServerProcess } from '../support/server-process.js';
import { internalsOf } from '../support/engine-internals.js';

const dir = scratchDir('call-bad-input');
let server: ServerProcess;
let mallory: SottoClient;
let bob: SottoClient;
/** What bob's media stack was asked to do, in order. */
const mediaCalls: string[] = [];
const refusals: CallInputRefused[] = [];


async function client(name: string, calls?: { media: CallMediaFactory; allowLoopback: boolean }): Promise<SottoClient> {
  const options = { profileDir: join(dir.path, name), logLevel: 'silent' as const, reconnect: true, ...(calls ? { calls } : {}) };
  const registered = await registerNodeClient(options, server.url, name);
  await registered.connect();
  await registered.idle();
  await registered.close();
  const opened = await openNodeClient(options);
  await opened.connect();
  await opened.sync();
  return opened;
}

/** Sends a hand-made signal from mallory to bob through their direct conversation. */
async function craft(signal: CallSignal, ring = signal.type === 'ring'): Promise<void> {
  const conversation = await internalsOf(mallory).ensureDirect('bob');
  await internalsOf(mallory).sendSignal(conversation, callSignalContent(signal, null, crypto.getRandomValues(new Uint8Array(16)), Date.now()), ring);
}

function nextRefusal(code: string, timeoutMs = 10_000): Promise<CallInputRefused> {
  const seen = refusals.find((r) => r.code === code);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${code} refusal; saw ${JSON.stringify(refusals)}`)), timeoutMs);
    const stop = bob.calls.events.didRefuseInput.event((r) => {
      if (r.code !== code) return;
      clearTimeout(timer);
      stop();
      resolve(r);
    });
  });
}

function waitForState(kind: CallState['kind'], timeoutMs = 10_000): Promise<CallState> {
  if (bob.calls.current.kind === kind) return Promise.resolve(bob.calls.current);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bob's call never reached ${kind}; it is ${bob.calls.current.kind}`)), timeoutMs);
    const stop = bob.calls.events.didChangeCall.event((s) => {
      if (s.kind !== kind) return;
      clearTimeout(timer);
      stop();
      resolve(s);
    });
  });
}

async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const newCallId = () => Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex');
let validOffer = '';

/** Mallory rings for real and bob accepts: the state in which SDP and candidates are parsed. */
async function acceptedCall(): Promise<string> {
  const callId = newCallId();
  await craft({ type: 'ring', callId, media: 'audio', sentAt: Date.now() });
  await waitForState('incoming-ringing');
  await bob.calls.accept();
  await waitForState('callee-connecting');
  return callId;
}

async function endBobsCall(): Promise<void> {
  if (bob.calls.current.kind !== 'ended' && bob.calls.current.kind !== 'idle') await bob.calls.hangup();
  await bob.calls.idle();
}

before(async () => {
  server = await ServerProcess.start(join(dir.path, 'server'), ['--rings-per-minute', '100']);
  mallory = await client('mallory');
  bob = await client('bob', { media: spiedMedia(mediaCalls), allowLoopback: true });
  await mallory.requestContact('bob', 'hi');
  await until(async () => (await bob.listContacts()).some((c) => c.username === 'mallory'));
  await bob.respondToContact('mallory', 'accept');
  await bob.openDirect('mallory');
  await until(async () => (await mallory.findDirect('bob')) !== undefined);
  bob.calls.events.didRefuseInput.event((r) => refusals.push(r));
  // A genuine werift offer, as the base for the mutated ones below.
  validOffer = await genuineOffer();
});

after(async () => {
  await bob?.close();
  await mallory?.close();
  await server?.stop();
  dir.remove();
});

test('before accept, an offer, candidates and a premature accept are dropped unparsed; no RTC is touched', async () => {
  const callId = newCallId();
  await craft({ type: 'ring', callId, media: 'audio', sentAt: Date.now() });
  await waitForState('incoming-ringing');
  await craft({ type: 'offer', callId, sdp: validOffer });
  await craft({ type: 'ice', callId, candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host' });
  await craft({ type: 'accept', callId });
  await nextRefusal('SIGNAL_BEFORE_ACCEPT');
  await mallory.idle();
  await bob.calls.idle();
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(refusals.filter((r) => r.code === 'SIGNAL_BEFORE_ACCEPT').length, 3);
  assert.deepEqual(mediaCalls, [], 'no peer connection, microphone, SDP or candidate before consent');
  assert.equal(bob.calls.current.kind, 'incoming-ringing', 'the ring goes on, unharmed');
  await bob.calls.decline();
  assert.equal(bob.calls.current.kind, 'ended');
});

test('signalling for an unknown call id is refused as UNKNOWN_CALL', async () => {
  await craft({ type: 'hangup', callId: newCallId(), reason: 'normal' });
  const refused = await nextRefusal('UNKNOWN_CALL');
  assert.match(refused.message, /unknown call/);
});

test('a ring the server did not admit as a ring (sent unmarked, dodging the limit) does not ring', async () => {
  const before = bob.calls.current;
  await craft({ type: 'ring', callId: newCallId(), media: 'audio', sentAt: Date.now() }, false);
  await nextRefusal('RING_NOT_ADMITTED');
  assert.equal(bob.calls.current, before);
});

test('after accept: an offer with an unexpected codec is refused and the call ends cleanly', async () => {
  mediaCalls.length = 0;
  const callId = await acceptedCall();
  const pcmu = validOffer.replace(/a=rtpmap:(\d+) opus\/48000\/2/, 'a=rtpmap:$1 PCMU/8000');
  await craft({ type: 'offer', callId, sdp: pcmu });
  const refused = await nextRefusal('SDP_UNEXPECTED_CODEC');
  assert.match(refused.message, /offer was refused/);
  await waitForState('ended');
  assert.deepEqual(mediaCalls, [], 'the refused SDP never reached the RTC stack');
});

test('after accept: malformed and video SDP are refused with their codes', async () => {
  let callId = await acceptedCall();
  await craft({ type: 'offer', callId, sdp: 'v=0\r\nthis is not sdp\r\n' });
  await nextRefusal('SDP_MALFORMED_LINE');
  await waitForState('ended');

  callId = await acceptedCall();
  await craft({ type: 'offer', callId, sdp: validOffer.replace('m=audio', 'm=video') });
  await nextRefusal('SDP_NOT_AUDIO');
  await waitForState('ended');
});

test('an oversized SDP never gets past the content decoder: the delivery is dropped with a reason', async () => {
  const callId = await acceptedCall();
  const dropped = new Promise<string>((resolve) => bob.events.didDrop.event((d) => resolve(d.reason)));
  await craft({ type: 'offer', callId, sdp: validOffer + 'a=x\r\n'.repeat(3500) });
  assert.match(await dropped, /session description must be 1-16384 characters/);
  assert.equal(bob.calls.current.kind, 'callee-connecting', 'the call itself is unharmed');
  await endBobsCall();
});

test('after a valid offer: forbidden candidates and too many candidates are refused; the call goes on', async () => {
  mediaCalls.length = 0;
  const callId = await acceptedCall();
  await craft({ type: 'offer', callId, sdp: validOffer });
  await waitForState('callee-connecting');
  await craft({ type: 'ice', callId, candidate: 'candidate:1 1 udp 2122260223 169.254.169.254 50000 typ host' });
  await nextRefusal('CANDIDATE_METADATA');
  await craft({ type: 'ice', callId, candidate: 'candidate:2 1 udp 2122260223 printer.local 50000 typ host' });
  await nextRefusal('CANDIDATE_MDNS');
  await craft({ type: 'ice', callId, candidate: 'candidate:3 1 tcp 2122260223 192.0.2.7 50000 typ host tcptype passive' });
  await nextRefusal('CANDIDATE_BAD_TRANSPORT');
  for (let i = 0; i < 20; i++) await craft({ type: 'ice', callId, candidate: `candidate:${10 + i} 1 udp 2122260223 127.0.0.1 ${40000 + i} typ host` });
  await nextRefusal('CANDIDATE_TOO_MANY');
  await bob.calls.idle();
  assert.ok(mediaCalls.includes('setRemoteDescription:offer'), 'the valid offer reached the RTC stack');
  const added = mediaCalls.filter((c) => c === 'addIceCandidate').length;
  assert.equal(added, 17, 'only the 17 allowed of the 20-candidate budget reached the RTC stack');
  assert.notEqual(bob.calls.current.kind, 'ended', 'the call was not ended by bad candidates');
  await endBobsCall();
});

test("after all that, bob's client still works", async () => {
  // Listening before sending: the message can reach bob before mallory's send returns.
  const got = new Promise<string>((resolve) => bob.events.didReceiveMessage.event((m) => resolve(m.body)));
  await mallory.sendText(await mallory.openDirect('bob'), 'still there?');
  assert.equal(await got, 'still there?');
});

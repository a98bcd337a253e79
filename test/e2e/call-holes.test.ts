/**
 * Scenario: the call holes of issue 15, attacked from outside with real processes. A real
 * `sotto serve` (with `--no-rate-limits`: a misconfigured or compromised server lets every ring
 * through), real SDK clients with real MLS, and a victim (bob) whose calls run on the real werift
 * stack wrapped only to count what it is asked to do. Hostile contacts craft call signalling by
 * hand inside MLS; a third member (carol) records every call signal she can decrypt.
 *
 * 1. A member added to a 1:1 while it rings: the call ends on both sides, the newcomer reads
 *    nothing of the callee's; an offer slipped in through a second conversation is refused.
 * 3. Candidates aimed at the callee's LAN, or at a privileged port, never reach addIceCandidate;
 *    the TCP and mDNS candidates browsers gather are neither sent nor, from a peer, reported.
 * 4. A declined call id sent again with a fresh date: no ring, no busy.
 * 5. A thousand rings in a burst: a few answered, then silence, and one anomaly report.
 * 6. A ring dated an hour ahead does not ring.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { AnomalyKind, ContactState } from '@sotto/protocol';
import {
  callSignalContent, RING_BURST, RING_REFILL_MS,
  type CallInputRefused, type CallMediaFactory, type CallSignal, type SottoClient, type StoredConversation,
} from '@sotto/core';
import { openNodeClient, registerNodeClient } from '@sotto/client-node';
import { scratchDir } from '../support/paths.js';
import { ServerProcess } from '../support/server-process.js';
import { internalsOf } from '../support/engine-internals.js';
import { eavesdrop, genuineOffer, signalsReaching, spiedMedia, type DecryptedCallSignal } from '../support/call-spies.js';

const dir = scratchDir('call-holes');
let server: ServerProcess;
let bob: SottoClient;
let alice: SottoClient;
let carol: SottoClient;
/** What bob's media stack was asked to do, in order. */
const bobMedia: string[] = [];
const aliceMedia: string[] = [];
const refusals: CallInputRefused[] = [];
/** Every call signal carol decrypted, in any conversation. */
let carolRead: DecryptedCallSignal[] = [];
/** Every call signal that reached bob's call engine, from any conversation. */
let bobHeard: { from: string; signal: CallSignal }[] = [];
let validOffer = '';
const clients: SottoClient[] = [];

async function client(name: string, media?: CallMediaFactory): Promise<SottoClient> {
  const options = { profileDir: join(dir.path, name), logLevel: 'silent' as const, reconnect: true, ...(media ? { calls: { media, allowLoopback: true } } : {}) };
  const registered = await registerNodeClient(options, server.url, name);
  await registered.connect();
  await registered.idle();
  await registered.close();
  const opened = await openNodeClient(options);
  await opened.connect();
  await opened.sync();
  clients.push(opened);
  return opened;
}

async function until(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `b` accepts `a` as a contact; with `conversation`, `a` also opens their 1:1 (its MLS group). */
async function befriend(a: SottoClient, b: SottoClient, conversation = true): Promise<void> {
  const [nameA, nameB] = [a.identity.username, b.identity.username];
  await a.requestContact(nameB, 'hi');
  await until(`${nameB} to see ${nameA}'s request`, async () => (await b.listContacts()).some((c) => c.username === nameA));
  await b.respondToContact(nameA, 'accept');
  await until(`${nameA} to see the acceptance`, async () => (await a.listContacts()).some((c) => c.username === nameB && c.state === ContactState.ACCEPTED));
  if (!conversation) return;
  const direct = await a.openDirect(nameB);
  await until(`${nameB} to join the 1:1`, async () => (await b.listConversations()).some((c) => c.groupId === direct));
}

/** A hostile contact of `victim`'s (bob's unless said), with their 1:1 open. */
async function hostile(name: string, victim = bob): Promise<SottoClient> {
  const attacker = await client(name);
  await befriend(attacker, victim);
  return attacker;
}

const newCallId = () => Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex');
const ring = (callId: string, sentAt = Date.now()): CallSignal => ({ type: 'ring', callId, media: 'audio', sentAt });

/** Sends a hand-made call signal from `from` through `conversation` (its 1:1 with bob by default). */
async function craft(from: SottoClient, signal: CallSignal, conversation?: StoredConversation): Promise<void> {
  const through = conversation ?? (await internalsOf(from).ensureDirect('bob'));
  const content = callSignalContent(signal, null, crypto.getRandomValues(new Uint8Array(16)), Date.now());
  await internalsOf(from).sendSignal(through, content, signal.type === 'ring');
}

function bobRings(callId: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (bob.calls.current.kind === 'incoming-ringing' && bob.calls.current.callId === callId) return resolve();
    const timer = setTimeout(() => { stop(); reject(new Error(`bob never rang for ${callId}; his call is ${bob.calls.current.kind}`)); }, timeoutMs);
    const stop = bob.calls.events.didRing.event((r) => {
      if (r.callId !== callId) return;
      clearTimeout(timer);
      stop();
      resolve();
    });
  });
}

/** Resolves with the reason `who`'s call ended (after `callId`'s), or rejects after the timeout. */
function callEnds(who: SottoClient, timeoutMs = 10_000): Promise<string> {
  const ended = () => (who.calls.current.kind === 'ended' ? String(who.calls.current.reason) : undefined);
  return new Promise((resolve, reject) => {
    const now = ended();
    if (now !== undefined) return resolve(now);
    const timer = setTimeout(() => { stop(); reject(new Error(`${who.identity.username}'s call did not end; it is ${who.calls.current.kind}`)); }, timeoutMs);
    const stop = who.calls.events.didChangeCall.event(() => {
      const reason = ended();
      if (reason === undefined) return;
      clearTimeout(timer);
      stop();
      resolve(reason);
    });
  });
}

/** Ends whatever call `who` has on, so the next scenario starts from silence. */
async function hangUp(who: SottoClient): Promise<void> {
  const kind = who.calls.current.kind;
  if (kind !== 'idle' && kind !== 'ended') await who.calls.hangup().catch(() => undefined);
  await who.calls.idle();
}

/** Each scenario starts with no call on, whatever the one before left behind. */
async function fresh(): Promise<void> {
  await hangUp(bob);
  await hangUp(alice);
  bobMedia.length = 0;
  refusals.length = 0;
}

/** Waits until bob's engine has been handed `count` signals of `type` for `callId`, and has handled them. */
async function bobHandled(type: CallSignal['type'], callId: string, count = 1): Promise<void> {
  await until(`bob to get ${type} ${callId}`, () => bobHeard.filter((s) => s.signal.type === type && s.signal.callId === callId).length >= count);
  await bob.calls.idle();
}

/**
 * Waits until carol has processed everything bob sent into `groupId` so far: bob sends a text
 * after it (the server keeps one sender's messages in order), and carol waits for that text.
 */
async function carolCaughtUpWithBob(groupId: string, marker: string): Promise<void> {
  await bob.calls.idle();
  await bob.idle();
  const got = new Promise<void>((resolve) => {
    const stop = carol.events.didReceiveMessage.event((m) => {
      if (m.body !== marker) return;
      stop();
      resolve();
    });
  });
  const conversation = (await bob.listConversations()).find((c) => c.groupId === groupId);
  assert.ok(conversation, 'bob still has the conversation');
  await internalsOf(bob).sendText(conversation.groupId, marker);
  await got;
  await carol.idle();
}

function nextRefusal(code: string, timeoutMs = 10_000): Promise<CallInputRefused> {
  const seen = refusals.find((r) => r.code === code);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { stop(); reject(new Error(`no ${code} refusal; saw ${JSON.stringify(refusals.map((r) => r.code))}`)); }, timeoutMs);
    const stop = bob.calls.events.didRefuseInput.event((r) => {
      if (r.code !== code) return;
      clearTimeout(timer);
      stop();
      resolve(r);
    });
  });
}

before(async () => {
  server = await ServerProcess.start(join(dir.path, 'server'), ['--no-rate-limits']);
  bob = await client('bob', spiedMedia(bobMedia));
  alice = await client('alice', spiedMedia(aliceMedia));
  carol = await client('carol');
  await befriend(alice, bob);
  // Carol is alice's contact (and later mallory's), never bob's.
  await befriend(alice, carol, false);
  carolRead = eavesdrop(carol);
  bobHeard = signalsReaching(bob);
  bob.calls.events.didRefuseInput.event((r) => refusals.push(r));
  // A genuine werift offer, for the attacker's hand-made signalling.
  validOffer = await genuineOffer();
});

after(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await server?.stop();
  dir.remove();
});

test('hole 1: a member added to a ringing 1:1 ends the call on both sides; the newcomer reads nothing of the callee\'s', { timeout: 60_000 }, async () => {
  await fresh();
  const placed = await alice.calls.place('bob');
  assert.equal(placed.kind, 'ringing');
  const callId = placed.kind === 'ringing' ? placed.callId : '';
  await bobRings(callId);

  // Alice (or whoever holds her device) adds carol, a stranger to bob, to their 1:1 while it rings.
  const direct = await internalsOf(alice).findDirect('bob');
  assert.ok(direct);
  const bobSawTheChange = new Promise<void>((resolve) => {
    const stop = bob.events.didChangeMembers.event(({ groupId }) => {
      if (groupId !== direct.groupId) return;
      stop();
      resolve();
    });
  });
  await internalsOf(alice).addMembers(direct, ['carol']);
  await bobSawTheChange;
  await bob.calls.idle();
  // Bob answers if his phone still rings, as a member would.
  if (bob.calls.current.kind === 'incoming-ringing') await bob.calls.accept().catch(() => undefined);
  await carolCaughtUpWithBob(direct.groupId, 'hole 1 marker');

  assert.deepEqual(carolRead.filter((s) => s.from === 'bob'), [], 'carol decrypted call signals of bob\'s');
  assert.equal(await callEnds(bob), 'members-changed');
  assert.equal(await callEnds(alice), 'members-changed');
  assert.deepEqual(bobMedia, [], 'bob\'s media stack was never touched');
  await hangUp(bob);
  await hangUp(alice);
});

test('hole 1: an offer slipped in through a second conversation is refused; answer and candidates never reach the third member', { timeout: 60_000 }, async () => {
  await fresh();
  const mallory = await hostile('mallory');
  await befriend(mallory, carol, false);
  const readBefore = carolRead.length;
  const callId = newCallId();
  const first = await internalsOf(mallory).ensureDirect('bob');
  await craft(mallory, ring(callId), first);
  await bobRings(callId);
  await bob.calls.accept();

  // Mallory adds carol to the 1:1, opens a fresh 1:1 with bob, and sends her offer through that.
  await internalsOf(mallory).addMembers(first, ['carol']);
  const second = await internalsOf(mallory).ensureDirect('bob');
  assert.notEqual(second.groupId, first.groupId);
  await until('bob to join the second 1:1', async () => (await bob.listConversations()).some((c) => c.groupId === second.groupId));
  await craft(mallory, { type: 'offer', callId, sdp: validOffer }, second);
  await bobHandled('offer', callId);
  // Long enough for an answer and the candidates werift gathers to go out, had they been made.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  await carolCaughtUpWithBob(first.groupId, 'hole 1b marker');

  assert.deepEqual(carolRead.slice(readBefore).filter((s) => s.from === 'bob'), [], 'carol decrypted call signals of bob\'s');
  assert.ok(!bobMedia.includes('setRemoteDescription:offer'), `the offer from the other conversation reached werift: ${bobMedia.join(', ')}`);
  assert.equal(await callEnds(bob), 'members-changed');
  await hangUp(bob);
});

test('hole 1: with two 1:1s open, a signal for the live call from the other one is refused and reported', { timeout: 60_000 }, async () => {
  await fresh();
  const trent = await hostile('trent');
  const first = await internalsOf(trent).ensureDirect('bob');
  // A second conversation of exactly the two, made the way the engine makes one (a hostile
  // client's choice: the SDK exposes no way to open a second 1:1 while one exists).
  const internals = internalsOf(trent) as unknown as {
    claim(username: string): Promise<unknown[]>;
    createConversation(groupId: Uint8Array, kind: 'direct', name: string, claimed: unknown[]): Promise<StoredConversation>;
  };
  const second = await internals.createConversation(crypto.getRandomValues(new Uint8Array(32)), 'direct', 'bob', await internals.claim('bob'));
  await until('bob to join the second 1:1', async () => (await bob.listConversations()).some((c) => c.groupId === second.groupId && c.kind === 'direct'));
  const callId = newCallId();
  await craft(trent, ring(callId), first);
  await bobRings(callId);
  await bob.calls.accept();
  await craft(trent, { type: 'offer', callId, sdp: validOffer }, second);
  await bobHandled('offer', callId);
  assert.ok(!bobMedia.includes('setRemoteDescription:offer'), `the offer from the other conversation reached werift: ${bobMedia.join(', ')}`);
  const refused = await nextRefusal('WRONG_CONVERSATION');
  assert.match(refused.message, /another conversation/);
  assert.equal(bob.calls.current.kind, 'callee-connecting', 'the call itself goes on');
  // The same offer through the call's own conversation is applied.
  await craft(trent, { type: 'offer', callId, sdp: validOffer }, first);
  await until('the offer to reach werift', () => bobMedia.includes('setRemoteDescription:offer'));
  await hangUp(bob);
});

test('hole 3: private-range and privileged-port candidates never reach addIceCandidate', { timeout: 60_000 }, async () => {
  await fresh();
  const peggy = await hostile('peggy');
  const callId = newCallId();
  await craft(peggy, ring(callId));
  await bobRings(callId);
  await bob.calls.accept();
  await craft(peggy, { type: 'offer', callId, sdp: validOffer });
  await until('the offer to reach werift', () => bobMedia.includes('setRemoteDescription:offer'));
  // A LAN bob is not on (none of this machine's interfaces shares its /24), and a DNS port.
  const lan = privateAddressOffTheseNetworks();
  await craft(peggy, { type: 'ice', callId, candidate: `candidate:1 1 udp 2122260223 ${lan} 50000 typ host` });
  await craft(peggy, { type: 'ice', callId, candidate: 'candidate:2 1 udp 1686052607 203.0.113.9 53 typ srflx raddr 0.0.0.0 rport 0' });
  // A candidate the policy allows here (loopback is allowed for tests on one machine): it must get through.
  await craft(peggy, { type: 'ice', callId, candidate: 'candidate:3 1 udp 2122260223 127.0.0.1 50000 typ host' });
  await until('the allowed candidate to reach werift', () => bobMedia.includes('addIceCandidate'));
  await bob.calls.idle();
  assert.equal(bobMedia.filter((c) => c === 'addIceCandidate').length, 1, `${lan}:50000 or 203.0.113.9:53 reached addIceCandidate`);
  assert.match((await nextRefusal('CANDIDATE_PRIVATE')).message, /outside this device's own networks/);
  assert.match((await nextRefusal('CANDIDATE_PRIVILEGED_PORT')).message, /port below 1024/);
  await hangUp(bob);
});

/**
 * Host candidates Chromium gathers beside its UDP ones: TCP (active and passive) and, for a page
 * without media permission, a UDP one behind an mDNS name.
 */
const BROWSER_EXTRAS = [
  'candidate:2704364335 1 tcp 1518280447 192.168.1.5 9 typ host tcptype active generation 0 network-id 1',
  'candidate:1813526553 1 tcp 1518214911 192.168.1.5 50001 typ host tcptype passive generation 0 network-id 1',
  'candidate:3052346117 1 udp 2122260223 4f3b4d1e-8c41-4b8e-9a39-0f1c2d3e4a5b.local 54321 typ host generation 0 network-id 1',
];

/** The anomaly kinds `victim` records against `user` from now on. */
function anomaliesAgainst(victim: SottoClient, user: string): AnomalyKind[] {
  const reports: AnomalyKind[] = [];
  const record = victim.anomalies.record.bind(victim.anomalies);
  victim.anomalies.record = (source, kind) => {
    if (source.user === user) reports.push(kind);
    record(source, kind);
  };
  return reports;
}

test('hole 3: the TCP and mDNS candidates a browser gathers are never sent, so an honest caller is never reported', { timeout: 60_000 }, async () => {
  // A pair of their own: the caller's stack gathers what Chromium gathers.
  const hal = await client('hal', spiedMedia([], BROWSER_EXTRAS));
  const ivy = await client('ivy', spiedMedia([]));
  await befriend(hal, ivy);
  const heard = signalsReaching(ivy);
  const reports = anomaliesAgainst(ivy, 'hal');
  const placed = await hal.calls.place('ivy');
  assert.equal(placed.kind, 'ringing');
  await until('ivy to ring', () => ivy.calls.current.kind === 'incoming-ringing');
  await ivy.calls.accept();
  await until('the call to be active on both sides', () => hal.calls.current.kind === 'active' && ivy.calls.current.kind === 'active', 20_000);
  // Whatever hal sends after its offer reaches ivy before this text does (one sender, in order).
  const marker = new Promise<void>((resolve) => ivy.events.didReceiveMessage.event((m) => m.body === 'hole 3 sent' && resolve()));
  await hal.calls.idle();
  await hal.sendText(await hal.openDirect('ivy'), 'hole 3 sent');
  await marker;
  await ivy.calls.idle();
  const candidates = heard.flatMap(({ signal }) => (signal.type === 'ice' ? [signal.candidate] : []));
  assert.ok(candidates.length > 0, 'hal sent its UDP candidates');
  assert.deepEqual(candidates.filter((c) => / tcp |\.local /.test(c)), [], 'a TCP or mDNS candidate was sent');
  assert.deepEqual(reports, [], 'ivy reported her honest caller');
  await hangUp(hal);
  await hangUp(ivy);
});

test('hole 3: a peer\'s TCP and mDNS candidates are refused without a report; one aimed at the metadata service is reported', { timeout: 60_000 }, async () => {
  await fresh();
  const olga = await hostile('olga');
  const reports = anomaliesAgainst(bob, 'olga');
  const callId = newCallId();
  await craft(olga, ring(callId));
  await bobRings(callId);
  await bob.calls.accept();
  await craft(olga, { type: 'offer', callId, sdp: validOffer });
  await until('the offer to reach werift', () => bobMedia.includes('setRemoteDescription:offer'));
  for (const candidate of BROWSER_EXTRAS) await craft(olga, { type: 'ice', callId, candidate });
  await craft(olga, { type: 'ice', callId, candidate: 'candidate:4 1 udp 2122260223 169.254.169.254 50000 typ host' });
  assert.match((await nextRefusal('CANDIDATE_BAD_TRANSPORT')).message, /UDP only/);
  assert.match((await nextRefusal('CANDIDATE_MDNS')).message, /mDNS/);
  assert.match((await nextRefusal('CANDIDATE_METADATA')).message, /metadata/);
  await bob.calls.idle();
  assert.equal(bobMedia.filter((c) => c === 'addIceCandidate').length, 0, 'a refused candidate reached addIceCandidate');
  assert.deepEqual(reports, [AnomalyKind.REFUSED_MEDIA], 'only the metadata candidate is reported');
  await hangUp(bob);
});

test('hole 4: a declined call id sent again with a fresh date gets nothing: no ring, no busy', { timeout: 60_000 }, async () => {
  await fresh();
  const trudy = await hostile('trudy');
  const heard = signalsReaching(trudy);
  const rang: string[] = [];
  bob.calls.events.didRing.event((r) => rang.push(r.callId));
  const [a, b, c] = [newCallId(), newCallId(), newCallId()];
  for (const id of [a, b]) {
    await craft(trudy, ring(id));
    await bobRings(id);
    await bob.calls.decline();
  }
  // A again, dated now: a replay the 60 s staleness rule cannot catch.
  await craft(trudy, ring(a));
  await bobHandled('ring', a, 2);
  assert.deepEqual(rang.filter((id) => id === a).length, 1, 'call A rang a second time');
  // C rings; A once more while C rings must not even get busy.
  await craft(trudy, ring(c));
  await bobRings(c);
  await craft(trudy, ring(a));
  await bobHandled('ring', a, 3);
  await bob.calls.decline();
  // Trudy has heard everything bob sent once a text sent after it arrives.
  const done = new Promise<void>((resolve) => trudy.events.didReceiveMessage.event((m) => m.body === 'hole 4 marker' && resolve()));
  await bob.sendText(await bob.openDirect('trudy'), 'hole 4 marker');
  await done;
  await trudy.calls.idle();

  assert.deepEqual(rang.filter((id) => [a, b, c].includes(id)), [a, b, c]);
  assert.deepEqual(heard.filter((s) => s.signal.callId === a).map((s) => s.signal.type), ['decline'], 'A got more than its decline');
});

test('hole 5: a thousand rings in a burst: a few answered, then silence, and one anomaly report', { timeout: 120_000 }, async () => {
  // A victim of its own: the reports the other scenarios make against bob's attackers would
  // otherwise add up, with this one, to a burst the server acts on while the flood is under way.
  const victor = await client('victor');
  const eve = await hostile('eve', victor);
  const heard = signalsReaching(eve);
  let rings = 0;
  victor.calls.events.didRing.event(() => rings++);
  const reports: AnomalyKind[] = [];
  const record = victor.anomalies.record.bind(victor.anomalies);
  victor.anomalies.record = (source, kind) => {
    if (source.user === 'eve') reports.push(kind);
    record(source, kind);
  };
  const conversation = await internalsOf(eve).ensureDirect('victor');
  const started = Date.now();
  // Pipelined, as fast as the server takes them (it enforces no ring limit here).
  await Promise.all(Array.from({ length: 1000 }, () => craft(eve, ring(newCallId()), conversation)));
  const sentInMs = Date.now() - started;
  const delivered = new Promise<void>((resolve) => victor.events.didReceiveMessage.event((m) => m.body === 'hole 5 sent' && resolve()));
  await eve.sendText(await eve.openDirect('victor'), 'hole 5 sent');
  await delivered;
  await victor.calls.idle();
  const floodMs = Date.now() - started;
  const answered = new Promise<void>((resolve) => eve.events.didReceiveMessage.event((m) => m.body === 'hole 5 answered' && resolve()));
  await victor.sendText(await victor.openDirect('eve'), 'hole 5 answered');
  await answered;
  await eve.calls.idle();
  await hangUp(victor);

  const busy = heard.filter((s) => s.signal.type === 'busy').length;
  console.log(`1,000 rings sent in ${sentInMs} ms, handled by the victim within ${floodMs} ms: ${rings} rang, ${busy} busy, reports ${JSON.stringify(reports)}`);
  // The allowance refills one ring every RING_REFILL_MS: whatever the flood took, no more than that.
  const allowed = RING_BURST + Math.floor(floodMs / RING_REFILL_MS);
  assert.ok(rings + busy <= allowed, `${rings} rings and ${busy} busy answered; at most ${allowed} allowed`);
  assert.equal(rings, 1);
  assert.deepEqual(reports.filter((k) => k === AnomalyKind.UNSOLICITED_CALL), [AnomalyKind.UNSOLICITED_CALL], 'the flood is reported once');
});

test('hole 6: a ring dated an hour ahead does not ring; it is logged as missed', { timeout: 60_000 }, async () => {
  await fresh();
  const oscar = await hostile('oscar');
  const future = newCallId();
  const logged = new Promise<string>((resolve) => bob.calls.events.didLogCall.event((e) => e.callId === future && resolve(e.outcome)));
  const rang: string[] = [];
  const stop = bob.calls.events.didRing.event((r) => rang.push(r.callId));
  await craft(oscar, ring(future, Date.now() + 3_600_000));
  const outcome = await Promise.race([logged, bobRings(future).then(() => 'rang')]);
  stop();
  assert.deepEqual(rang, [], 'the ring from the future rang');
  assert.equal(outcome, 'missed');
  // The same contact's ring dated now still rings.
  const now = newCallId();
  await craft(oscar, ring(now));
  await bobRings(now);
  await bob.calls.decline();
});

/** A private IPv4 address whose /24 holds none of this machine's own addresses. */
function privateAddressOffTheseNetworks(): string {
  const own = Object.values(networkInterfaces()).flat().flatMap((i) => (i && i.family === 'IPv4' ? [i.address.split('.').slice(0, 3).join('.')] : []));
  const candidates = ['10.213.47.9', '172.20.99.9', '192.168.213.9', '100.64.77.9'];
  const free = candidates.find((a) => !own.includes(a.split('.').slice(0, 3).join('.')));
  assert.ok(free, 'every candidate network is one of this machine\'s');
  return free;
}

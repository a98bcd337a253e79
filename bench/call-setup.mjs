#!/usr/bin/env node
// Call set-up time: from the callee's local accept to the first audio packet at the caller,
// through a real server (SQLite, in process), MLS signalling and werift media, beside the floor:
// two bare werift peer connections on the same machine, from creating them to the first audio
// packet (no server, no MLS, no validation). Prints figures and rewrites the "Call set-up"
// section of docs/BENCHMARKS.md. Usage: node bench/call-setup.mjs [--runs N]
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '@sotto/server';
import { openNodeClient, registerNodeClient } from '@sotto/client-node';
import { WeriftCallMedia } from '@sotto/client-node/calls';
import { RTCPeerConnection, RTCRtpCodecParameters, MediaStreamTrack, RtpPacket, RtpHeader } from 'werift';
import { fmt, machine, percentile, writeSection } from './lib.mjs';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 20;

async function sottoCallSetup(runs) {
  const dir = mkdtempSync(join(tmpdir(), 'sotto-bench-calls-'));
  const server = await startServer({ dataDir: join(dir, 'server'), port: 0, logLevel: 'silent', ringsPerMinute: 10_000, rateLimits: false });
  const open = async (name) => {
    const options = { profileDir: join(dir, name), logLevel: 'silent', reconnect: true, calls: { media: new WeriftCallMedia(), allowLoopback: true } };
    const registered = await registerNodeClient(options, server.url, name);
    await registered.connect();
    await registered.idle();
    await registered.close();
    const client = await openNodeClient(options);
    await client.connect();
    await client.sync();
    return client;
  };
  const alice = await open('alice');
  const bob = await open('bob');
  await alice.requestContact('bob', 'bench');
  while (!(await bob.listContacts()).some((c) => c.username === 'alice')) await new Promise((r) => setTimeout(r, 20));
  await bob.respondToContact('alice', 'accept');
  await bob.openDirect('alice');
  while (!(await alice.findDirect('bob'))) await new Promise((r) => setTimeout(r, 20));

  let acceptedAt = 0;
  bob.calls.events.didRing.event(() => {
    acceptedAt = performance.now();
    void bob.calls.accept();
  });
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const firstAudio = new Promise((resolve) => {
      const stop = alice.calls.events.didReceiveFirstAudio.event(() => {
        stop();
        resolve(performance.now());
      });
    });
    await alice.calls.place('bob');
    const at = await firstAudio;
    samples.push(at - acceptedAt);
    await alice.calls.hangup();
    await alice.calls.idle();
    await new Promise((r) => setTimeout(r, 200));
    await bob.calls.idle();
  }
  await alice.close();
  await bob.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
  return samples;
}

/** The floor: two werift peer connections in one process, signalled by direct function calls. */
async function bareWerift(runs) {
  const codecs = { audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48_000, channels: 2 })] };
  const config = { codecs, iceAdditionalHostAddresses: ['127.0.0.1'], iceUseIpv6: false };
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const a = new RTCPeerConnection(config);
    const b = new RTCPeerConnection(config);
    const trackB = new MediaStreamTrack({ kind: 'audio' });
    a.addTransceiver('audio', { direction: 'sendrecv' });
    a.onIceCandidate.subscribe((c) => c && b.addIceCandidate(c));
    b.onIceCandidate.subscribe((c) => c && a.addIceCandidate(c));
    const first = new Promise((resolve) => a.onTrack.subscribe((t) => t.onReceiveRtp.once(() => resolve(performance.now()))));
    await a.setLocalDescription(await a.createOffer());
    await b.setRemoteDescription(a.localDescription);
    b.getTransceivers()[0].sender.replaceTrack(trackB);
    b.getTransceivers()[0].setDirection('sendrecv');
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription);
    let seq = 0;
    const timer = setInterval(() => {
      const header = new RtpHeader({ payloadType: 96, sequenceNumber: seq++ & 0xffff, timestamp: seq * 960, marker: false, ssrc: 4242 });
      trackB.writeRtp(new RtpPacket(header, Buffer.from([0xf8, 0xff, 0xfe])));
    }, 20);
    samples.push((await first) - started);
    clearInterval(timer);
    await a.close();
    await b.close();
  }
  return samples;
}

function summary(samples) {
  const sorted = [...samples].sort((x, y) => x - y);
  return { runs: sorted.length, p50: percentile(sorted, 50), p90: percentile(sorted, 90), min: sorted[0], max: sorted.at(-1) };
}

const facts = machine();
console.log('machine', facts);
const floor = summary(await bareWerift(RUNS));
console.log('bare werift, create to first audio packet (ms)', floor);
const sotto = summary(await sottoCallSetup(RUNS));
console.log('sotto, callee accept to first audio packet at the caller (ms)', sotto);

const wer = JSON.parse(readFileSync(new URL('../node_modules/werift/package.json', import.meta.url))).version;
const section = `<!-- call-setup:start -->
## Call set-up (issue 3)

Time from the callee's local accept to the first audio packet at the caller, ${RUNS} calls one after
another between two SDK clients in one process, through a real server on SQLite (in process, 127.0.0.1):
the accept travels in MLS through the server, then the caller creates its peer connection and offer,
the callee validates it (SDP allow-list, candidate policy) and answers, ICE and DTLS-SRTP connect over
loopback, and audio flows. The floor is two bare werift peer connections in one process, signalled
by direct function calls, from their creation to the first audio packet.

| | runs | p50 (ms) | p90 (ms) | min (ms) | max (ms) |
|---|---|---|---|---|---|
| bare werift (floor) | ${floor.runs} | ${fmt(floor.p50)} | ${fmt(floor.p90)} | ${fmt(floor.min)} | ${fmt(floor.max)} |
| Sotto, accept → first audio | ${sotto.runs} | ${fmt(sotto.p50)} | ${fmt(sotto.p90)} | ${fmt(sotto.min)} | ${fmt(sotto.max)} |

werift ${wer}, opusscript (libopus 1.4), Node ${facts.node}, ${facts.cpu}, ${facts.cores} cores.
Run: \`npm run build && node bench/call-setup.mjs --runs ${RUNS}\`.

Reading: Sotto adds ${fmt(sotto.p50 - floor.p50)} ms at p50 (${fmt(sotto.p50 / floor.p50, 2)}x the floor; the target is 1.25x): one MLS
round trip through the server for the accept, then the offer and the answer each through MLS and the
server, SDP validation and the candidate policy. ICE, DTLS-SRTP and the first Opus frame dominate
both figures; the floor does not include werift's own certificate generation per connection either.
<!-- call-setup:end -->`;
writeSection('call-setup', section);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/call-setup.json', import.meta.url), `${JSON.stringify({ machine: facts, werift: wer, measuredAt: new Date().toISOString(), floor, sotto }, null, 2)}\n`);
console.log('updated docs/BENCHMARKS.md and bench/results/call-setup.json');
process.exit(0);

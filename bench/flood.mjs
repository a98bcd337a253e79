#!/usr/bin/env node
// Issue 15, hole 7: one registered account and four unauthenticated connections write tiny
// requests (LIST_CONTACTS, 7 bytes) as fast as the server reads them and never read an answer,
// for --seconds (default 300), while two honest members exchange messages. Each attacker that is
// closed connects again at once (and the account logs in again), as a persistent attacker would.
// Prints the server's peak RSS and the honest members' latency (p50/p99, send to delivery) under
// the flood against the same members on the idle server just before. `sotto serve` runs with its
// defaults (rate limits on, fsync on every commit), pinned to core 0 and this process to core 1
// when taskset can. Figures, not pass/fail; writes bench/results/flood.json and its section of
// docs/BENCHMARKS.md (not with --no-write, for trial runs).
//
//   node bench/flood.mjs [--seconds 300] [--idle-seconds 60] [--rate 20] [--no-write]
//   node bench/flood.mjs --render   # rewrites the section from bench/results/flood.json, runs nothing
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { create, encodeFrame, FrameType, ListContactsSchema } from '@sotto/protocol';
import { fmt, machine, writeSection } from './lib.mjs';
import { canConnect, canPin, cpuSeconds, freePort, latencySummary, LOOPBACK, rssKiB, sleep, startServerProcess } from './peers/common.mjs';
import { SottoClient } from './peers/sotto-client.mjs';

const valueOf = (flag, fallback) => {
  const index = process.argv.indexOf(flag);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
};
const seconds = valueOf('--seconds', 300);
const idleSeconds = valueOf('--idle-seconds', 60);
const rate = valueOf('--rate', 20);
const write = !process.argv.includes('--no-write');
const CLI = new URL('../packages/cli/dist/bin.js', import.meta.url).pathname;
const RESULTS = new URL('./results/flood.json', import.meta.url);

if (process.argv.includes('--render')) {
  writeSection('flood', section(JSON.parse(readFileSync(RESULTS, 'utf8'))));
  process.exit(0);
}
/** What an attacker lets its own socket hold unsent: it writes as fast as the server reads, no faster. */
const ATTACKER_BACKLOG_BYTES = 256 * 1024;
const RSS_SAMPLE_MS = 250;

if (canPin()) {
  // This process (members and attackers) on core 1, the server on core 0.
  const { execFileSync } = await import('node:child_process');
  execFileSync('taskset', ['-pc', '1', String(process.pid)], { stdio: 'ignore' });
}

const dir = mkdtempSync(join(tmpdir(), 'sotto-bench-flood-'));
const port = await freePort();
const server = await startServerProcess({
  name: 'sotto', cpu: canPin() ? 0 : undefined, command: process.execPath, dir, logFile: join(dir, 'none.log'),
  args: [CLI, 'serve', '--host', LOOPBACK, '--port', String(port), '--data', join(dir, 'data'), '--log-level', 'warn', '--no-web'],
  isReady: () => canConnect(port),
});
const target = { wsUrl: `ws://${LOOPBACK}:${port}/v1/ws`, password: '', accounts: new Map() };

/** Registers `user` (the account `bench_<user>`) and returns its logged-in client. */
async function member(user) {
  const client = new SottoClient(target);
  const key = generateKeyPairSync('ed25519');
  const deviceId = await client.register(user, `bench_${user}`, key);
  target.accounts.set(user, { username: `bench_${user}`, key, deviceId });
  return client;
}

// ---- the attackers ----

/** `count` masked client messages, each carrying `frame`, in one buffer (a zero mask leaves the payload as it is). */
function maskedMessages(frame, count) {
  const one = Buffer.alloc(6 + frame.byteLength);
  one[0] = 0x82;
  one[1] = 0x80 | frame.byteLength;
  one.set(frame, 6);
  return Buffer.concat(Array.from({ length: count }, () => one));
}
const BURST = maskedMessages(encodeFrame(FrameType.LIST_CONTACTS, 1, create(ListContactsSchema, {})), Math.floor(65536 / 13));

const attack = { connections: 0, closes: new Map(), running: true };

/** Floods over `ws` (open, and logged in if it is the account) until the server closes it. */
function flood(ws) {
  ws.pause();
  // ws speaks over this socket; the flood goes straight to it, past ws's own sender.
  const raw = ws._socket;
  const fill = () => {
    while (attack.running && !raw.destroyed && raw.writableLength < ATTACKER_BACKLOG_BYTES) raw.write(BURST);
  };
  raw.on('drain', fill);
  fill();
}

/** One attacker: connects, floods, and when closed connects again at once. */
async function attacker(login) {
  while (attack.running) {
    attack.connections += 1;
    try {
      let ws;
      if (login) {
        const client = await new SottoClient(target).login('attacker');
        ws = client.ws;
      } else {
        ws = new WebSocket(target.wsUrl, { perMessageDeflate: false });
        ws.on('error', () => {});
        await new Promise((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('close', reject);
        });
      }
      const closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
      flood(ws);
      const code = await closed;
      attack.closes.set(code, (attack.closes.get(code) ?? 0) + 1);
    } catch {
      attack.closes.set('refused', (attack.closes.get('refused') ?? 0) + 1);
      await sleep(10);
    }
  }
}

// ---- the honest members ----

/** Alice and Bob send each other `rate` messages a second each, open loop; latency from the scheduled send to the delivery. */
async function exchange(alice, bob, secs) {
  const sentAt = new Map();
  const latencies = [];
  let lost = 0;
  const onDelivery = (seq) => {
    const at = sentAt.get(seq);
    if (at === undefined) return;
    sentAt.delete(seq);
    latencies.push(performance.now() - at);
  };
  alice.onChat = onDelivery;
  bob.onChat = onDelivery;
  const interval = 1000 / rate;
  const start = performance.now();
  let seq = 0;
  for (let i = 0; performance.now() < start + secs * 1000; i += 1) {
    const due = start + i * interval;
    await sleep(due - performance.now());
    for (const [from, to] of [[alice, bob], [bob, alice]]) {
      const s = (seq += 1);
      sentAt.set(s, due);
      from.sendChat(to.user, s);
    }
  }
  // Stragglers get 30 s; what is still missing after that counts as lost.
  const deadline = performance.now() + 30_000;
  while (sentAt.size > 0 && performance.now() < deadline) await sleep(20);
  lost = sentAt.size;
  return { ...latencySummary(latencies), messages: latencies.length, lost };
}

function rssWatch(pid) {
  const watch = { peakKiB: 0, samples: 0 };
  const timer = setInterval(() => {
    watch.peakKiB = Math.max(watch.peakKiB, rssKiB(pid));
    watch.samples += 1;
  }, RSS_SAMPLE_MS);
  return { watch, stop: () => clearInterval(timer) };
}

async function metrics() {
  const text = await (await fetch(`http://${LOOPBACK}:${port}/metrics`)).text();
  const value = (name) => [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);
  return {
    floodClosesRefusals: Number(/^sotto_flood_closes_total\{reason="refusals"\} (\S+)$/m.exec(text)?.[1] ?? 0),
    floodClosesStalled: Number(/^sotto_flood_closes_total\{reason="stalled"\} (\S+)$/m.exec(text)?.[1] ?? 0),
    answersDropped: value('sotto_answers_dropped_total'),
    backlogFull: value('sotto_backlog_full_total'),
    framesReceived: value('sotto_frames_received_total'),
  };
}

try {
  const alice = await member('alice');
  const bob = await member('bob');
  await alice.openChat(bob);
  bob.chats.set(alice.user, alice.chats.get(bob.user));
  await (await member('attacker')).close();

  await exchange(alice, bob, 5); // warm-up
  const idleRss = rssWatch(server.pid);
  const idleCpu = cpuSeconds(server.pid);
  const idle = await exchange(alice, bob, idleSeconds);
  idleRss.stop();
  const idleServerCpu = (cpuSeconds(server.pid) - idleCpu) / idleSeconds;
  const baselineKiB = rssKiB(server.pid);

  const floodRss = rssWatch(server.pid);
  const floodCpu = cpuSeconds(server.pid);
  const attackers = [attacker(true), attacker(false), attacker(false), attacker(false), attacker(false)];
  const flooded = await exchange(alice, bob, seconds);
  const floodServerCpu = (cpuSeconds(server.pid) - floodCpu) / seconds;
  attack.running = false;
  floodRss.stop();
  const counters = await metrics();
  await Promise.race([Promise.all(attackers), sleep(10_000)]);

  const result = {
    measuredAt: new Date().toISOString(),
    machine: machine(),
    seconds, idleSeconds, rate,
    idle: { ...idle, serverCpu: Number(idleServerCpu.toFixed(2)), peakRssMiB: Math.round(idleRss.watch.peakKiB / 1024) },
    flood: { ...flooded, serverCpu: Number(floodServerCpu.toFixed(2)), peakRssMiB: Math.round(floodRss.watch.peakKiB / 1024), baselineRssMiB: Math.round(baselineKiB / 1024) },
    ratio: { p50: Number((flooded.p50 / idle.p50).toFixed(2)), p99: Number((flooded.p99 / idle.p99).toFixed(2)) },
    attackers: { connections: attack.connections, closes: Object.fromEntries(attack.closes), ...counters },
  };
  console.log(JSON.stringify(result, null, 2));
  if (write) {
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
    writeSection('flood', section(result));
  }
  for (const c of [alice, bob]) c.terminate();
} finally {
  attack.running = false;
  await server.stop();
}

function section(r) {
  const closes = Object.entries(r.attackers.closes).map(([code, n]) => `${fmt(n)} × ${code}`).join(', ');
  return `<!-- flood:start -->
## Flooding the server (issue 15, hole 7: \`bench/flood.mjs\`)

One registered account and four unauthenticated connections write 7-byte \`LIST_CONTACTS\` frames as
fast as the server reads them and never read an answer, for ${fmt(r.seconds)} s; each one the server
closes connects again at once (the account logs in again). Meanwhile two honest members send each
other ${fmt(r.rate)} messages a second each (open loop; latency from the scheduled send to the
delivery, fsync before every acknowledgement), against the same members on the idle server for
${fmt(r.idleSeconds)} s just before. \`sotto serve\` with its defaults, server pinned to core 0, members
and attackers to core 1. ${r.measuredAt.slice(0, 10)}.

| | honest p50 (ms) | honest p99 (ms) | max (ms) | messages (lost) | server peak RSS (MiB) | server CPU (share of a core) |
|---|---|---|---|---|---|---|
| idle server | ${fmt(r.idle.p50, 1)} | ${fmt(r.idle.p99, 1)} | ${fmt(r.idle.max, 1)} | ${fmt(r.idle.messages)} (${fmt(r.idle.lost)}) | ${fmt(r.idle.peakRssMiB)} | ${fmt(r.idle.serverCpu, 2)} |
| under the flood | ${fmt(r.flood.p50, 1)} | ${fmt(r.flood.p99, 1)} | ${fmt(r.flood.max, 1)} | ${fmt(r.flood.messages)} (${fmt(r.flood.lost)}) | ${fmt(r.flood.peakRssMiB)} | ${fmt(r.flood.serverCpu, 2)} |

Under the flood the honest p99 is ${fmt(r.ratio.p99, 2)}× the idle server's (p50 ${fmt(r.ratio.p50, 2)}×): on this shared
machine both are set by the disk (an fsync before each acknowledgement) and by whatever else runs,
not by the attackers (the server used ${fmt(r.flood.serverCpu, 2)} of a core under the flood, ${fmt(r.idle.serverCpu, 2)} idle). The attackers opened
${fmt(r.attackers.connections)} connections (closes seen: ${closes}); the server closed ${fmt(r.attackers.floodClosesRefusals)} for flooding and
${fmt(r.attackers.floodClosesStalled)} for not reading, and dropped ${fmt(r.attackers.answersDropped)} \`RATE_LIMITED\` answers it would once have
queued. Each attacker's cycle is about 2 s: the server closes it within a fraction of a second and
cuts the socket 2 s later, as the attacker never reads the close.

Memory: the server's RSS peaked at ${fmt(r.flood.peakRssMiB)} MiB under the flood, against ${fmt(r.idle.peakRssMiB)} MiB on the idle server. The bound per
connection, whatever it sends and for as long as it does: what it holds for its client (1 MiB or
1,024 frames, plus the frame that crosses the mark, at most 1 MiB), the frames it sent that wait to
be handled (64 frames or 2 MiB, plus the frame that crosses the mark and the rest of one 64 KiB
socket read) and one message being received (at most 2 MiB): about 8 MiB, so 40 MiB for the five
attackers. With these attackers' 7-byte frames it is under 3 MiB each. Before the fix one such
account alone grew the server from 127 MB to 7.1 GB and killed it in 262 s (issue 15), and in
\`test/e2e/server-floods.test.ts\` these five grew it by 141 MiB in 8 s while no honest message got
through.
<!-- flood:end -->`;
}

#!/usr/bin/env node
// Where the server's time goes: runs one workload against a `sotto serve` pinned to core 0 (the load
// on core 1, as in bench/peers.mjs) and samples the server's CPU with V8's profiler, reached over
// the inspector protocol, only while the measured phase runs (not start-up, registration or set-up).
// Prints the self time by area and the functions with the most self and inclusive time; writes
// bench/results/profile-WORKLOAD.json and the .cpuprofile. A profile explains a figure; it is not one.
//
//   node bench/profile.mjs relay [--rate 1000] [--seconds 5]   10 sender -> recipient pairs, open loop
//   node bench/profile.mjs connect [--connections 2000]        logins, 100 in flight
//   node bench/profile.mjs fanout [--messages 20]               one sender -> 999 receivers
//   node bench/profile.mjs drain [--messages 10000]             a queue drained on reconnect
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Profiler } from './profiler.mjs';
import { summariseProfile } from './profile-summary.mjs';

const workload = process.argv[2];
const valueOf = (flag, fallback) => {
  const index = process.argv.indexOf(flag);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
};
const { freePort, canPin, mapLimit, openLoop, sleep, waitUntil } = await import('./peers/common.mjs');
const inspectorPort = await freePort();
process.env.SOTTO_BENCH_NODE_FLAGS = `--inspect=127.0.0.1:${inspectorPort}`;
const { PEERS } = await import('./peers/adapters.mjs');
const profiler = new Profiler(inspectorPort);

const sotto = PEERS.sotto;
const cpu = canPin() ? 0 : undefined;
const login = (server, i) => sotto.client(server).login(`u${i}`);

const WORKLOADS = {
  async relay(server) {
    const rate = valueOf('--rate', 1000);
    const seconds = valueOf('--seconds', 5);
    const pairs = 10;
    let received = 0;
    const senders = await mapLimit([...Array(pairs).keys()], pairs, (i) => login(server, i));
    const recipients = await mapLimit([...Array(pairs).keys()], pairs, (i) => login(server, pairs + i));
    for (const r of recipients) r.onChat = () => received++;
    for (const [i, sender] of senders.entries()) await sotto.openChat(sender, recipients[i]);
    await profiler.start();
    const { total } = await openLoop({ rate, seconds, send: (i) => senders[i % pairs].sendChat(recipients[i % pairs].user, i) });
    await waitUntil(() => received >= total, 10_000);
    return { rate, seconds, sent: total, received };
  },
  async connect(server) {
    const connections = valueOf('--connections', 2000);
    await profiler.start();
    const started = performance.now();
    const clients = await mapLimit([...Array(connections).keys()], 100, (i) => login(server, i));
    const perSecond = connections / ((performance.now() - started) / 1000);
    for (const client of clients) client.terminate();
    await sleep(500);
    return { connections, perSecond: Math.round(perSecond) };
  },
  async fanout(server) {
    const messages = valueOf('--messages', 20);
    const members = await mapLimit([...Array(999).keys()], 100, (i) => login(server, i));
    const sender = await login(server, 999);
    let count = 0;
    for (const member of members) member.onGroup = () => count++;
    await sotto.formRoom('bench', sender, members);
    await profiler.start();
    for (let m = 0; m < messages; m++) {
      count = 0;
      sender.sendGroup(m);
      await waitUntil(() => count >= members.length, 10_000, 1);
    }
    return { receivers: members.length, messages };
  },
  async drain(server) {
    const messages = valueOf('--messages', 10_000);
    const sender = await login(server, 0);
    const first = await login(server, 1);
    await sotto.openChat(sender, first);
    await first.close();
    for (let i = 0; i < messages; i++) {
      sender.sendChat('u1', i);
      if (i % 1000 === 999) await sender.ping();
    }
    await sender.ping();
    let received = 0;
    const recipient = sotto.client(server);
    recipient.onChat = () => received++;
    await profiler.start();
    const started = performance.now();
    await recipient.login('u1');
    await waitUntil(() => received >= messages, 60_000);
    return { messages, drainMs: Math.round(performance.now() - started) };
  },
};

const users = { relay: 20, connect: valueOf('--connections', 2000), fanout: 1000, drain: 2 }[workload];
if (!users) {
  console.error(`usage: node bench/profile.mjs ${Object.keys(WORKLOADS).join('|')} [options]`);
  process.exit(2);
}
const server = await sotto.start({ users, cpu });
let result;
let profile;
try {
  await profiler.connect();
  result = await WORKLOADS[workload](server);
  profile = await profiler.stop();
} finally {
  profiler.close();
  await server.stop();
}
const file = join(mkdtempSync(join(tmpdir(), 'sotto-profile-')), `${workload}.cpuprofile`);
writeFileSync(file, JSON.stringify(profile));
const summary = { workload, result, ...summariseProfile(profile) };
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL(`./results/profile-${workload}.json`, import.meta.url), `${JSON.stringify(summary, null, 2)}\n`);
console.log(JSON.stringify(result));
console.log(`profile: ${file} (open in Chrome DevTools); summary in bench/results/profile-${workload}.json`);
console.log('\nself time by area (% of all samples):');
for (const [area, share] of summary.areas) console.log(`  ${share.toFixed(1).padStart(5)}%  ${area}`);
console.log('\ntop self time:');
for (const f of summary.self.slice(0, 20)) console.log(`  ${f.percent.toFixed(1).padStart(5)}%  ${f.name}`);
console.log('\ntop inclusive time (server code):');
for (const f of summary.inclusive.slice(0, 25)) console.log(`  ${f.percent.toFixed(1).padStart(5)}%  ${f.name}`);

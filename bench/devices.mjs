// Linked devices (issue 17): how long linking a device takes for an account with 50 conversations,
// and what a message to a member with 5 devices costs against one with 1.
//
// A real `sotto serve` (SQLite, defaults) and real Node clients (client-node: SQLite profiles,
// node:crypto Ed25519) in this process. Linking is timed from `devices.link()` to the new device
// being in every conversation (its Welcomes processed). A message is timed from `sendText` to the
// last of the recipient's devices showing it; the sender's time to the server's acknowledgement
// is reported too. Several runs; median and worst.
//
//   node bench/devices.mjs [--conversations 50] [--runs 3] [--messages 200]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linkNodeClient, registerNodeClient } from '@sotto/client-node';
import { ContactState } from '@sotto/protocol';
import { fmt, machine, median, percentile, writeSection } from './lib.mjs';
import { freePort } from './peers/common.mjs';

const CLI = new URL('../packages/cli/dist/bin.js', import.meta.url).pathname;
const arg = (name, fallback) => {
  const index = process.argv.indexOf(name);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
};
const CONVERSATIONS = arg('--conversations', 50);
const RUNS = arg('--runs', 3);
const MESSAGES = arg('--messages', 200);

const dir = mkdtempSync(join(tmpdir(), 'sotto-bench-devices-'));
let profiles = 0;
const profile = () => ({ profileDir: join(dir, `p${profiles++}`), logLevel: 'silent', reconnect: false });

async function startServer() {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--data', join(dir, 'server'), '--log-level', 'warn', '--no-rate-limits'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (c) => c.toString().includes('listening') && resolve());
    child.once('exit', () => reject(new Error('server exited')));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

async function until(condition, what, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function member(url, name) {
  const client = await registerNodeClient(profile(), url, name);
  await client.connect();
  await client.sync();
  await client.idle();
  return client;
}

async function befriend(a, b) {
  await a.requestContact(b.identity.username, 'bench');
  await until(async () => (await b.refreshContacts()).some((c) => c.username === a.identity.username), 'request');
  await b.respondToContact(a.identity.username, 'accept');
  await until(async () => (await a.refreshContacts()).some((c) => c.username === b.identity.username && c.state === ContactState.ACCEPTED), 'accept');
}

async function linkOne(existing, url) {
  const started = performance.now();
  const link = await existing.devices.link();
  const [device, linked] = await Promise.all([linkNodeClient(profile(), url, link.code), link.linked]);
  const listed = performance.now() - started;
  await until(async () => (await device.listConversations()).filter((c) => c.active).length >= linked.conversations, 'welcomes');
  return { device, listedMs: listed, totalMs: performance.now() - started, conversations: linked.conversations };
}

async function messageCost(sender, devices, groupId) {
  const ackMs = [];
  const allMs = [];
  for (let i = 0; i < MESSAGES; i++) {
    const body = `m${i}-${Math.random()}`;
    const seen = devices.map((d) => new Promise((resolve) => {
      const off = d.events.didReceiveMessage.event((m) => {
        if (m.body === body) {
          off();
          resolve();
        }
      });
    }));
    const t0 = performance.now();
    await sender.sendText(groupId, body);
    ackMs.push(performance.now() - t0);
    await Promise.all(seen);
    allMs.push(performance.now() - t0);
  }
  const sort = (a) => [...a].sort((x, y) => x - y);
  return { ackP50: percentile(sort(ackMs), 50), allP50: percentile(sort(allMs), 50), allP99: percentile(sort(allMs), 99) };
}

const server = await startServer();
const clients = [];
try {
  // Linking: an account with CONVERSATIONS 1:1 conversations.
  const ada = await member(server.url, 'ada');
  clients.push(ada);
  for (let i = 0; i < CONVERSATIONS; i++) {
    const contact = await member(server.url, `contact${i}`);
    clients.push(contact);
    await befriend(contact, ada);
    await ada.openDirect(contact.identity.username);
  }
  const links = [];
  for (let run = 0; run < RUNS; run++) {
    const result = await linkOne(ada, server.url);
    links.push(result);
    console.log(`link run ${run + 1}: listed in ${fmt(result.listedMs)} ms, in all ${result.conversations} conversations after ${fmt(result.totalMs)} ms`);
    await result.device.close();
    await ada.devices.remove(result.device.identity.deviceId);
  }

  // Message cost: a member with 1 device, then the same member with 5.
  const bob = await member(server.url, 'bob');
  const eve = await member(server.url, 'eve');
  clients.push(bob, eve);
  await befriend(eve, bob);
  const chat = await eve.openDirect('bob');
  await until(async () => (await bob.listConversations()).some((c) => c.groupId === chat && c.active), 'chat');
  const one = [];
  for (let run = 0; run < RUNS; run++) one.push(await messageCost(eve, [bob], chat));
  const bobDevices = [bob];
  for (let i = 0; i < 4; i++) {
    const { device } = await linkOne(bob, server.url);
    clients.push(device);
    bobDevices.push(device);
  }
  await until(async () => (await Promise.all(bobDevices.map(async (d) => (await d.listConversations()).some((c) => c.groupId === chat && c.active)))).every(Boolean), 'five in chat');
  const five = [];
  for (let run = 0; run < RUNS; run++) five.push(await messageCost(eve, bobDevices, chat));

  const facts = machine();
  const row = (name, values, key) => `${fmt(median(values.map((v) => v[key])), 1)} / ${fmt(Math.max(...values.map((v) => v[key])), 1)}`;
  const section = [
    '<!-- devices:start -->',
    '## Linked devices (issue 17: `bench/devices.mjs`)',
    '',
    `A real \`sotto serve\` (SQLite, defaults) and Node clients (SQLite profiles) in one process on ${facts.cores} cores (${facts.cpu}), Node ${facts.node}, ts-mls ${facts.tsMls}. ${RUNS} runs; median / worst. ${new Date().toISOString().slice(0, 10)}.`,
    '',
    `**Linking a device to an account with ${CONVERSATIONS} conversations**, from \`devices.link()\` on the existing device:`,
    '',
    '| | median (ms) | worst (ms) |',
    '|---|---|---|',
    `| linked, as the existing device reports it (\`link.linked\`: code used, list signed and published, bundle sealed, one commit into each conversation) | ${fmt(median(links.map((l) => l.listedMs)))} | ${fmt(Math.max(...links.map((l) => l.listedMs)))} |`,
    `| the new device in all ${CONVERSATIONS} conversations (its Welcomes processed) | ${fmt(median(links.map((l) => l.totalMs)))} | ${fmt(Math.max(...links.map((l) => l.totalMs)))} |`,
    '',
    `**A message to a member with 1 device and with 5** (${MESSAGES} messages a run, one after another, in a 1:1 conversation):`,
    '',
    '| recipient | sender: to the acknowledgement, p50 (ms) | to the last device showing it, p50 (ms) | p99 (ms) |',
    '|---|---|---|---|',
    `| 1 device | ${row('1', one, 'ackP50')} | ${row('1', one, 'allP50')} | ${row('1', one, 'allP99')} |`,
    `| 5 devices | ${row('5', five, 'ackP50')} | ${row('5', five, 'allP50')} | ${row('5', five, 'allP99')} |`,
    '',
    'The sender encrypts once per message whatever the number of devices (one MLS group), and the server stores one mailbox entry per device. What grows is the receipts: each of the five devices sends its own delivery receipt, an MLS message that the sender and the four other devices decrypt, so one message costs about 30 decryptions among the six devices here, all in one process on two cores. That, not the server, sets the 5-device figures; on five separate devices each does one decryption of the message and four of receipts. Sending delivery receipts from one device of an account only is the next step (issue 21).',
    '<!-- devices:end -->',
  ].join('\n');
  console.log(section);
  if (process.argv.includes('--write')) writeSection('devices', section);
} finally {
  for (const client of clients) await client.close().catch(() => undefined);
  server.child.kill('SIGTERM');
  await new Promise((resolve) => server.child.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
}

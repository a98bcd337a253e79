#!/usr/bin/env node
// Video group calls (issue 20): CPU of the Sotto server and of the SFU (Debian's Janus) per
// participant, and join time, for calls of 2 and 4 participants in the web app, each in a
// Chromium context with a fake camera (640x360 asked, 15 fps, at most 500 kb/s) and a fake
// microphone, every frame sealed with SFrame in the page's encoded-transform worker. The first
// participant starts the call with the group's phone button, the others Join; then each turns
// its camera on. Once every page decodes every other's video, the server's, Janus's and
// Chromium's CPU (all its processes) are read from /proc over a 10 s window, with the frames
// each page decoded in it. Join time is from the Join click to the bar's "In the call with"
// (ticket, Janus session, publish, connect, a first frame opened). One Chromium holds all the
// participants and shares the machine's two cores with the server and Janus. Usage:
//   node bench/group-video.mjs [--runs 3] [--sizes 2,4] [--write]
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { JanusProcess } from '@sotto/server/janus-test-env';
import { cpuSeconds, fmt, machine, median, writeSection } from './lib.mjs';
import { freePort } from './peers/common.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const RUNS = Number(arg('--runs', '3'));
const SIZES = arg('--sizes', '2,4').split(',').map(Number);
const WRITE = process.argv.includes('--write');
const CLI = join(process.cwd(), 'packages/cli/dist/bin.js');
const WINDOW_MS = 10_000;
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

const dir = mkdtempSync(join(tmpdir(), 'sotto-bench-video-'));



/** Chromium's processes now (browser, renderers, GPU and utility processes). */
function chromiumPids() {
  return readdirSync('/proc').filter((p) => /^[0-9]+$/.test(p)).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim().startsWith('chromium');
    } catch {
      return false;
    }
  });
}

function cli(name, args, timeoutMs = 60_000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--profile', join(dir, name), '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`sotto ${args.join(' ')} (${name}) exited ${code}: ${err}`));
    });
  });
}

/** Inbound video streams a page decodes frames on, and its frames decoded so far. */
function inboundVideo(page) {
  return page.evaluate(async () => {
    const out = { streams: 0, framesDecoded: 0 };
    for (const pc of window.__pcs ?? []) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((s) => {
        if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
        if ((s.framesDecoded ?? 0) > 0) out.streams += 1;
        out.framesDecoded += s.framesDecoded ?? 0;
      });
    }
    return out;
  });
}

async function until(check, what, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out: ${what}`);
}

const names = Array.from({ length: Math.max(...SIZES) }, (_, i) => `cam${i}`);
const janus = await JanusProcess.start({ rtpPortMin: 42_800 });
const secretFile = join(dir, 'sfu-secret');
writeFileSync(secretFile, janus.secret, { mode: 0o600 });
const port = await freePort();
const server = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--data', join(dir, 'server'), '--log-level', 'warn', '--sfu', janus.url, '--sfu-secret-file', secretFile], { stdio: 'ignore' });
const url = `http://127.0.0.1:${port}`;
for (let i = 0; i < 100; i++) {
  if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) break;
  await new Promise((r) => setTimeout(r, 100));
}
const browser = await chromium.launch({ executablePath: process.env.SOTTO_CHROMIUM ?? '/usr/bin/chromium', args: FLAGS });
const chromiumVersion = browser.version();

const results = [];
try {
  // A CLI host befriends every participant and makes the groups; it never joins a call.
  await cli('host', ['register', 'host', '--server', url]);
  const pages = [];
  for (const name of names) {
    const context = await browser.newContext({ viewport: { width: 1100, height: 760 }, permissions: ['microphone', 'camera'] });
    await context.addInitScript(() => {
      const Native = window.RTCPeerConnection;
      window.__pcs = [];
      window.RTCPeerConnection = function (...args) {
        const pc = new Native(...args);
        window.__pcs.push(pc);
        return pc;
      };
      window.RTCPeerConnection.prototype = Native.prototype;
    });
    const page = await context.newPage();
    await page.goto(url);
    await page.evaluate(() => localStorage.setItem('sotto.allowLoopbackSfu', '1'));
    await page.getByLabel('Username').fill(name);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByLabel(`Signed in as ${name}`).waitFor({ timeout: 30_000 });
    await cli('host', ['contacts', 'request', name, 'bench']);
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Contacts' }).click();
    await page.getByRole('button', { name: 'Accept host' }).click({ timeout: 30_000 });
    pages.push(page);
  }
  await cli('host', ['sync']);
  for (const size of SIZES) await cli('host', ['group', 'create', `v${size}`, ...names.slice(0, size)]);

  for (const size of SIZES) {
    const runs = [];
    const people = pages.slice(0, size);
    for (let run = 0; run < RUNS; run++) {
      for (const page of people) {
        await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Chats' }).click();
        await page.getByRole('button', { name: new RegExp(`Group v${size}`) }).click({ timeout: 30_000 });
      }
      const bar = (page) => page.getByRole('region', { name: 'Group call' });
      const joins = [];
      const started = performance.now();
      await people[0].getByRole('button', { name: 'Start or join the group call' }).click();
      await bar(people[0]).getByTestId('group-call-status').getByText(/In the call/).waitFor({ timeout: 30_000 });
      joins.push(performance.now() - started);
      for (const page of people.slice(1)) {
        await bar(page).getByRole('button', { name: 'Join' }).waitFor({ timeout: 30_000 });
        const clicked = performance.now();
        await bar(page).getByRole('button', { name: 'Join' }).click();
        await bar(page).getByTestId('group-call-status').getByText(/In the call with/).waitFor({ timeout: 30_000 });
        joins.push(performance.now() - clicked);
      }
      for (const page of people) await bar(page).getByRole('button', { name: 'Camera on' }).click();
      await until(async () => (await Promise.all(people.map(inboundVideo))).every((v) => v.streams >= size - 1), `every page decoding ${size - 1} videos`);
      const pids = chromiumPids();
      const before = { server: cpuSeconds(server.pid), janus: cpuSeconds(janus.pid), chromium: pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0), frames: await Promise.all(people.map(inboundVideo)), at: performance.now() };
      await new Promise((r) => setTimeout(r, WINDOW_MS));
      const after = { server: cpuSeconds(server.pid), janus: cpuSeconds(janus.pid), chromium: pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0), frames: await Promise.all(people.map(inboundVideo)), at: performance.now() };
      const wall = (after.at - before.at) / 1000;
      // Frames each page decoded per second from each other participant.
      const fps = people.map((_, i) => (after.frames[i].framesDecoded - before.frames[i].framesDecoded) / wall / (size - 1));
      runs.push({
        serverPct: (100 * (after.server - before.server)) / wall,
        janusPct: (100 * (after.janus - before.janus)) / wall,
        chromiumPct: (100 * (after.chromium - before.chromium)) / wall,
        fps: median(fps),
        joinMedianMs: median(joins),
        joinWorstMs: Math.max(...joins),
      });
      for (const page of people) await bar(page).getByRole('button', { name: 'Leave' }).click();
      for (const page of people) await bar(page).getByRole('button', { name: 'Leave' }).waitFor({ state: 'detached', timeout: 20_000 });
      // The room empties at the SFU before the next run's call.
      await new Promise((r) => setTimeout(r, 2_000));
      const r = runs.at(-1);
      console.log(`${size} with video, run ${run + 1}: server ${fmt(r.serverPct, 1)}% CPU, Janus ${fmt(r.janusPct, 1)}%, Chromium ${fmt(r.chromiumPct, 0)}%, ${fmt(r.fps, 1)} frames/s decoded per stream, join ${fmt(r.joinMedianMs)} ms median, ${fmt(r.joinWorstMs)} worst`);
    }
    const pick = (key) => ({ median: median(runs.map((r) => r[key])), worst: Math.max(...runs.map((r) => r[key])), least: Math.min(...runs.map((r) => r[key])) });
    results.push({ size, server: pick('serverPct'), janus: pick('janusPct'), chromium: pick('chromiumPct'), fps: pick('fps'), joinMedian: pick('joinMedianMs'), joinWorst: pick('joinWorstMs') });
  }
} finally {
  await browser.close();
  server.kill('SIGTERM');
  await janus.dispose();
  rmSync(dir, { recursive: true, force: true });
}

const rows = results.map(({ size, server: s, janus: j, chromium: c, fps, joinMedian, joinWorst }) =>
  `| ${size} | ${fmt(s.median, 1)} (${fmt(s.worst, 1)}) | ${fmt(s.median / size, 2)} | ${fmt(j.median, 1)} (${fmt(j.worst, 1)}) | ${fmt(j.median / size, 2)} | ${fmt(c.median, 0)} (${fmt(c.worst, 0)}) | ${fmt(fps.median, 1)} (${fmt(fps.least, 1)}) | ${fmt(joinMedian.median)} (${fmt(joinMedian.worst)}) | ${fmt(joinWorst.median)} (${fmt(joinWorst.worst)}) |`);
const facts = machine();
const section = `<!-- group-video:start -->
## Group video calls: CPU per participant and join time

\`node bench/group-video.mjs --runs ${RUNS}\` on ${facts.cores} cores of ${facts.cpu}, Node ${facts.node}, Chromium ${chromiumVersion} (Debian),
Debian's Janus 1.1.2 behind \`sotto serve --sfu\` (SQLite). Every participant is a page of the web
app in one headless Chromium, with Chromium's fake camera (640x360 asked, 15 frames/s, at most
500 kb/s) and fake microphone; every VP8 and Opus frame sealed with SFrame in the page's
encoded-transform worker. The first participant starts the call, the others Join, then each
turns its camera on. Once every page decodes every other's video, CPU is each process's user +
system time over a ${WINDOW_MS / 1000} s window (Chromium: all its processes), as a percentage of one
core; frames/s is what each page decoded from each other participant in that window (median
page; in brackets the lowest run). Join time is from the Join click (the first participant: the
call button) to "In the call". Median (worst) of ${RUNS} runs. Chromium, encoding and decoding every
participant's video, takes most of the two cores, so it is in every other figure too.

| participants, all with video | server CPU % | server % per participant | Janus CPU % | Janus % per participant | Chromium CPU % (all pages) | frames/s decoded per stream | join, median of the call (ms) | join, slowest of the call (ms) |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}
<!-- group-video:end -->`;
console.log(section);
if (WRITE) writeSection('group-video', section);
process.exit(0);

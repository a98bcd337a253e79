#!/usr/bin/env node
// Group calls (issue 20): CPU of the Sotto server and of the SFU (Debian's Janus) per participant,
// and join time, for audio calls of 2, 4 and 8 CLI participants on this machine. Each participant
// is a real `sotto group call` process (werift, Opus, SFrame), playing a tone; the server
// (`sotto serve --sfu`, SQLite) and Janus are processes of their own, so their CPU is read from
// /proc/<pid>/stat over a 10 s window once everyone hears everyone. Join time is from a
// participant's "joining" line to its "joined" line (ticket, Janus session, publish, connect),
// so the CLI's own start is not in it. The participants share the machine's two cores with the
// server and Janus, so their load is in every figure. Usage:
//   node bench/group-call.mjs [--runs 3] [--sizes 2,4,8] [--write]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { JanusProcess } from '@sotto/server/janus-test-env';
import { sineWave, writeWav } from '@sotto/client-node/calls';
import { cpuSeconds, fmt, machine, median, writeSection } from './lib.mjs';
import { freePort } from './peers/common.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const RUNS = Number(arg('--runs', '3'));
const SIZES = arg('--sizes', '2,4,8').split(',').map(Number);
const WRITE = process.argv.includes('--write');
const CLI = join(process.cwd(), 'packages/cli/dist/bin.js');
const WINDOW_MS = 10_000;

const dir = mkdtempSync(join(tmpdir(), 'sotto-bench-group-'));



function cli(name, args, timeoutMs = 60_000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--profile', join(dir, name), '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`sotto ${args.join(' ')} (${name}) exited ${code}: ${err}`));
    });
  });
}

/** A participant: resolves `joined` with its join time, and `everyone` once it hears `others` people. */
function participant(name, group, others, seconds) {
  const child = spawn(process.execPath, [CLI, '--profile', join(dir, name), '--json', 'group', 'call', group, '--allow-loopback-candidates', '--play', join(dir, `${name}.wav`), '--seconds', String(seconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let joiningAt = 0;
  let heard = 0;
  let resolveJoined;
  let resolveEveryone;
  const joined = new Promise((r) => (resolveJoined = r));
  const everyone = new Promise((r) => (resolveEveryone = r));
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    const record = JSON.parse(line);
    if (record.state === 'joining') joiningAt = performance.now();
    if (record.state === 'joined') resolveJoined(performance.now() - joiningAt);
    if (record.state === 'hearing' && ++heard === others) resolveEveryone();
  });
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
  // SIGTERM makes the CLI leave the call and exit 0, as Ctrl-C does.
  return { joined, everyone, exited, leave: () => child.kill('SIGTERM') };
}

const names = Array.from({ length: Math.max(...SIZES) }, (_, i) => `peer${i}`);
const janus = await JanusProcess.start({ rtpPortMin: 42_000 });
const secretFile = join(dir, 'sfu-secret');
writeFileSync(secretFile, janus.secret, { mode: 0o600 });
const port = await freePort();
const server = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--data', join(dir, 'server'), '--log-level', 'warn', '--sfu', janus.url, '--sfu-secret-file', secretFile], { stdio: 'ignore' });
const url = `http://127.0.0.1:${port}`;
for (let i = 0; i < 100; i++) {
  if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) break;
  await new Promise((r) => setTimeout(r, 100));
}
const janusPid = janus.pid;

const results = [];
try {
  for (const [i, name] of names.entries()) {
    await cli(name, ['register', name, '--server', url]);
    await writeWav(join(dir, `${name}.wav`), sineWave(300 + 60 * i, 2, 48_000));
  }
  for (const name of names.slice(1)) {
    await cli('peer0', ['contacts', 'request', name, 'bench']);
    await cli(name, ['sync']);
    await cli(name, ['contacts', 'accept', 'peer0']);
  }
  await cli('peer0', ['sync']);
  for (const size of SIZES) {
    await cli('peer0', ['group', 'create', `g${size}`, ...names.slice(1, size)]);
    for (const name of names.slice(1, size)) await cli(name, ['sync']);
  }
  for (const size of SIZES) {
    const runs = [];
    for (let run = 0; run < RUNS; run++) {
      const seconds = 120; // a cap: each leaves once the window is measured
      const people = names.slice(0, size).map((name) => participant(name, `g${size}`, size - 1, seconds));
      const joins = await Promise.all(people.map((p) => p.joined));
      await Promise.all(people.map((p) => p.everyone));
      const before = { server: cpuSeconds(server.pid), janus: cpuSeconds(janusPid), at: performance.now() };
      await new Promise((r) => setTimeout(r, WINDOW_MS));
      const after = { server: cpuSeconds(server.pid), janus: cpuSeconds(janusPid), at: performance.now() };
      const wall = (after.at - before.at) / 1000;
      runs.push({
        serverPct: (100 * (after.server - before.server)) / wall,
        janusPct: (100 * (after.janus - before.janus)) / wall,
        joinMedianMs: median(joins),
        joinWorstMs: Math.max(...joins),
      });
      for (const p of people) p.leave();
      const ends = await Promise.all(people.map((p) => p.exited));
      const failed = ends.filter((e) => e.code !== 0);
      if (failed.length > 0) throw new Error(`${failed.length} participants failed: ${failed[0].stderr}`);
      console.log(`${size} participants, run ${run + 1}: server ${fmt(runs.at(-1).serverPct, 1)}% CPU, Janus ${fmt(runs.at(-1).janusPct, 1)}%, join ${fmt(runs.at(-1).joinMedianMs)} ms median, ${fmt(runs.at(-1).joinWorstMs)} worst`);
    }
    const pick = (key) => ({ median: median(runs.map((r) => r[key])), worst: Math.max(...runs.map((r) => r[key])) });
    results.push({ size, server: pick('serverPct'), janus: pick('janusPct'), joinMedian: pick('joinMedianMs'), joinWorst: pick('joinWorstMs') });
  }
} finally {
  server.kill('SIGTERM');
  await janus.dispose();
  rmSync(dir, { recursive: true, force: true });
}

const rows = results.map(({ size, server: s, janus: j, joinMedian, joinWorst }) =>
  `| ${size} | ${fmt(s.median, 1)} (${fmt(s.worst, 1)}) | ${fmt(s.median / size, 2)} | ${fmt(j.median, 1)} (${fmt(j.worst, 1)}) | ${fmt(j.median / size, 2)} | ${fmt(joinMedian.median)} (${fmt(joinMedian.worst)}) | ${fmt(joinWorst.median)} (${fmt(joinWorst.worst)}) |`);
const facts = machine();
const werift = JSON.parse(readFileSync(new URL('../node_modules/werift/package.json', import.meta.url), 'utf8')).version;
const section = `<!-- group-call:start -->
## Group calls: CPU per participant and join time

\`node bench/group-call.mjs --runs ${RUNS}\` on ${facts.cores} cores of ${facts.cpu}, Node ${facts.node}, werift ${werift}. Audio only (Opus 20 ms frames, each
sealed with SFrame), every participant a \`sotto group call\` process playing a tone, through
Debian's Janus 1.1.2 behind \`sotto serve --sfu\` (SQLite). CPU is each process's user + system
time over a ${WINDOW_MS / 1000} s window once every participant hears every other, as a percentage of
one core; join time from a participant's "joining" line to its "joined" line (the ticket, the
Janus session, publishing and connecting; not the CLI's own start). Median (worst) of ${RUNS} runs.
The participants (werift and Opus in Node) share the two cores with the server and Janus, so at 8
they load the machine and every figure with it. Video group calls: \`bench/group-video.mjs\` (its own
section).

| participants | server CPU % | server % per participant | Janus CPU % | Janus % per participant | join, median of the call (ms) | join, slowest of the call (ms) |
|---:|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}
<!-- group-call:end -->`;
console.log(section);
if (WRITE) writeSection('group-call', section);
process.exit(0);

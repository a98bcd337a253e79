#!/usr/bin/env node
// Side-by-side benchmarks: the workloads of performance.md run against Sotto, Prosody and ejabberd (XMPP over
// WebSocket) and Mosquitto (MQTT) on this machine with one load generator, so Sotto's figures can
// be given as ratios measured the same way. Prints the figures as JSON, saves them to
// bench/results/peers.json, draws docs/charts/*.svg and writes the `peers` section of
// docs/BENCHMARKS.md. Figures, not pass/fail.
//
//   node bench/peers.mjs [--quick] [--peer sotto|prosody|ejabberd|mosquitto] [--workload NAME]
//
// NAME: idle-density, connect-storm, latency, knee, fanout, offline. Each workload of each peer
// runs in its own generator process pinned to core 1, against its own server pinned to core 0.
// A run limited by --peer or --workload keeps the other figures already in peers.json.
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { machine, writeSection } from './lib.mjs';
import { PEERS } from './peers/adapters.mjs';
import { canPin } from './peers/common.mjs';
import { writeCharts } from './peers/render-charts.mjs';
import { renderSection } from './peers/report.mjs';
import { OPTIONS, WORKLOADS } from './peers/workloads.mjs';

const RESULTS = new URL('./results/peers.json', import.meta.url);
const GENERATOR = new URL('./peers/generator.mjs', import.meta.url).pathname;
const kebab = (name) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const camel = (name) => name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());

function parseArgs(argv) {
  const valueOf = (flag) => {
    const index = argv.indexOf(flag);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const peer = valueOf('--peer');
  const workload = valueOf('--workload');
  if (peer && !PEERS[peer]) throw new Error(`--peer must be one of ${Object.keys(PEERS).join(', ')}`);
  if (workload && !WORKLOADS[camel(workload)]) throw new Error(`--workload must be one of ${Object.keys(WORKLOADS).map(kebab).join(', ')}`);
  return {
    mode: argv.includes('--quick') ? 'quick' : 'full',
    peers: peer ? [peer] : Object.keys(PEERS),
    workloads: workload ? [camel(workload)] : Object.keys(WORKLOADS),
    partial: Boolean(peer || workload),
  };
}

/** Servers started by generators, so an interrupted run leaves none behind. */
const liveServers = new Set();
let liveGenerator;

function killLeftovers() {
  liveGenerator?.kill('SIGKILL');
  for (const pid of liveServers) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    killLeftovers();
    process.exit(130);
  });
}

/** Runs one workload of one peer in a generator process pinned to core 1 (server on core 0). */
function runInGenerator({ peer, workload, mode, pinned }) {
  const child = fork(GENERATOR, [], pinned ? { execPath: 'taskset', execArgv: ['-c', '1', process.execPath] } : {});
  liveGenerator = child;
  const servers = [];
  return new Promise((resolve, reject) => {
    let answer;
    child.on('message', (message) => {
      if (message.serverPid) {
        servers.push(message.serverPid);
        liveServers.add(message.serverPid);
      } else answer = message;
    });
    child.once('exit', (code) => {
      liveGenerator = undefined;
      // The generator stops its servers itself; this only catches a generator that died.
      for (const pid of servers) {
        liveServers.delete(pid);
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // stopped normally
        }
      }
      if (answer?.result) resolve(answer.result);
      else reject(new Error(answer?.error ?? `generator exited with code ${code}`));
    });
    child.send({ peer, workload, mode, serverCpu: pinned ? 0 : undefined });
  });
}

function loadPrevious() {
  try {
    return existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : undefined;
  } catch {
    return undefined;
  }
}

async function main() {
  const { mode, peers, workloads, partial } = parseArgs(process.argv.slice(2));
  const pinned = canPin() && machine().cores >= 2;
  const facts = machine();
  const previous = partial ? loadPrevious() : undefined;
  const report = {
    machine: facts,
    pinning: pinned ? { server: 0, generator: 1 } : 'none: taskset or a second core is missing, figures are less trustworthy',
    peers: previous?.peers ?? {},
  };
  for (const peer of peers) {
    const entry = (report.peers[peer] ??= {});
    Object.assign(entry, { version: PEERS[peer].version(), protocol: PEERS[peer].protocol, auth: PEERS[peer].auth, settings: PEERS[peer].settings });
    entry.workloads ??= {};
    for (const workload of workloads) {
      const started = Date.now();
      // Others' work on this shared machine skews figures; the load average says how busy it was.
      const loadAverage = Number(loadavg()[0].toFixed(2));
      process.stderr.write(`${peer} ${kebab(workload)} (${mode})... `);
      try {
        const result = await runInGenerator({ peer, workload, mode, pinned });
        entry.workloads[workload] = { mode, measuredAt: new Date().toISOString(), loadAverage, options: OPTIONS[mode][workload], ...result };
        process.stderr.write(`${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      } catch (error) {
        entry.workloads[workload] = { mode, measuredAt: new Date().toISOString(), loadAverage, error: String(error.message).split('\n')[0] };
        process.stderr.write(`failed: ${error.message}\n`);
      }
    }
  }
  report.writtenAt = new Date().toISOString();
  console.log(JSON.stringify(report, null, 2));
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
  const charts = writeCharts(report);
  writeSection('peers', renderSection(report));
  process.stderr.write(`wrote bench/results/peers.json, ${charts.join(', ')} and the peers section of docs/BENCHMARKS.md\n`);
}

main().catch((error) => {
  killLeftovers();
  console.error(error);
  process.exit(1);
});

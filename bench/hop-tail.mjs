#!/usr/bin/env node
// What makes the slow 1:1 hops at light load (issue 21: "attribute every hop over 10 ms at light
// load"). The peers' 1:1 workload (bench/peers/workloads.mjs: one sender, one recipient, 200-byte
// payloads, open loop) against a `sotto serve` pinned to core 0, this generator on core 1, with
// bench/peers/server-trace.mjs loaded into the server to record every SQLite COMMIT and every GC
// pause with wall-clock times. Each hop over the target (2 ms) and over 10 ms is then put down to
// what overlapped it in the server: a commit longer than 1 ms (the WAL write and fsync, during which
// the event loop waits), else a GC pause, else nothing the server recorded (the sockets, the kernel,
// the generator). Beside it, the disk's own floor: single-row commits at the same rate with nothing
// else running (bench/peers/commit-floor.mjs). Hops are from the actual send, as the targets table's.
//
// With --pairs 10 --rate R --seconds 4 --target 50 --stall 50 it attributes a throughput knee's step
// instead (ten sender -> recipient pairs, the knee's criterion p99 <= 50 ms): its own section.
//
//   node bench/hop-tail.mjs [--runs 5] [--rate 250] [--seconds 20] [--pairs 1] [--target 2] [--stall 10] [--write]
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fmt, machine, median, percentile, writeSection } from './lib.mjs';
import { canPin } from './peers/common.mjs';

const WARM_UP = { rate: 1000, seconds: 3 };

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    rate: { type: 'string', default: '250' },
    seconds: { type: 'string', default: '20' },
    pairs: { type: 'string', default: '1' },
    target: { type: 'string', default: '2' },
    stall: { type: 'string', default: '10' },
    write: { type: 'boolean', default: false },
    run: { type: 'string' }, // internal: one measured run, in the pinned generator process
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const pairs = Number(values.pairs);
/** The hop p99 aimed at: 2 ms for the 1:1 hop at light load, 50 ms for a knee's step. */
const TARGET_P99_MS = Number(values.target);
const STALL_MS = Number(values.stall);
/** A pause (a commit, a GC) this long takes half the target's budget: the event loop waited on it. */
const PAUSE_MS = TARGET_P99_MS / 2;
/** The light-load measurement writes `hop-tail`; a loaded one its own section. */
const SECTION = pairs === 1 ? 'hop-tail' : 'hop-tail-load';

/** One run, in a generator process pinned to core 1: sends, receives, and returns what it saw. */
async function oneRunInGenerator() {
  const traceDir = values.run;
  process.env.SOTTO_BENCH_TRACE = join(traceDir, 'trace');
  process.env.SOTTO_BENCH_NODE_FLAGS = `--import=${new URL('./peers/server-trace.mjs', import.meta.url).href}`;
  // After the environment is set: the Sotto adapter reads its flags when it is loaded.
  const { PEERS } = await import('./peers/adapters.mjs');
  const { DeliveryTracker, runStretch } = await import('./peers/workloads.mjs');
  const sotto = PEERS.sotto;
  const server = await sotto.start({ users: 2 * pairs, cpu: canPin() ? 0 : undefined });
  const tracker = new DeliveryTracker();
  let result;
  try {
    // Senders u0..u{pairs-1}, each to its own recipient after them, as the peers' knee pairs them.
    const login = (i) => sotto.client(server).login(`u${i}`, server.password, { available: true });
    const senders = await Promise.all(Array.from({ length: pairs }, (_, i) => login(i)));
    const recipients = await Promise.all(Array.from({ length: pairs }, (_, i) => login(pairs + i)));
    for (const recipient of recipients) recipient.onChat = (seq) => tracker.delivered(seq);
    for (let i = 0; i < pairs; i++) await sotto.openChat(senders[i], recipients[i]);
    const stretch = { tracker, senders, recipients: recipients.map((_, i) => `u${pairs + i}`), serverPid: server.pid };
    const warmUp = await runStretch({ ...stretch, seqBase: 1, ...WARM_UP });
    result = await runStretch({ ...stretch, seqBase: 1 + warmUp.sent, rate, seconds });
    for (const client of [...senders, ...recipients]) client.terminate();
  } finally {
    await server.stop();
  }
  const wall = (t) => performance.timeOrigin + t;
  const hops = [];
  for (let i = 0; i < tracker.total; i++) if (tracker.seen[i]) hops.push([wall(tracker.sentAt[i]), tracker.arrivedAt[i] - tracker.sentAt[i]]);
  // Only what happened while the measured stretch ran: not the warm-up, not start-up.
  const from = wall(tracker.sentAt[0]);
  const to = hops.reduce((last, [sentAt, hop]) => Math.max(last, sentAt + hop), from); // not a spread: 10^5 arguments overflow the stack
  const trace = JSON.parse(readFileSync(`${process.env.SOTTO_BENCH_TRACE}.${server.pid}.json`, 'utf8'));
  const during = (events) => events.filter(([start]) => start >= from && start <= to);
  process.send({ sent: result.sent, delivered: result.delivered, sendLagP99: result.sendLagP99, serverCpu: result.serverCpu, hops, trace: { commits: during(trace.commits), gc: during(trace.gc) } });

}

function runPinned(args, cpu) {
  return new Promise((resolve, reject) => {
    const options = cpu !== undefined ? { execPath: 'taskset', execArgv: ['-c', String(cpu), process.execPath] } : {};
    const child = fork(new URL(import.meta.url).pathname, args, options);
    let answer;
    child.on('message', (message) => (answer = message));
    // 'close', not 'exit': the result may still be in the IPC channel when the process exits.
    child.once('close', (code) => (answer ? resolve(answer) : reject(new Error(`run exited with ${code} and no result`))));
  });
}

/** Puts each slow hop down to what overlapped it in the server. */
function attribute(run, overMs) {
  const causes = { commit: 0, gc: 0, other: 0 };
  const overlaps = (events, from, to, minMs = 0) => events.some(([start, duration]) => duration > minMs && start < to && start + duration > from);
  for (const [sentAt, hop] of run.hops) {
    if (hop <= overMs) continue;
    if (overlaps(run.trace.commits, sentAt, sentAt + hop, PAUSE_MS)) causes.commit++;
    else if (overlaps(run.trace.gc, sentAt, sentAt + hop, PAUSE_MS)) causes.gc++;
    else causes.other++;
  }
  return { over: causes.commit + causes.gc + causes.other, ...causes };
}

function summarise(run) {
  const hops = Float64Array.from(run.hops, ([, hop]) => hop).sort();
  const commits = Float64Array.from(run.trace.commits, ([, duration]) => duration).sort();
  const gc = run.trace.gc.map(([, duration]) => duration);
  return {
    delivered: `${run.delivered}/${run.sent}`,
    sendLagP99: run.sendLagP99,
    serverCpu: run.serverCpu,
    p50: percentile(hops, 50),
    p99: percentile(hops, 99),
    max: hops[hops.length - 1],
    overTarget: attribute(run, TARGET_P99_MS),
    stalls: attribute(run, STALL_MS),
    commitP50: percentile(commits, 50),
    commitP99: percentile(commits, 99),
    commitMax: commits[commits.length - 1],
    commitsPerMessage: commits.length / run.sent,
    gcMax: gc.length ? Math.max(...gc) : 0,
  };
}

/** The disk floor's rate: one commit at a time, as the server commits at light load (under load it batches). */
const FLOOR_RATE = 250;

function floorInProcess(cpu) {
  const script = new URL('./peers/commit-floor.mjs', import.meta.url).pathname;
  const args = [script, String(FLOOR_RATE), String(seconds)];
  const command = cpu !== undefined ? ['taskset', ['-c', String(cpu), process.execPath, ...args]] : [process.execPath, args];
  return JSON.parse(execFileSync(...command, { encoding: 'utf8' }));
}

const share = (part, whole) => (whole === 0 ? '–' : `${part} (${fmt((100 * part) / whole)}%)`);

function report(summaries, floors) {
  const lines = [
    `| run | hop p50 / p99 / max (ms) | over ${fmt(TARGET_P99_MS)} ms: all, commit > ${fmt(PAUSE_MS)} ms, GC > ${fmt(PAUSE_MS)} ms, other | over ${fmt(STALL_MS)} ms: all, commit, GC, other | server CPU, generator lag p99 (ms) | server COMMIT p50 / p99 / max (ms) | disk floor COMMIT p50 / p99 / p99.9 / max (ms) |`,
    '|---|---|---|---|---|---|---|',
  ];
  summaries.forEach((s, i) => {
    const f = floors[i];
    const causes = (a) => `${a.over}: ${share(a.commit, a.over)}, ${share(a.gc, a.over)}, ${share(a.other, a.over)}`;
    lines.push(`| ${i + 1} | ${fmt(s.p50, 2)} / ${fmt(s.p99, 2)} / ${fmt(s.max, 1)} | ${causes(s.overTarget)} | ${causes(s.stalls)} | ${fmt(s.serverCpu, 2)}, ${fmt(s.sendLagP99, 1)} | ${fmt(s.commitP50, 2)} / ${fmt(s.commitP99, 2)} / ${fmt(s.commitMax, 1)} | ${fmt(f.p50, 2)} / ${fmt(f.p99, 2)} / ${fmt(f.p999, 2)} / ${fmt(f.max, 1)} |`);
  });
  return lines.join('\n');
}

function section(table, summaries) {
  const { cpu, cores } = machine();
  const p99s = summaries.map((s) => s.p99);
  const total = (pick) => summaries.reduce((n, s) => n + pick(s), 0);
  const over = total((s) => s.overTarget.over);
  const light = pairs === 1;
  const title = light ? 'The 1:1 hop\'s tail at light load' : `What breaks a knee step: ${fmt(rate)} msg/s over ${pairs} pairs`;
  const workload = light ? 'the peers\' 1:1 workload (one sender, one recipient' : `the peers' knee workload (${pairs} sender -> recipient pairs`;
  const flags = light ? '' : ` --pairs ${pairs} --rate ${rate} --seconds ${seconds} --target ${TARGET_P99_MS} --stall ${STALL_MS}`;
  return `<!-- ${SECTION}:start -->
## ${title} (issue 21: \`bench/hop-tail.mjs\`)

Method: ${workload}, 200-byte payloads, open loop at
${fmt(rate)} msg/s for ${seconds} s after ${WARM_UP.seconds} s at ${fmt(WARM_UP.rate)}/s) against \`sotto serve\` on
SQLite (synchronous=FULL) pinned to core 0, the generator on core 1, ${cpu} (${cores} cores), each
run on a fresh server. \`bench/peers/server-trace.mjs\`, loaded into the server with \`--import\`,
records every SQLite COMMIT (timed around better-sqlite3's run: the WAL write and its fsync, while
the event loop waits) and every GC pause. Each hop over ${fmt(TARGET_P99_MS)} ms (the target's p99) and
over ${STALL_MS} ms is put down to what overlapped it: a commit over ${fmt(PAUSE_MS)} ms, else a GC
pause over ${fmt(PAUSE_MS)} ms, else neither (a server too busy to keep up, the sockets, the kernel, the
generator: the server's CPU share of its core and how late the generator sent, at p99, say which). The disk floor is single-row
commits at ${FLOOR_RATE}/s for as long with nothing else running (\`bench/peers/commit-floor.mjs\`, on core 0 right
after each run). Hops are from the actual send. \`node bench/hop-tail.mjs --runs ${summaries.length}${flags} --write\`.

${table}

Hop p99 over the runs: median ${fmt(median(p99s), 2)} ms, worst ${fmt(Math.max(...p99s), 2)} ms.
Of the ${over} hops over ${fmt(TARGET_P99_MS)} ms in all runs, ${share(total((s) => s.overTarget.commit), over)} overlapped a
commit over ${fmt(PAUSE_MS)} ms, ${share(total((s) => s.overTarget.gc), over)} only a GC pause over ${fmt(PAUSE_MS)} ms and
${share(total((s) => s.overTarget.other), over)} neither; ${total((s) => s.stalls.over)} hops were over ${fmt(STALL_MS)} ms. The
server made ${fmt(median(summaries.map((s) => s.commitsPerMessage)), 2)} commits per message: its own, and the
recipient's acknowledgements deleting delivered entries, gathered over 10 ms.
<!-- ${SECTION}:end -->`;
}

async function main() {
  const pinned = canPin() && machine().cores >= 2;
  const runs = Number(values.runs);
  const summaries = [];
  const floors = [];
  for (let i = 0; i < runs; i++) {
    const traceDir = mkdtempSync(join(tmpdir(), 'sotto-bench-trace-'));
    try {
      const run = await runPinned(['--run', traceDir, '--rate', String(rate), '--seconds', String(seconds), '--pairs', String(pairs), '--target', String(TARGET_P99_MS), '--stall', String(STALL_MS)], pinned ? 1 : undefined);
      summaries.push(summarise(run));
    } finally {
      rmSync(traceDir, { recursive: true, force: true });
    }
    floors.push(floorInProcess(pinned ? 0 : undefined));
    const s = summaries.at(-1);
    const f = floors.at(-1);
    console.log(`run ${i + 1}: ${s.delivered} delivered, server CPU ${fmt(s.serverCpu, 2)}, send lag p99 ${fmt(s.sendLagP99, 2)} ms; hop p50 ${fmt(s.p50, 2)} p99 ${fmt(s.p99, 2)} max ${fmt(s.max, 1)} ms; over ${TARGET_P99_MS} ms ${JSON.stringify(s.overTarget)}, over ${STALL_MS} ms ${JSON.stringify(s.stalls)}; commit p50 ${fmt(s.commitP50, 2)} p99 ${fmt(s.commitP99, 2)} max ${fmt(s.commitMax, 1)} ms (${fmt(s.commitsPerMessage, 2)} per message), GC max ${fmt(s.gcMax, 1)} ms; disk floor p99 ${fmt(f.p99, 2)} max ${fmt(f.max, 1)} ms`);
  }
  const table = report(summaries, floors);
  console.log(`\n${table}`);
  if (values.write) {
    writeSection(SECTION, section(table, summaries));
    console.log(`wrote the ${SECTION} section of docs/BENCHMARKS.md`);
  }
}

// Last: the helpers above are constants, defined only once this line is reached.
if (values.run !== undefined) await oneRunInGenerator();
else await main();

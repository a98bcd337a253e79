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
import { percentile } from './lib.mjs';
import { freePort } from './peers/common.mjs';

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
 * Run on its own: `node bench/relay.mjs [--topology single-pg|cross-node] [--runs 5] [--rates 250,1000,3000] [--seconds 2]`
 * repeats the measurement, each run on a fresh database, and prints each run and, per rate, the
 * median and the worst run (the issue-21 method: a figure is the median and the worst of >= 5 runs).
 */
async function main() {
  const { parseArgs } = await import('node:util');
  const { values } = parseArgs({
    options: {
      topology: { type: 'string', default: 'single-pg' },
      runs: { type: 'string', default: '5' },
      rates: { type: 'string', default: '250,1000,3000' },
      seconds: { type: 'string', default: '2' },
    },
  });
  const { default: pg } = await import('pg');
  const pgAdmin = process.env.SOTTO_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const natsUrl = process.env.SOTTO_BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';
  const rates = values.rates.split(',').map(Number);
  const runs = [];
  for (let i = 0; i < Number(values.runs); i++) {
    const admin = new pg.Client({ connectionString: pgAdmin });
    await admin.connect();
    const dbName = `sotto_bench_${Date.now().toString(36)}`;
    await admin.query(`CREATE DATABASE ${dbName}`);
    const dbUrl = new URL(pgAdmin);
    dbUrl.pathname = `/${dbName}`;
    try {
      const result = await benchRelay({ rates, seconds: Number(values.seconds), topology: values.topology, postgresUrl: dbUrl.toString(), natsUrl });
      runs.push(result);
      console.log(`run ${i + 1}: ${result.map((r) => `${r.rate}/s -> ${Math.round(r.achievedPerSecond)}/s, hop p50 ${r.hopP50.toFixed(2)} p99 ${r.hopP99.toFixed(2)} ms`).join('; ')}`);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  console.log(`\n${values.topology}, ${runs.length} runs, ${values.seconds} s per rate:`);
  console.log('| offered (msg/s) | achieved, median (worst) | hop p50 ms, median (worst) | hop p99 ms, median (worst) | ack p99 ms, median (worst) |');
  console.log('|---|---|---|---|---|');
  rates.forEach((rate, k) => {
    const col = (f) => runs.map((run) => f(run[k]));
    const achieved = col((r) => r.achievedPerSecond);
    const cell = (xs, worst, digits = 2) => `${median(xs).toFixed(digits)} (${worst(...xs).toFixed(digits)})`;
    console.log(`| ${rate} | ${cell(achieved, Math.min, 0)} | ${cell(col((r) => r.hopP50), Math.max)} | ${cell(col((r) => r.hopP99), Math.max)} | ${cell(col((r) => r.ackP99), Math.max)} |`);
  });
}

if (import.meta.url === `file://${process.argv[1]}`) await main();

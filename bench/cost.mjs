#!/usr/bin/env node
// The server's CPU cost per relayed message: 10 sender -> recipient pairs at a fixed open-loop rate
// below the knee, server pinned to core 0 and this generator to core 1. CPU time per message is
// steadier than the knee on a shared machine, so it is the figure to compare two builds by.
//
//   node bench/cost.mjs [--rate 6000] [--seconds 4] [--runs 3]
import { PEERS } from './peers/adapters.mjs';
import { canPin, cpuSeconds, latencySummary, mapLimit, openLoop, sleep, waitUntil } from './peers/common.mjs';

const valueOf = (flag, fallback) => {
  const index = process.argv.indexOf(flag);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
};
const rate = valueOf('--rate', 6000);
const seconds = valueOf('--seconds', 4);
const runs = valueOf('--runs', 3);
const pairs = 10;
const sotto = PEERS.sotto;
const server = await sotto.start({ users: 2 * pairs, cpu: canPin() ? 0 : undefined });
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
    const { total } = await openLoop({ rate, seconds: secs, send: (i) => {
      const s = seq++;
      sentAt.set(s, performance.now());
      senders[i % pairs].sendChat(recipients[i % pairs].user, s);
    } });
    await waitUntil(() => hops.length >= total, 20_000);
    const cpu = cpuSeconds(server.pid) - before;
    const lat = latencySummary(hops);
    return { delivered: hops.length, sent: total, usPerMessage: Math.round((cpu * 1e6) / total), hopP50: lat.p50, hopP99: lat.p99 };
  };
  await stretch(1); // warm-up
  await sleep(300);
  const results = [];
  for (let run = 0; run < runs; run++) {
    results.push(await stretch(seconds));
    await sleep(300);
  }
  const costs = results.map((r) => r.usPerMessage).sort((a, b) => a - b);
  console.log(JSON.stringify({ rate, seconds, median: costs[Math.floor(costs.length / 2)], results }));
  for (const c of [...senders, ...recipients]) c.terminate();
} finally {
  await server.stop();
}

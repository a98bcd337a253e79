// The workloads of performance.md, written once for any peer in adapters.mjs. Each starts its own
// server (pinned to core 0), runs in the load generator's process (pinned to core 1 by
// bench/peers.mjs), stops the server, and returns plain figures. Latencies are in ms.
import {
  latencySummary, SEND_LAG_LIMIT_MS, mapLimit, openLoop, round, rssKiB, sleep, spread, waitUntil, withCpu,
} from './common.mjs';

/**
 * Sizes per mode: quick (a few minutes for each server) for a look, full for figures to quote.
 * Fan-out: a group of 1,000 devices, one sending to the other 999 (a Sotto group holds at most
 * 1,000 devices, LIMITS.maxGroupMembers).
 */
export const OPTIONS = {
  quick: {
    idleDensity: { levels: [1000, 2000], runs: 2 },
    connectStorm: { connections: 1000, concurrency: 100, runs: 3 },
    latency: { rates: [250, 1000], seconds: 2, runs: 3 },
    knee: { start: 2000, max: 128_000, refine: 2, seconds: 1.5, pairs: 10, ramps: 2 },
    fanout: { receivers: 999, messages: 10, warmup: 2 },
    offline: { messages: 10_000, runs: 2 },
  },
  full: {
    // 19,000 at most: the open-file limit here is 20,000 per process, hard, for the server and the generator alike.
    idleDensity: { levels: [2000, 10_000, 19_000], runs: 3 },
    connectStorm: { connections: 5000, concurrency: 100, runs: 5 },
    latency: { rates: [250, 1000], seconds: 5, runs: 5 },
    knee: { start: 2000, max: 256_000, refine: 3, seconds: 4, pairs: 10, ramps: 5 },
    fanout: { receivers: 999, messages: 50, warmup: 5 },
    offline: { messages: 10_000, runs: 5 },
  },
};

/** The knee's criterion (performance.md): every message delivered and p99 under 50 ms. */
export const KNEE_P99_MS = 50;
const LOGIN_CONCURRENCY = 100;

const userName = (i) => `u${i}`;

/** Starts the peer's server, runs `work(server)`, and always stops the server. */
async function withServer(peer, { users, cpu, onServer }, work) {
  const server = await peer.start({ users, cpu });
  onServer?.(server.pid);
  try {
    return await work(server);
  } finally {
    await server.stop();
  }
}

async function loginMany(peer, server, indices, options) {
  return mapLimit(indices, LOGIN_CONCURRENCY, (i) => peer.client(server).login(userName(i), server.password, options));
}

function closeAll(clients) {
  for (const client of clients) client.terminate();
}

/**
 * Records, for one stretch of sends, when each message was due and when it arrived. Sequence
 * numbers are global so that late arrivals from an earlier stretch are not counted in this one;
 * duplicates (QoS 1 may redeliver) count once.
 */
export class DeliveryTracker {
  begin(base, total) {
    this.base = base;
    this.total = total;
    this.due = new Float64Array(total);
    this.seen = new Uint8Array(total);
    this.sentAt = new Float64Array(total);
    this.hops = new Float64Array(total);
    this.hopsFromSend = new Float64Array(total);
    /** When each message arrived, by its place in the stretch (bench/hop-tail.mjs lines hops up with the server's trace). */
    this.arrivedAt = new Float64Array(total);
    this.acks = [];
    this.received = 0;
    this.lastAt = 0;
  }

  sent(i, due) {
    this.due[i] = due;
    this.sentAt[i] = performance.now();
  }

  delivered(seq) {
    const i = seq - this.base;
    if (i < 0 || i >= this.total || this.seen[i]) return;
    this.seen[i] = 1;
    this.lastAt = performance.now();
    this.arrivedAt[i] = this.lastAt;
    this.hopsFromSend[this.received] = this.lastAt - this.sentAt[i];
    this.hops[this.received++] = this.lastAt - this.due[i];
  }

  hopSamples() {
    return this.hops.subarray(0, this.received);
  }

  /** Without the generator's own timer lateness: from the moment the send was actually made. */
  hopFromSendSamples() {
    return this.hopsFromSend.subarray(0, this.received);
  }
}

/**
 * One open-loop stretch at `rate` for `seconds`: message i goes from senders[i % n] to
 * recipients[i % n]. Waits for stragglers, then summarises hop (scheduled send -> receipt) and,
 * where the peer acknowledges publishes, ack latency.
 */
export async function runStretch({ tracker, seqBase, rate, seconds, senders, recipients, serverPid }) {
  const total = Math.round(rate * seconds);
  tracker.begin(seqBase, total);
  const measured = await withCpu(serverPid, async () => {
    const loop = await openLoop({
      rate,
      seconds,
      send: (i, due) => {
        tracker.sent(i, due);
        const pair = i % senders.length;
        senders[pair].sendChat(recipients[pair], seqBase + i, () => tracker.acks.push(performance.now() - due));
      },
    });
    // Stragglers: past this, p99 is far above the knee's 50 ms anyway.
    await waitUntil(() => tracker.received >= total, 2000);
    return loop;
  });
  const elapsed = (tracker.lastAt - (tracker.due[0] || 0)) / 1000;
  const hop = latencySummary(tracker.hopSamples());
  const hopFromSend = latencySummary(tracker.hopFromSendSamples());
  const ack = tracker.acks.length ? latencySummary(tracker.acks) : null;
  return {
    rate,
    sent: total,
    delivered: tracker.received,
    achievedPerSecond: round(tracker.received / Math.max(elapsed, seconds), 0),
    hopP50: hop.p50,
    hopP99: hop.p99,
    hopFromSendP50: hopFromSend.p50,
    hopFromSendP99: hopFromSend.p99,
    ...(ack ? { ackP50: ack.p50, ackP99: ack.p99 } : {}),
    sendLagP50: round(measured.result.sendLagP50),
    sendLagP99: round(measured.result.sendLagP99),
    generatorCpu: measured.generatorCpu,
    serverCpu: measured.serverCpu,
    generatorBound: measured.generatorBound || measured.result.sendLagP99 > SEND_LAG_LIMIT_MS,
  };
}

/** Pairs of online devices, senders u0.. and recipients after them, all delivering into `tracker`. */
async function onlinePairs(peer, server, pairs, tracker) {
  const senders = await loginMany(peer, server, [...Array(pairs).keys()], { available: true });
  const recipientIndices = [...Array(pairs).keys()].map((i) => pairs + i);
  const recipients = await loginMany(peer, server, recipientIndices, { available: true });
  for (const r of recipients) r.onChat = (seq) => tracker.delivered(seq);
  await mapLimit(senders, LOGIN_CONCURRENCY, (sender, i) => peer.openChat(sender, recipients[i]));
  return { senders, recipients, recipientNames: recipientIndices.map(userName), all: [...senders, ...recipients] };
}

// --- idle density ---------------------------------------------------------------------------

/** RSS of the server per authenticated idle connection, at several connection counts. */
export async function idleDensity(peer, { levels, runs }, { cpu, onServer }) {
  const max = Math.max(...levels);
  const perRun = [];
  for (let run = 0; run < runs; run++) {
    perRun.push(await withServer(peer, { users: max, cpu, onServer }, async (server) => {
      await sleep(500); // let start-up allocations settle before the baseline
      const baseline = rssKiB(server.pid);
      const clients = [];
      const points = [];
      for (const level of levels) {
        clients.push(...(await loginMany(peer, server, Array.from({ length: level - clients.length }, (_, k) => clients.length + k), { available: true })));
        await sleep(1000); // idle: nothing in flight when RSS is read
        const rss = rssKiB(server.pid);
        points.push({ connections: level, rssKiB: rss, perConnectionKiB: (rss - baseline) / level });
      }
      closeAll(clients);
      return { baselineKiB: baseline, points };
    }));
  }
  return {
    baselineMiB: spread(perRun.map((r) => r.baselineKiB / 1024)),
    levels: levels.map((connections, k) => ({
      connections,
      perConnectionKiB: spread(perRun.map((r) => r.points[k].perConnectionKiB)),
      serverRssMiB: spread(perRun.map((r) => r.points[k].rssKiB / 1024)),
    })),
    runs,
  };
}

// --- connect storm --------------------------------------------------------------------------

/** Authenticated connects per second with `concurrency` logins in flight; all stay connected. */
export async function connectStorm(peer, { connections, concurrency, runs }, { cpu, onServer }) {
  return withServer(peer, { users: connections, cpu, onServer }, async (server) => {
    const oneStorm = async (count) => {
      const loginMs = new Float64Array(count);
      const measured = await withCpu(server.pid, async () => {
        const started = performance.now();
        const clients = await mapLimit([...Array(count).keys()], concurrency, async (i) => {
          const t0 = performance.now();
          const client = await peer.client(server).login(userName(i), server.password, { available: true });
          loginMs[i] = performance.now() - t0;
          return client;
        });
        const seconds = (performance.now() - started) / 1000;
        return { clients, perSecond: count / seconds };
      });
      closeAll(measured.result.clients);
      await sleep(1000); // let the server tear the sessions down before the next storm
      const login = latencySummary(loginMs);
      return { perSecond: round(measured.result.perSecond, 0), loginP50: login.p50, loginP99: login.p99, generatorCpu: measured.generatorCpu, serverCpu: measured.serverCpu, generatorBound: measured.generatorBound };
    };
    await oneStorm(Math.min(500, connections)); // warm-up
    const stormRuns = [];
    for (let run = 0; run < runs; run++) stormRuns.push(await oneStorm(connections));
    return {
      connections,
      concurrency,
      connectsPerSecond: spread(stormRuns.map((r) => r.perSecond)),
      loginP50: spread(stormRuns.map((r) => r.loginP50)),
      loginP99: spread(stormRuns.map((r) => r.loginP99)),
      serverCpu: spread(stormRuns.map((r) => r.serverCpu)),
      generatorCpu: spread(stormRuns.map((r) => r.generatorCpu)),
      generatorBound: stormRuns.some((r) => r.generatorBound),
      runs: stormRuns,
    };
  });
}

// --- 1:1 latency at light load ---------------------------------------------------------------

export async function latency(peer, { rates, seconds, runs }, { cpu, onServer }) {
  return withServer(peer, { users: 2, cpu, onServer }, async (server) => {
    const tracker = new DeliveryTracker();
    const { senders, recipientNames, all } = await onlinePairs(peer, server, 1, tracker);
    let seqBase = 1;
    const stretch = async (rate, secs) => {
      const result = await runStretch({ tracker, seqBase, rate, seconds: secs, senders, recipients: recipientNames, serverPid: server.pid });
      seqBase += result.sent;
      return result;
    };
    // Warm-up: enough messages for the JIT to optimise the hot path (200 left it half interpreted).
    await stretch(1000, 3);
    const byRate = [];
    for (const rate of rates) {
      const rateRuns = [];
      for (let run = 0; run < runs; run++) rateRuns.push(await stretch(rate, seconds));
      byRate.push(summariseRuns(rate, rateRuns, peer));
    }
    closeAll(all);
    return { seconds, rates: byRate };
  });
}

function summariseRuns(rate, rateRuns, peer) {
  return {
    rate,
    delivered: `${rateRuns.reduce((n, r) => n + r.delivered, 0)}/${rateRuns.reduce((n, r) => n + r.sent, 0)}`,
    hopP50: spread(rateRuns.map((r) => r.hopP50)),
    hopP99: spread(rateRuns.map((r) => r.hopP99)),
    hopFromSendP50: spread(rateRuns.map((r) => r.hopFromSendP50)),
    hopFromSendP99: spread(rateRuns.map((r) => r.hopFromSendP99)),
    ack: peer.publishAck
      ? { p50: spread(rateRuns.map((r) => r.ackP50)), p99: spread(rateRuns.map((r) => r.ackP99)) }
      : 'not applicable: XMPP acknowledges nothing to the sender without XEP-0198 stream management (not enabled)',
    sendLagP50: spread(rateRuns.map((r) => r.sendLagP50)),
    sendLagP99: spread(rateRuns.map((r) => r.sendLagP99)),
    generatorCpuMax: Math.max(...rateRuns.map((r) => r.generatorCpu)),
    serverCpu: spread(rateRuns.map((r) => r.serverCpu)),
    generatorBound: rateRuns.some((r) => r.generatorBound),
    runs: rateRuns,
  };
}

// --- throughput knee -------------------------------------------------------------------------

const held = (step) => step.delivered === step.sent && step.hopP99 <= KNEE_P99_MS;

/**
 * One ramp: doubles the rate from `start` until a step fails, then bisects `refine` times between
 * the last rate that held and the first that failed. A failed step leaves a backlog in the
 * server, so the next step waits for it to clear. A step that failed while the generator was
 * behind its own schedule is tried once more: on a shared machine a burst of someone else's work
 * can starve the generator for a moment, and that says nothing about the peer.
 */
async function rampToKnee(stretch, { start, max, refine }) {
  const steps = [];
  const attempt = async (rate, retry = true) => {
    const step = await stretch(rate);
    step.held = held(step);
    steps.push(step);
    if (step.held) return step;
    await sleep(2000);
    return retry && step.generatorBound ? attempt(rate, false) : step;
  };
  let best = null;
  let failed = null;
  for (let rate = start; rate <= max && !failed; rate *= 2) {
    const step = await attempt(rate);
    if (step.held) best = step;
    else failed = step;
  }
  for (let k = 0; failed && k < refine; k++) {
    const low = best?.rate ?? 0;
    const rate = Math.round((low + failed.rate) / 2 / 100) * 100;
    if (rate <= low || rate >= failed.rate) break;
    const step = await attempt(rate);
    if (step.held) best = step;
    else failed = step;
  }
  return {
    kneeRate: best?.rate ?? 0,
    serverCpuAtKnee: best?.serverCpu ?? null,
    generatorCpuAtKnee: best?.generatorCpu ?? null,
    kneeAchievedPerSecond: best?.achievedPerSecond ?? 0,
    // If the generator could not keep up when a step failed, the knee found is the generator's.
    generatorLimited: failed ? failed.generatorBound : Boolean(best?.generatorBound),
    // Nothing failed up to `max`: the knee is above it.
    ladderExhausted: !failed,
    steps,
  };
}

/**
 * Ramps the offered rate over `pairs` sender -> recipient pairs until p99 > 50 ms or a message
 * is not delivered; the knee is the highest rate that held. A ramp that stops with the generator
 * behind its schedule or above the CPU limit did not find the server's knee: it is flagged.
 */
export async function knee(peer, { start, max, refine, seconds, pairs, ramps }, { cpu, onServer }) {
  return withServer(peer, { users: 2 * pairs, cpu, onServer }, async (server) => {
    const tracker = new DeliveryTracker();
    const { senders, recipientNames, all } = await onlinePairs(peer, server, pairs, tracker);
    let seqBase = 1;
    const stretch = async (rate) => {
      const result = await runStretch({ tracker, seqBase, rate, seconds, senders, recipients: recipientNames, serverPid: server.pid });
      seqBase += result.sent;
      await sleep(300);
      return result;
    };
    await stretch(1000); // warm-up
    const rampResults = [];
    for (let ramp = 0; ramp < ramps; ramp++) rampResults.push(await rampToKnee(stretch, { start, max, refine }));
    closeAll(all);
    return {
      pairs,
      seconds,
      criterion: `highest offered rate with every message delivered and hop p99 <= ${KNEE_P99_MS} ms`,
      kneeRate: spread(rampResults.map((r) => r.kneeRate)),
      kneeAchievedPerSecond: spread(rampResults.map((r) => r.kneeAchievedPerSecond)),
      serverCpuAtKnee: spread(rampResults.map((r) => r.serverCpuAtKnee)),
      generatorCpuAtKnee: spread(rampResults.map((r) => r.generatorCpuAtKnee)),
      generatorLimited: rampResults.some((r) => r.generatorLimited),
      ladderExhausted: rampResults.some((r) => r.ladderExhausted),
      ramps: rampResults,
    };
  });
}

// --- group fan-out ---------------------------------------------------------------------------

/** One message to `receivers` online devices in one group: time to the first and last delivery. */
export async function fanout(peer, { receivers, messages, warmup }, { cpu, onServer }) {
  return withServer(peer, { users: receivers + 1, cpu, onServer }, async (server) => {
    const room = 'bench';
    let current = -1;
    let count = 0;
    let firstAt = 0;
    let lastAt = 0;
    const onGroup = (seq) => {
      if (seq !== current) return;
      const now = performance.now();
      if (count === 0) firstAt = now;
      count++;
      lastAt = now;
    };
    const members = await loginMany(peer, server, [...Array(receivers).keys()], { available: true });
    for (const member of members) member.onGroup = onGroup;
    const sender = await peer.client(server).login(userName(receivers), server.password, { available: true });
    const formStarted = performance.now();
    await peer.formRoom(room, sender, members);
    const formSeconds = (performance.now() - formStarted) / 1000;

    const samples = [];
    let lost = 0;
    const measured = await withCpu(server.pid, async () => {
      for (let m = 0; m < warmup + messages; m++) {
        current = m;
        count = 0;
        const t0 = performance.now();
        sender.sendGroup(m);
        const complete = await waitUntil(() => count >= receivers, 10_000, 1);
        if (m >= warmup) {
          if (!complete) lost += receivers - count;
          samples.push({ firstMs: firstAt - t0, lastMs: lastAt - t0, delivered: count });
        }
        await sleep(50);
      }
    });
    closeAll([...members, sender]);
    const last = latencySummary(samples.map((s) => s.lastMs));
    const first = latencySummary(samples.map((s) => s.firstMs));
    return {
      receivers,
      messages,
      lastDeliveryP50: last.p50,
      lastDeliveryP99: last.p99,
      firstDeliveryP50: first.p50,
      undelivered: lost,
      // Setting the group up is not the figure, but a slow one is worth knowing about.
      joinsPerSecond: round(receivers / formSeconds, 0),
      generatorCpu: measured.generatorCpu,
      serverCpu: measured.serverCpu,
      generatorBound: measured.generatorBound,
      samples,
    };
  });
}

// --- offline drain ---------------------------------------------------------------------------

/**
 * `messages` queued for an offline device, then the time from its reconnect (start of the
 * connection) to the last message received. The queue is filled by one online sender; the fill
 * counts as done when the server has processed every send (ping / PUBACK barrier).
 */
export async function offline(peer, { messages, runs }, { cpu, onServer }) {
  return withServer(peer, { users: 2, cpu, onServer }, async (server) => {
    const sender = await peer.client(server).login(userName(0), server.password, { available: true });
    const recipientName = userName(1);
    // Create the recipient's persistent session (MQTT) / first login (XMPP) / chat (Sotto), then go offline.
    const firstLogin = await peer.client(server).login(recipientName, server.password, { available: true, persistent: true });
    await peer.openChat(sender, firstLogin);
    await firstLogin.close();
    await sleep(200);

    let seqBase = 1;
    const oneDrain = async (count) => {
      const fillStarted = performance.now();
      for (let i = 0; i < count; i++) {
        sender.sendChat(recipientName, seqBase + i);
        if (i % 1000 === 999) await sender.ping(); // keep the sender's own buffers small
      }
      await sender.ping();
      const fillSeconds = (performance.now() - fillStarted) / 1000;
      await sleep(200);

      const tracker = new DeliveryTracker();
      tracker.begin(seqBase, count);
      seqBase += count;
      const recipient = peer.client(server);
      recipient.onChat = (seq) => tracker.delivered(seq);
      const measured = await withCpu(server.pid, async () => {
        const t0 = performance.now();
        await recipient.login(recipientName, server.password, { available: true, persistent: true });
        const loggedInMs = performance.now() - t0;
        await waitUntil(() => tracker.received >= count, 60_000);
        return { drainMs: tracker.lastAt - t0, loggedInMs };
      });
      await recipient.close();
      await sleep(300);
      return {
        queued: count,
        received: tracker.received,
        drainMs: round(measured.result.drainMs, 1),
        queuedPerSecond: round(count / fillSeconds, 0),
        generatorCpu: measured.generatorCpu,
        serverCpu: measured.serverCpu,
        generatorBound: measured.generatorBound,
      };
    };
    await oneDrain(1000); // warm-up
    const drains = [];
    for (let run = 0; run < runs; run++) drains.push(await oneDrain(messages));
    sender.terminate();
    return {
      messages,
      drainMs: spread(drains.map((d) => d.drainMs)),
      received: `${drains.reduce((n, d) => n + d.received, 0)}/${drains.reduce((n, d) => n + d.queued, 0)}`,
      queuedPerSecond: spread(drains.map((d) => d.queuedPerSecond)),
      serverCpu: spread(drains.map((d) => d.serverCpu)),
      generatorCpu: spread(drains.map((d) => d.generatorCpu)),
      generatorBound: drains.some((d) => d.generatorBound),
      runs: drains,
    };
  });
}

export const WORKLOADS = { idleDensity, connectStorm, latency, knee, fanout, offline };

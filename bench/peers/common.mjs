// Helpers shared by the peer benchmarks (Prosody, Mosquitto): ports, pinning, process
// facts from /proc, the open-loop scheduler and summaries. The peers are measured
// with the same method as Sotto's own benchmarks so the figures can be put side by side.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { median, percentile } from '../lib.mjs';

export const PAYLOAD_BYTES = 200; // the size of an MLS application message (performance.md)
export const LOOPBACK = '127.0.0.1';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** True when `taskset` can pin to core 1 (so there is a second core for the generator). */
export function canPin() {
  try {
    execFileSync('taskset', ['-c', '1', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Spawns `command` pinned to `cpu` when given. taskset execs the command, so the child's pid
 * is the server's own pid (what /proc figures are read from).
 */
export function spawnPinned(cpu, command, args, options) {
  return cpu === undefined ? spawn(command, args, options) : spawn('taskset', ['-c', String(cpu), command, ...args], options);
}

/** True when something accepts TCP connections on `port` of 127.0.0.1. */
export function canConnect(port) {
  return new Promise((resolve) => {
    const socket = connect(port, LOOPBACK);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts a peer server process (pinned to `cpu` when given) and resolves once `isReady()` says
 * it serves (within `startTimeoutMs`). Returns { pid, stop() }; stop() ends it (SIGTERM, then
 * SIGKILL) and removes `dir`.
 */
export async function startServerProcess({ name, cpu, command, args, env, isReady, dir, logFile, keepDir = false, startTimeoutMs = 15_000 }) {
  const child = spawnPinned(cpu, command, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    // Debugging a server under load: SOTTO_BENCH_SERVER_STDERR=1 shows what it writes to stderr.
    if (process.env.SOTTO_BENCH_SERVER_STDERR) process.stderr.write(chunk);
  });
  let exited = false;
  const exit = new Promise((resolve) => child.once('exit', resolve));
  exit.then(() => (exited = true));
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      if ((await Promise.race([exit.then(() => true), sleep(8000).then(() => false)])) === false) {
        child.kill('SIGKILL');
        await exit;
      }
    }
    if (!keepDir) rmSync(dir, { recursive: true, force: true });
  };
  const deadline = performance.now() + startTimeoutMs;
  while (!(await isReady())) {
    if (exited || performance.now() > deadline) {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
      await stop();
      throw new Error(`${name} did not start: ${stderr}${log}`);
    }
    await sleep(50);
  }
  return { pid: child.pid, stop };
}

/** Resident memory of a process in KiB, from /proc/PID/status. */
export function rssKiB(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : NaN;
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU seconds a server process has used, over all its threads. /proc/PID/task/TID/schedstat counts
 * nanoseconds; /proc/PID/stat counts 10 ms ticks, too coarse for a 50 ms drain, so it is only the
 * fallback.
 */
export function cpuSeconds(pid) {
  try {
    const threads = readdirSync(`/proc/${pid}/task`);
    return threads.reduce((sum, tid) => sum + Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]), 0) / 1e9;
  } catch {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  }
}

/**
 * Measures how busy this process (the load generator) and the server were while `work` ran,
 * as a fraction of one core. A generator above ~80% may be the bottleneck, so its figures are
 * flagged rather than trusted.
 */
export async function withCpu(serverPid, work) {
  const wallStart = performance.now();
  const ownStart = process.cpuUsage();
  const serverStart = cpuSeconds(serverPid);
  const result = await work();
  const wall = (performance.now() - wallStart) / 1000;
  const own = process.cpuUsage(ownStart);
  const generatorCpu = (own.user + own.system) / 1e6 / wall;
  const serverCpu = (cpuSeconds(serverPid) - serverStart) / wall;
  return { result, generatorCpu: round(generatorCpu, 2), serverCpu: round(serverCpu, 2), generatorBound: generatorCpu > GENERATOR_LIMIT };
}

export const GENERATOR_LIMIT = 0.8;
/**
 * A generator whose sends run this late (p99) could not keep its own schedule: on a shared
 * machine it can be starved of its core without reaching GENERATOR_LIMIT, so this flags it too.
 */
export const SEND_LAG_LIMIT_MS = 10;

/**
 * Open-loop load: calls send(i, due) for i in [0, rate * seconds) at fixed times, catching up in
 * a burst when a timer fires late, so a slow server cannot slow the offered load. `due` is the
 * scheduled time; latency is measured from it (as bench/relay.mjs does), so the generator's own
 * lateness counts against the peer too. Returns how late the sends were (ms), to show that share.
 */
export async function openLoop({ rate, seconds, send }) {
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const start = performance.now() + 2;
  const lag = new Float64Array(total);
  let i = 0;
  while (i < total) {
    const now = performance.now();
    for (; i < total && start + i * interval <= now; i++) {
      const due = start + i * interval;
      lag[i] = now - due;
      send(i, due);
    }
    if (i < total) await sleep(start + i * interval - performance.now());
  }
  const sortedLag = Array.from(lag).sort((a, b) => a - b);
  return { total, sendLagP50: percentile(sortedLag, 50), sendLagP99: percentile(sortedLag, 99) };
}

/** Waits until `done()` or `timeoutMs` passes, polling every few ms. Returns whether done. */
export async function waitUntil(done, timeoutMs, pollMs = 5) {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await sleep(pollMs);
  }
  return true;
}

/** Runs `fn` over `items` with at most `limit` in flight; returns the results in order. */
export async function mapLimit(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export const round = (n, digits = 3) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : null);

export function latencySummary(samples) {
  const sorted = Float64Array.from(samples).sort();
  return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), max: round(sorted[sorted.length - 1]) };
}

/** Median and range of one figure over several runs. */
export function spread(values) {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { median: null, min: null, max: null };
  return { median: round(median(finite)), min: round(Math.min(...finite)), max: round(Math.max(...finite)) };
}

/** A 200-byte printable payload that starts with the message's sequence number and a colon. */
export function payloadFor(seq) {
  const head = `${seq}:`;
  return head + 'x'.repeat(PAYLOAD_BYTES - head.length);
}

/** Reads the sequence number at `offset` in a received buffer (digits up to ':'). */
export function seqAt(buffer, offset) {
  let seq = 0;
  for (let i = offset; i < buffer.length; i++) {
    const c = buffer[i];
    if (c < 48 || c > 57) break;
    seq = seq * 10 + (c - 48);
  }
  return seq;
}

#!/usr/bin/env node
// `npm run bench`: runs the baseline benchmarks, prints the figures, and
// writes docs/BENCHMARKS.md. `--quick` runs shorter. Figures, not pass/fail.
import { writeFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { benchMls } from './mls.mjs';
import { benchRelay } from './relay.mjs';
import { fmt, machine } from './lib.mjs';

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

const mls = await benchMls({ messages: quick ? 300 : 1000, runs: quick ? 3 : 5 });
console.log('mls', mls);
const relay = await benchRelay({ rates: quick ? [500, 1000] : [500, 1000, 2000, 4000], seconds: quick ? 2 : 4, ...(canPin ? { serverCpu: 0 } : {}) });
console.log('relay', relay);

const doc = `# Benchmarks

Written by \`npm run bench\`${quick ? ' (quick mode)' : ''} on ${new Date().toISOString().slice(0, 10)}. These are
baselines from the Foundation work; the targets are in \`../shared/design/performance.md\` and the
side-by-side comparison with Prosody and Mosquitto is planned work. Machines here are shared and
noisy: each figure is the median of several runs after a warm-up, with the spread where it matters.

## Machine and versions

| what | value |
|---|---|
| CPU | ${facts.cpu} (${facts.cores} cores) |
| memory | ${facts.memoryGiB} GiB |
| Node | ${facts.node} |
| ts-mls | ${facts.tsMls} |
| better-sqlite3 | ${facts.betterSqlite3} |
| ws | ${facts.ws} |
| server pinned to core 0 | ${canPin ? 'yes (taskset); load generator unpinned' : 'no'} |

## Client MLS throughput (\`bench/mls.mjs\`)

Method: one process, one core; the engine's own \`MlsContext\` (what the CLI runs), suite
\`${mls.suite}\`; ${mls.messages} application messages of 200 bytes encrypted by one member and then
decrypted by the other, in order; ${mls.runs} runs after one warm-up run; median and range.

| operation | messages/s (median) | range | target |
|---|---|---|---|
| encrypt (create + encode) | ${fmt(mls.encryptPerSecond)} | ${fmt(mls.encryptSpread[0])}–${fmt(mls.encryptSpread[1])} | >= 5,000 |
| decrypt (decode + process) | ${fmt(mls.decryptPerSecond)} | ${fmt(mls.decryptSpread[0])}–${fmt(mls.decryptSpread[1])} | |

What limits it: ts-mls's default crypto provider imports the Ed25519 signing key (and HMAC/AES
keys) into WebCrypto on every call; an injected provider that caches imported keys is the planned fix
(Benchmarks issue).

## Server 1:1 relay (\`bench/relay.mjs\`)

Method: a real \`sotto serve\` process on embedded SQLite (WAL, \`synchronous=FULL\`), two raw protocol
clients on loopback (no MLS cost: opaque 200-byte payloads), open-loop sends at a fixed rate for
${quick ? 2 : 4} s after a warm-up at 200/s. "Hop" is the time from the scheduled send to the delivery
frame at the recipient; the server stores the message durably before it acknowledges or pushes it.
"Ack" is the time to the sender's acknowledgement.

| offered rate (msg/s) | delivered | achieved msg/s | hop p50 (ms) | hop p99 (ms) | ack p50 (ms) | ack p99 (ms) |
|---|---|---|---|---|---|---|
${relay.map((r) => `| ${fmt(r.rate)} | ${fmt(r.delivered)}/${fmt(r.sent)} | ${fmt(r.achievedPerSecond)} | ${fmt(r.hopP50, 2)} | ${fmt(r.hopP99, 2)} | ${fmt(r.ackP50, 2)} | ${fmt(r.ackP99, 2)} |`).join('\n')}

Targets (performance.md): p50 <= 0.5 ms and p99 <= 2 ms at light load; >= 50,000 durable messages/s
at the knee. Each message is one SQLite transaction with an fsync (\`synchronous=FULL\`); batching
durable writes is the planned fix (Benchmarks issue).

## How to run

\`\`\`sh
npm run build
npm run bench            # full
node bench/run.mjs --quick
\`\`\`
`;
writeFileSync(new URL('../docs/BENCHMARKS.md', import.meta.url), doc);
console.log('wrote docs/BENCHMARKS.md');

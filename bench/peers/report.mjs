// Renders bench/results/peers.json as the `peers` section of docs/BENCHMARKS.md: one table with
// Sotto and its peers side by side, Sotto's ratio to each, flags where the generator could not
// keep up, the charts, and the method.
import { fmt } from '../lib.mjs';
import { PEERS } from './adapters.mjs';
import { renderCharts } from './charts.mjs';
import { GENERATOR_LIMIT, SEND_LAG_LIMIT_MS } from './common.mjs';

const PEER_NAMES = { sotto: 'Sotto', prosody: 'Prosody', ejabberd: 'ejabberd', mosquitto: 'Mosquitto' };
const COMPARED = ['prosody', 'ejabberd', 'mosquitto'];
const GENERATOR_MARK = '†';
// Which side was busy: a server near 1.00 is the limit; a generator near it may be instead.
const CPU_FIGURE = 'server / generator CPU (share of one core)';
const LOGIN_CONCURRENCY_TEXT = '100 in flight';

/** "12.3 (11.9–13.0)": the median, then the range over runs when they differ. */
function ranged(s, digits = 0) {
  if (!s || s.median === null || s.median === undefined) return 'n/a';
  const median = fmt(s.median, digits);
  return s.min === s.max ? median : `${median} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}

const pair = (a, b, digits) => `${ranged(a, digits)} / ${ranged(b, digits)}`;

/** The cell for one peer: its figure, marked when the generator may have been the limit. */
function cell(report, peer, workload, render) {
  const entry = report.peers[peer]?.workloads?.[workload];
  if (!entry) return 'not run';
  if (entry.error) return `failed: ${entry.error.replace(/\|/g, '/')}`;
  return render(entry);
}

const marked = (value, bound) => (bound ? `${value} ${GENERATOR_MARK}` : value);

/** Sotto's figure over the peer's, for one row; blank where either is missing. */
function ratio(report, workload, value, peer) {
  if (!value) return '';
  const figure = (p) => {
    const entry = report.peers[p]?.workloads?.[workload];
    return entry && !entry.error ? value(entry) : undefined;
  };
  const ours = figure('sotto');
  const theirs = figure(peer);
  if (!Number.isFinite(ours) || !Number.isFinite(theirs) || theirs === 0) return '';
  const r = ours / theirs;
  return `${fmt(r, r < 10 ? 2 : 0)}×`;
}

/** The charts bench/peers.mjs wrote to docs/charts/, linked from docs/BENCHMARKS.md. */
function chartLines(report) {
  return renderCharts(report).map(({ name, title }) => `![${title}](charts/${name}.svg)`).join('\n\n');
}

/** The first successful result of `workload` over the peers: sizes and options are the same for all. */
function firstResult(report, workload) {
  return Object.values(report.peers).map((p) => p.workloads?.[workload]).find((w) => w && !w.error);
}

/** Rows of the comparison table: [workload key, label, figure, render(entry) per peer]. */
function rows(report) {
  const any = (workload) => firstResult(report, workload);
  const out = [];
  const density = any('idleDensity');
  for (const [k, level] of (density?.levels ?? []).entries()) {
    out.push(['idleDensity', `idle density, ${fmt(level.connections)} connections`, 'server RSS per connection (KiB)', (e) => ranged(e.levels[k]?.perConnectionKiB, 1), (e) => e.levels[k]?.perConnectionKiB?.median]);
  }
  const storm = any('connectStorm');
  if (storm) {
    out.push(['connectStorm', `connect storm, ${fmt(storm.connections)} logins, ${storm.concurrency} in flight`, 'authenticated connects/s', (e) => marked(ranged(e.connectsPerSecond), e.generatorBound), (e) => e.connectsPerSecond?.median]);
    out.push(['connectStorm', '', 'login p50 / p99 (ms)', (e) => pair(e.loginP50, e.loginP99, 1), (e) => e.loginP99?.median]);
    out.push(['connectStorm', '', CPU_FIGURE, (e) => pair(e.serverCpu, e.generatorCpu, 2)]);
  }
  const latency = any('latency');
  for (const [k, r] of (latency?.rates ?? []).entries()) {
    const at = (e) => e.rates[k];
    out.push(['latency', `1:1 latency, ${fmt(r.rate)} msg/s`, 'hop p50 / p99 (ms), from the scheduled send', (e) => marked(pair(at(e).hopP50, at(e).hopP99, 2), at(e).generatorBound), (e) => at(e)?.hopP99?.median]);
    out.push(['latency', '', 'hop p50 / p99 (ms), from the actual send', (e) => pair(at(e).hopFromSendP50, at(e).hopFromSendP99, 2), (e) => at(e)?.hopFromSendP50?.median]);
    out.push(['latency', '', 'sender acknowledgement p50 / p99 (ms)', (e) => (typeof at(e).ack === 'string' ? 'n/a: no ack in XMPP without XEP-0198' : pair(at(e).ack.p50, at(e).ack.p99, 2)), (e) => (typeof at(e)?.ack === 'object' ? at(e).ack.p99?.median : undefined)]);
    out.push(['latency', '', 'delivered', (e) => at(e).delivered]);
  }
  const knee = any('knee');
  if (knee) {
    out.push(['knee', `throughput knee, ${knee.pairs} sender → recipient pairs`, 'highest rate with all delivered and p99 <= 50 ms (msg/s)', (e) => marked(`${ranged(e.kneeRate)}${e.ladderExhausted ? ' (or more)' : ''}`, e.generatorLimited), (e) => e.kneeRate?.median]);
    out.push(['knee', '', `${CPU_FIGURE}, at the knee`, (e) => pair(e.serverCpuAtKnee, e.generatorCpuAtKnee, 2)]);
  }
  const fanout = any('fanout');
  if (fanout) {
    out.push(['fanout', `group fan-out, 1 message → ${fmt(fanout.receivers)} online receivers`, 'last delivery p50 / p99 (ms)', (e) => marked(`${fmt(e.lastDeliveryP50, 1)} / ${fmt(e.lastDeliveryP99, 1)}${e.undelivered ? ` (${fmt(e.undelivered)} deliveries missing)` : ''}`, e.generatorBound), (e) => e.lastDeliveryP99]);
    out.push(['fanout', '', 'first delivery p50 (ms)', (e) => fmt(e.firstDeliveryP50, 1)]);
    out.push(['fanout', '', `forming the group, ${LOGIN_CONCURRENCY_TEXT} (members/s)`, (e) => fmt(e.joinsPerSecond)]);
    out.push(['fanout', '', CPU_FIGURE, (e) => `${fmt(e.serverCpu, 2)} / ${fmt(e.generatorCpu, 2)}`]);
  }
  const offline = any('offline');
  if (offline) {
    out.push(['offline', `offline drain, ${fmt(offline.messages)} queued messages`, 'reconnect → last message received (ms)', (e) => marked(ranged(e.drainMs), e.generatorBound), (e) => e.drainMs?.median]);
    out.push(['offline', '', 'queued by one sender (msg/s)', (e) => ranged(e.queuedPerSecond)]);
    out.push(['offline', '', `${CPU_FIGURE}, during the drain`, (e) => pair(e.serverCpu, e.generatorCpu, 2)]);
  }
  return out;
}

function versionLine(report) {
  const prosody = report.peers.prosody?.version;
  const ejabberd = report.peers.ejabberd?.version;
  const mosquitto = report.peers.mosquitto?.version;
  const sotto = report.peers.sotto?.version;
  const parts = [];
  if (sotto) parts.push(`Sotto ${sotto.sotto} (better-sqlite3 ${sotto.betterSqlite3}, ws ${sotto.ws})`);
  if (prosody) parts.push(`Prosody ${prosody.prosody} (Debian ${prosody.package}, ${prosody.lua}, network backend ${prosody.backend})`);
  if (ejabberd) parts.push(`ejabberd ${ejabberd.ejabberd} (Debian ${ejabberd.package}, Erlang/OTP ${ejabberd.otp})`);
  if (mosquitto) parts.push(mosquitto.mosquitto.replace(/^mosquitto/, 'Mosquitto'));
  return parts.join('; ');
}

function whenLine(report) {
  const entries = Object.values(report.peers).flatMap((p) => Object.values(p.workloads ?? {}));
  const modes = [...new Set(entries.map((e) => e.mode))];
  const days = [...new Set(entries.map((e) => e.measuredAt?.slice(0, 10)))].sort();
  const loads = entries.map((e) => e.loadAverage).filter(Number.isFinite);
  const mode = modes.length === 1 ? `${modes[0]} mode` : `mixed modes (${modes.join(', ')}; see bench/results/peers.json)`;
  const load = loads.length ? `; 1-minute load average before each workload ${fmt(Math.min(...loads), 1)}–${fmt(Math.max(...loads), 1)}` : '';
  return `Measured ${days.join(' to ')}, ${mode}${load}.`;
}

/** One line per workload, from the options it ran with. */
const METHODS = {
  idleDensity: (o) => `**Idle density**: a fresh server per run (${o.runs} runs); devices log in 100 at a time and stay idle (no keep-alive traffic); the server's VmRSS (/proc) after 1 s of quiet at each level, minus its VmRSS before the first login, over the number of connections.`,
  connectStorm: (o) => `**Connect storm**: ${fmt(o.connections)} new connections through to "online", ${o.concurrency} in flight (Mosquitto's listen backlog is fixed at 100), all kept open; connects/s = connections / wall time; one warm-up storm of 500, then ${o.runs} runs.`,
  latency: (o) => `**1:1 latency**: one sender and one online recipient; open-loop sends at a fixed rate for ${o.seconds} s per run, ${o.runs} runs per rate after 1 s at 200 msg/s; hop = send → receipt at the recipient, measured by the generator from the scheduled send time (as \`bench/relay.mjs\` does, so the generator's timer lateness is included) and from the moment the send was made.`,
  knee: (o) => `**Throughput knee**: ${o.pairs} sender → recipient pairs, open-loop; each step lasts ${o.seconds} s; the rate doubles from ${fmt(o.start)} msg/s until a step fails (a message not delivered within 2 s of the last send, or hop p99 > 50 ms), then ${o.refine} bisection steps (a step that fails while the generator is behind its schedule is tried once more); ${o.ramps} ramps; the knee is the highest rate that held.`,
  fanout: (o) => `**Group fan-out**: ${fmt(o.receivers)} online receivers and one sender in one group (Sotto: a group of ${fmt(o.receivers + 1)} devices, its limit, made by the sender after each member accepted its contact request; Prosody and ejabberd: a MUC room with ${fmt(o.receivers + 1)} occupants; Mosquitto: a topic with ${fmt(o.receivers)} QoS 1 subscribers); one message at a time, the next 50 ms after the last delivery; time from the send to the first and the last delivery; ${o.messages} messages after ${o.warmup} warm-up.`,
  offline: (o) => `**Offline drain**: ${fmt(o.messages)} messages queued for an offline device by one online sender (Sotto: the device's mailbox; Prosody and ejabberd: mod_offline, messages to the bare JID with no session online; Mosquitto: a persistent session, clean=false, with a QoS 1 subscription); the queue counts as filled when the server has acknowledged every SEND (Sotto: stored and synced) or PUBLISH (MQTT), or answered a ping (XMPP); drain = from the start of the device's reconnect (login included) to its last message; ${o.runs} runs after a warm-up of 1,000.`,
};

function methodLines(report) {
  return Object.entries(METHODS)
    .map(([workload, line]) => firstResult(report, workload) && `- ${line(firstResult(report, workload).options)}`)
    .filter(Boolean);
}

function configLines(report) {
  const lines = [];
  for (const [peer, entry] of Object.entries(report.peers)) {
    const value = (v) => (typeof v === 'object' ? Object.entries(v).map(([k, x]) => `${k} = ${x}`).join(', ') : v);
    const settings = typeof entry.settings === 'object' ? Object.entries(entry.settings).map(([k, v]) => `${k}: ${value(v)}`).join('; ') : '';
    lines.push(`- **${PEER_NAMES[peer]}**: ${entry.protocol}. Online means: ${PEERS[peer].online}. Auth: ${entry.auth}. ${settings}.`);
  }
  return lines;
}

export function renderSection(report) {
  const peers = Object.keys(PEER_NAMES);
  const header = peers.map((p) => PEER_NAMES[p]).concat(COMPARED.map((p) => `Sotto ÷ ${PEER_NAMES[p]}`));
  const m = report.machine;
  const pinned = typeof report.pinning === 'object' ? 'servers pinned to core 0 and the load generator to core 1 (taskset)' : report.pinning;
  const table = rows(report).map(([key, workload, figure, render, value]) => {
    const ratios = COMPARED.map((peer) => ratio(report, key, value, peer));
    return `| ${workload} | ${figure} | ${peers.map((p) => cell(report, p, key, render)).join(' | ')} | ${ratios.join(' | ')} |`;
  });
  return `<!-- peers:start -->
## Sotto beside Prosody, ejabberd and Mosquitto (\`bench/peers.mjs\`)

The workloads of \`performance.md\` run against Sotto and three peers on this machine, with the same
load generator, so Sotto's figures can be given as ratios measured the same way, in the same run:
Prosody (XMPP over WebSocket, the closest semantics), ejabberd (XMPP over WebSocket too, on Erlang:
the server WhatsApp's grew from, driven by the same XMPP client) and Mosquitto (a C pub/sub broker,
a lower bound on routing cost). Sotto's load generator speaks its real wire protocol with opaque payloads
in place of MLS ciphertext (the server never parses MLS; the client's MLS cost is measured on its
own, below). 200-byte payloads
throughout; every workload starts its own server with a generated config in a temp dir (127.0.0.1
only). ${versionLine(report)}. ${m.cpu} (${m.cores} cores), Node ${m.node}; ${pinned}.
${whenLine(report)}

| workload | figure | ${header.join(' | ')} |
|${'---|'.repeat(header.length + 2)}
${table.join('\n')}

The ratios divide Sotto's figure by the peer's (medians; for a "p50 / p99" pair, the p99; for the
latency "from the actual send" row, the p50): above 1 is better for rates, below 1 is better for
memory and latency.

${chartLines(report)}

Each figure is the median over runs, with the range over runs in brackets. ${GENERATOR_MARK} The load generator could
not keep up in at least one run (above ${GENERATOR_LIMIT * 100}% of its core, or its own sends ran more than
${SEND_LAG_LIMIT_MS} ms late at p99, as when a busy machine starves it): that figure may be the generator's
limit rather than the peer's, so a lower bound on the peer's rate or an upper bound on its latency.
The CPU rows say which side was busy: a server near 1.00 is the limit there.

Method (one generator process per workload, on its own core; latencies are measured by the generator):

${methodLines(report).join('\n')}

Configuration (benchmark-friendly, like \`sotto serve --rate-limit\` in \`bench/relay.mjs\`):

${configLines(report).join('\n')}

Where Prosody's time goes (from its 0.12 source and per-phase CPU readings, not from these figures
alone): a login spends more on the WebSocket upgrade and the two stream opens than on SASL PLAIN; every
MUC join builds a presence for each occupant already in the room even when joins are not broadcast,
so filling a room of 1,000 is quadratic; a room message is built for all occupants before the first
byte is written; mod_offline opens, appends to and closes a file per queued message.

Where ejabberd's time goes is not profiled here. It runs on one Erlang scheduler pinned to the
server's core, a process per connection and per room, with accounts and queued offline messages in
Mnesia's disc_only (dets) tables.

Not the same as Sotto, so read the ratios with this in mind: no peer makes a message durable
before delivering it; Sotto stores every message in SQLite and fsyncs (\`synchronous=FULL\`, one fsync
per group commit) before it acknowledges or delivers. Prosody relays online messages in memory (no
MAM archive here) and appends offline ones to files without fsync; ejabberd relays in memory and
writes offline ones to Mnesia without fsync; Mosquitto keeps queued QoS 1
messages in memory and writes them on autosave or shutdown. XMPP has no acknowledgement to the sender
without XEP-0198, so only Sotto and Mosquitto have an ack figure. MQTT runs over plain TCP here, not
WebSocket. Sotto's authentication is an Ed25519 signature check per login; the peers check a password.

Raw figures, per run: \`bench/results/peers.json\`. Run: \`node bench/peers.mjs [--quick] [--peer sotto|prosody|ejabberd|mosquitto] [--workload NAME]\`
(NAME: idle-density, connect-storm, latency, knee, fanout, offline); Prosody from Debian's
\`prosody\` package, ejabberd from \`ejabberd\`, Mosquitto from \`mosquitto\`.
<!-- peers:end -->`;
}

// Scale-out relay for ejabberd, the counterpart of bench/relay.mjs (issue 21: "for the cluster,
// two ejabberd nodes where that can run here"). One sender and one recipient, XMPP over WebSocket
// with the peers' client (peers/xmpp-client.mjs); open loop, 200-byte payloads at each offered rate
// after a warm-up, hop = scheduled send -> receipt at the recipient. "one-node" is one ejabberd
// (peers/ejabberd.mjs); "cross-node" is two clustered nodes (peers/ejabberd-cluster.mjs), the sender
// on the first and the recipient on the second, so every message crosses the Erlang distribution.
import { fmt, machine, median, writeSection } from './lib.mjs';
import { relayTable } from './relay.mjs';
import { ejabberdVersion, EJABBERD_VM, startEjabberd } from './peers/ejabberd.mjs';
import { startEjabberdCluster } from './peers/ejabberd-cluster.mjs';
import { PAYLOAD_BYTES, SEND_LAG_LIMIT_MS } from './peers/common.mjs';
import { DeliveryTracker, runStretch } from './peers/workloads.mjs';
import { XmppClient } from './peers/xmpp-client.mjs';

/** relay.mjs's warm-up: this rate for as long as each measured rate. */
const WARM_UP_RATE = 200;

/** The servers of a topology, as a list of nodes each usable by XmppClient, and how to stop them. */
async function startTopology(topology, serverCpu) {
  if (topology === 'one-node') {
    const server = await startEjabberd({ users: 2, cpu: serverCpu });
    return { nodes: [server], members: ['nonode@nohost'], password: server.password, stop: server.stop };
  }
  if (topology === 'cross-node') return startEjabberdCluster({ users: 2, cpu: serverCpu });
  throw new Error(`unknown topology ${topology}`);
}

/**
 * One run on fresh servers: u0 logs in on the first node and u1 on the last (the same node when
 * there is one), then a warm-up and each rate in turn. Returns one result per rate (runStretch's).
 */
export async function benchEjabberdRelay({ topology, rates, seconds, serverCpu }) {
  const servers = await startTopology(topology, serverCpu);
  try {
    console.log(`${topology}: ejabberd nodes ${servers.members.join(', ')}`);
    const sender = await new XmppClient(servers.nodes[0]).login('u0', servers.password);
    const recipient = await new XmppClient(servers.nodes.at(-1)).login('u1', servers.password);
    const tracker = new DeliveryTracker();
    recipient.onChat = (seq) => tracker.delivered(seq);
    let seqBase = 1;
    const results = [];
    for (const rate of [WARM_UP_RATE, ...rates]) {
      const result = await runStretch({ tracker, seqBase, rate, seconds, senders: [sender], recipients: ['u1'], serverPid: servers.nodes[0].pid });
      seqBase += result.sent;
      results.push(result);
    }
    await sender.close();
    await recipient.close();
    return results.slice(1);
  } finally {
    await servers.stop();
  }
}

/**
 * Run on its own: `node bench/relay-ejabberd.mjs [--topology one-node,cross-node] [--runs 5] [--rates 250,1000,3000,6000,10000]
 * [--seconds 2] [--server-cpu N] [--write]` repeats the measurement, each run on freshly started nodes, and
 * prints each run and, per rate, the median and the worst run (issue 21's method, as relay.mjs).
 * --server-cpu pins every node to that core; --write puts the tables in docs/BENCHMARKS.md's
 * `relay-ejabberd` section.
 */
async function measure(topology, { runs, rates, seconds, serverCpu }) {
  const results = [];
  for (let i = 0; i < runs; i++) {
    const result = await benchEjabberdRelay({ topology, rates, seconds, serverCpu });
    results.push(result);
    const line = (r) => `${r.rate}/s -> ${Math.round(r.achievedPerSecond)}/s (${r.delivered}/${r.sent}), hop p50 ${fmt(r.hopP50, 2)} p99 ${fmt(r.hopP99, 2)} ms, send lag p99 ${fmt(r.sendLagP99, 2)} ms${r.generatorBound ? ' †' : ''}`;
    console.log(`${topology} run ${i + 1}: ${result.map(line).join('; ')}`);
  }
  return results;
}

/** What crossing the distribution changed at the lowest rate, from the two tables' first rows (same run). */
function crossNodeCost(tables) {
  const single = tables.find((t) => t.topology === 'one-node');
  const cross = tables.find((t) => t.topology === 'cross-node');
  if (!single || !cross) return '';
  const p99 = (t, pick) => pick(t.results.map((run) => run[0].hopP99));
  const worst = (xs) => Math.max(...xs);
  const signed = (ms) => `${ms > 0 ? '+' : ''}${fmt(ms, 2)}`;
  return `In this run, crossing the Erlang distribution changed the median run's hop p99 at ${fmt(single.rate)}/s by `
    + `${signed(p99(cross, median) - p99(single, median))} ms and the worst run's by ${signed(p99(cross, worst) - p99(single, worst))} ms.`;
}

function section(tables, { runs, seconds, serverCpu }) {
  const versions = ejabberdVersion();
  const { cpu, cores } = machine();
  const pinning = serverCpu === undefined
    ? 'Nothing is pinned, as `bench/relay.mjs` runs: the OS places the nodes and the generator.'
    : `Both nodes are pinned to core ${serverCpu} (taskset), as \`benchRelay\`'s \`serverCpu\` pins both Sotto nodes.`;
  return `<!-- relay-ejabberd:start -->
## Scale-out for comparison: two ejabberd nodes (\`bench/relay-ejabberd.mjs\`)

Method: the 1:1 relay of \`bench/relay.mjs\` against ejabberd ${versions.ejabberd} (Debian package
${versions.package}, Erlang/OTP ${versions.otp}), on ${cpu} (${cores} cores). Two XMPP clients
(\`bench/peers/xmpp-client.mjs\`, WebSocket, SASL PLAIN) log in as u0 and u1; u0 sends \`chat\`
messages with a ${PAYLOAD_BYTES}-byte body to u1 open loop at each offered rate for ${seconds} s,
after a warm-up at ${WARM_UP_RATE}/s. "Hop" is the scheduled send -> receipt at the recipient (so the
generator's timer lateness counts too); "achieved" counts deliveries over the time from the first
scheduled send to the last delivery (at least ${seconds} s), so a backlog shows as a lower rate. Each
cell is the median of ${runs} runs, each on freshly started nodes, with the worst run in brackets;
† marks a rate where the generator ran more than ${SEND_LAG_LIMIT_MS} ms behind its schedule (p99)
in some run. "One node" is one ejabberd VM; "cross-node" is two VMs joined in one cluster
(\`ejabberd_admin:join_cluster\`, what \`ejabberdctl join_cluster\` calls, over Erlang distribution on
127.0.0.1 with an epmd of their own; \`list_cluster\` checked to hold both), the accounts in Mnesia
replicated to both, the sender on the first node and the recipient on the second, so every message
crosses the distribution. Each VM runs one scheduler (\`${EJABBERD_VM.schedulers}\`, no busy-waiting).
${pinning} Every process shares this machine's ${cores} cores, so these are per-node costs, not
cluster scaling. \`node bench/relay-ejabberd.mjs --runs ${runs}${serverCpu === undefined ? '' : ` --server-cpu ${serverCpu}`} --write\`.

Unlike Sotto's hop (the \`relay\` section: stored on PostgreSQL before it is pushed), ejabberd
relays an online message from memory and stores nothing, and XMPP acknowledges nothing to the
sender without XEP-0198 (not enabled), so there is no ack column. The comparable figure is what
crossing nodes adds: NATS for Sotto, the Erlang distribution for ejabberd. ${crossNodeCost(tables)}

${tables.map(({ title, text }) => `${title}:\n\n${text}`).join('\n\n')}
<!-- relay-ejabberd:end -->`;
}

async function main() {
  const { parseArgs } = await import('node:util');
  const { values } = parseArgs({
    options: {
      topology: { type: 'string', default: 'one-node,cross-node' },
      runs: { type: 'string', default: '5' },
      rates: { type: 'string', default: '250,1000,3000,6000,10000' },
      seconds: { type: 'string', default: '2' },
      'server-cpu': { type: 'string' },
      write: { type: 'boolean', default: false },
    },
  });
  const options = {
    runs: Number(values.runs),
    rates: values.rates.split(',').map(Number),
    seconds: Number(values.seconds),
    serverCpu: values['server-cpu'] === undefined ? undefined : Number(values['server-cpu']),
  };
  const titles = { 'one-node': 'One ejabberd node', 'cross-node': 'Two ejabberd nodes in one cluster, sender and recipient on different nodes' };
  const tables = [];
  for (const topology of values.topology.split(',')) {
    const results = await measure(topology, options);
    // No ack column: XMPP acknowledges nothing to the sender without XEP-0198 stream management (not enabled).
    const text = relayTable(results, options.rates, { ack: false });
    console.log(`\n${topology}, median (worst) of ${results.length} runs, ${options.seconds} s per rate:\n${text}\n`);
    tables.push({ topology, title: titles[topology] ?? topology, text, results, rate: options.rates[0] });
  }
  if (values.write) {
    writeSection('relay-ejabberd', section(tables, options));
    console.log('wrote the relay-ejabberd section of docs/BENCHMARKS.md');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();

// Starts two private ejabberd nodes joined in one cluster, for the cross-node relay
// (bench/relay-ejabberd.mjs): the counterpart of two `sotto serve` nodes on NATS. Each node is the
// VM ejabberd.mjs starts (its config, Mnesia and logs in a temp dir of its own, its own client and
// HTTP API port on 127.0.0.1), given an Erlang node name so the two can form a cluster. Accounts live
// in Mnesia, replicated to both; a message to a user connected to the other node crosses the Erlang
// distribution between the VMs.
//
// Nothing is shared with a system ejabberd or RabbitMQ (which runs its own epmd on 4369): the nodes
// have random names and a random cookie, register with an epmd of their own on a free port
// (ERL_EPMD_PORT; `-start_epmd false` so no VM starts another), and listen for distribution on one
// free port each, on 127.0.0.1 only. stop() ends exactly the processes started here.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { canConnect, freePort, LOOPBACK, sleep } from './common.mjs';
import { answersApi, DOMAIN, launchEjabberd, MUC_DOMAIN, PASSWORD, provisionAccounts } from './ejabberd.mjs';

const ERLANG_ROOT = '/usr/lib/erlang';
const EPMD = '/usr/bin/epmd';
/** Joining copies every Mnesia table and restarts ejabberd on the joining node: a few seconds here. */
const JOIN_TIMEOUT_S = 60;

/** erl_call (in the erts directory, whose name carries the version) talks to a node as ejabberdctl does. */
function erlCallPath() {
  const erts = readdirSync(ERLANG_ROOT).find((name) => name.startsWith('erts-'));
  if (!erts) throw new Error(`no erts directory in ${ERLANG_ROOT}: erl_call is needed to join the nodes`);
  return `${ERLANG_ROOT}/${erts}/bin/erl_call`;
}

/** An epmd of our own, in the foreground so that its pid is ours to end. */
async function startEpmd() {
  const port = await freePort();
  const child = spawn(EPMD, ['-port', String(port), '-address', LOOPBACK], { stdio: 'ignore' });
  const exit = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exit;
  };
  for (let tries = 0; !(await canConnect(port)); tries++) {
    if (tries > 100) {
      await stop();
      throw new Error('epmd did not start');
    }
    await sleep(20);
  }
  return { port, stop };
}

/** Starts one named node (not yet joined), its distribution on `distPort` of 127.0.0.1 only. */
async function startNode({ name, cookie, epmdPort, cpu }) {
  const distPort = await freePort();
  const node = `${name}@${LOOPBACK}`;
  const erlArgs = [
    '-name', node, '-setcookie', cookie, '-start_epmd', 'false',
    '-kernel', 'inet_dist_use_interface', '{127,0,0,1}',
    '-kernel', 'inet_dist_listen_min', String(distPort), '-kernel', 'inet_dist_listen_max', String(distPort),
  ];
  const vm = await launchEjabberd({ cpu, erlArgs, env: { ERL_EPMD_PORT: String(epmdPort) } });
  return { ...vm, node, distPort };
}

/**
 * Evaluates `expression` on `node` over the distribution, as ejabberdctl does: join_cluster must
 * not run inside the joining node's ejabberd (the HTTP API's handler would be stopped with it), and
 * list_cluster is a restricted command the HTTP API refuses. erl_call takes the expression on stdin
 * (its -a cannot pass a binary) and prints {ok, Value}.
 */
function evaluate(node, cookie, expression) {
  return new Promise((resolve, reject) => {
    const child = execFile(erlCallPath(), ['-address', `${LOOPBACK}:${node.distPort}`, '-c', cookie, '-timeout', String(JOIN_TIMEOUT_S), '-e'], (error, stdout) => {
      if (error) reject(error);
      else resolve(stdout.trim());
    });
    child.stdin.end(`${expression}.\n`);
  });
}

/** The cluster's members as a node sees them (`ejabberdctl list_cluster`). */
async function listCluster(node, cookie) {
  const answer = await evaluate(node, cookie, 'ejabberd_admin:list_cluster()');
  return [...answer.matchAll(/[\w.-]+@[\d.]+/g)].map(([member]) => member);
}

/** Waits until `node` answers its HTTP API again (ejabberd restarts there during a join). */
async function answersAgain(node) {
  const deadline = performance.now() + JOIN_TIMEOUT_S * 1000;
  while (!(await answersApi(node.httpPort))) {
    if (performance.now() > deadline) throw new Error(`${node.node} did not come back after joining`);
    await sleep(50);
  }
}

/**
 * Starts two ejabberd nodes, each pinned to `cpu` when given, joins the second to the first's
 * cluster and registers u0..u{users-1} (password PASSWORD) once, on the first; Mnesia holds them on
 * both. Returns { nodes: [{ pid, wsUrl, domain, ... }] (servers for XmppClient), members, stop() }.
 */
export async function startEjabberdCluster({ users, cpu }) {
  const cookie = randomBytes(16).toString('hex');
  const suffix = randomBytes(4).toString('hex');
  const epmd = await startEpmd();
  const nodes = [];
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await epmd.stop();
  };
  try {
    for (const name of [`ejab1_${suffix}`, `ejab2_${suffix}`]) nodes.push(await startNode({ name, cookie, epmdPort: epmd.port, cpu }));
    const joined = await evaluate(nodes[1], cookie, `ejabberd_admin:join_cluster(<<"${nodes[0].node}">>)`);
    if (!/^\{ok, ?ok\}$/.test(joined)) throw new Error(`${nodes[1].node} could not join ${nodes[0].node}: ${joined}`);
    await answersAgain(nodes[1]);
    const members = await listCluster(nodes[0], cookie);
    if (!nodes.every((node) => members.includes(node.node))) throw new Error(`the cluster holds ${members.join(', ')}, not both nodes`);
    await provisionAccounts(nodes[0].httpPort, users);
    const servers = nodes.map(({ pid, node, wsUrl }) => ({ pid, node, wsUrl, domain: DOMAIN, mucDomain: MUC_DOMAIN, password: PASSWORD }));
    return { nodes: servers, members, password: PASSWORD, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

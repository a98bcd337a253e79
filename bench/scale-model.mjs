#!/usr/bin/env node
// Scale on paper (issue 21): how many Sotto nodes, and what else, a deployment of 100,000 and of
// 1,000,000 members would need, computed from parts measured on this kind of machine and assumptions
// written down here. Measured inputs come from bench/results/peers.json (idle density, connect
// storm, the SQLite knee) and from the sections of docs/BENCHMARKS.md named beside each constant
// below (PostgreSQL and NATS: bench/relay.mjs; group calls: bench/group-call.mjs and
// bench/group-video.mjs), which print no JSON. A model, not a measurement: every figure it
// prints is an estimate from these, and says which. Usage: node bench/scale-model.mjs [--write]
import { readFileSync } from 'node:fs';
import { fmt, writeSection } from './lib.mjs';

const WRITE = process.argv.includes('--write');
const peers = JSON.parse(readFileSync(new URL('./results/peers.json', import.meta.url), 'utf8'));
const sotto = peers.peers.sotto.workloads;

// ---- measured parts ------------------------------------------------------------------------
const measured = {
  /** Server RSS per idle authenticated connection at 19,000 connections (KiB), median of 3. */
  kibPerConnection: sotto.idleDensity.levels.at(-1).perConnectionKiB.median,
  /** Authenticated connects/s one node took in the connect storm (one core), median of 5. */
  connectsPerSecond: sotto.connectStorm.connectsPerSecond.median,
  /**
   * One PostgreSQL node: what it delivered at the highest offered rate it held with a hop p99 under
   * 50 ms in the median run, in every run of 2026-12-07 after migration 11 (AMD EPYC): 6,000/s
   * offered, 5,933 achieved, p99 16.7 ms (the recorded run; 5,977 and 18.6 ms in the one before);
   * at 10,000/s the median run's p99 was 122 ms. "Scale-out" section, bench/relay.mjs, 5 runs; the
   * node, PostgreSQL and NATS shared the 2 cores.
   */
  pgNodeEnvelopesPerSecond: 5_933,
  /** Its hop p99 there (ms), the median run. */
  pgNodeHopP99Ms: 16.7,
  /** Crossing NATS between two nodes at 250/s added this much to the median run's hop p99 (ms), same run (1.14-1.18 in two runs before migration 11). */
  natsHopP99AddedMs: 1.05,
  /** Janus, % of one core per participant: audio calls of 4 (bench/group-call.mjs) and video calls of 4 (bench/group-video.mjs). */
  janusPctPerAudioParticipant: 1.57,
  janusPctPerVideoParticipant: 2.69,
  /**
   * The Sotto server's share of a group call, % of one core per participant: video calls of 4
   * (0.9 % for the call; audio calls of 4: 0.4 %). Its idle baseline is in it, so it overstates.
   */
  serverPctPerCallParticipant: 0.23,
};

// ---- assumptions -----------------------------------------------------------------------------
const assumed = {
  devicesPerMember: 1.5, // a phone, and every other member a browser or second device
  onlineShare: 0.4, // devices connected at the busiest hour
  messagesPerMemberPerDay: 50, // WhatsApp's published 100 billion a day over 2 billion users
  groupShare: 0.3, // of messages, sent in groups; the rest 1:1
  groupMembers: 8, // a typical group
  receiptBurst: 2, // messages one delivery receipt covers (a receipt covers a burst)
  peakToAverage: 3, // the busiest hour against the day's average
  headroom: 0.5, // run a node at half the rate where its p99 still held
  connectionsPerNode: 100_000, // performance.md's per-node target; 0.8 GB of connection memory
  callShareAtPeak: 0.01, // members in a group call at the busiest moment
  videoShareOfCalls: 0.3,
  coresPerSfuHost: 16,
};

/**
 * Mailbox entries (stored, then delivered) one message makes. Every device of a conversation but
 * the sender's gets the message; each receiving device sends one delivery receipt per burst, and
 * a receipt is an MLS message to the whole conversation, so it too reaches every device but its
 * sender's. Read receipts are left out (members can turn them off; they would add as many again).
 */
function envelopesPerMessage(members, receiptsToSenderOnly) {
  const devices = members * assumed.devicesPerMember;
  const receivers = devices - assumed.devicesPerMember;
  const message = devices - 1;
  const receiptFanOut = receiptsToSenderOnly ? assumed.devicesPerMember : devices - 1;
  return message + (receivers / assumed.receiptBurst) * receiptFanOut;
}

function model(members, receiptsToSenderOnly) {
  const perMessage = (1 - assumed.groupShare) * envelopesPerMessage(2, receiptsToSenderOnly) + assumed.groupShare * envelopesPerMessage(assumed.groupMembers, receiptsToSenderOnly);
  const perDay = members * assumed.messagesPerMemberPerDay * perMessage;
  const peakPerSecond = (perDay / 86_400) * assumed.peakToAverage;
  const connections = members * assumed.devicesPerMember * assumed.onlineShare;
  const nodesForRate = Math.ceil(peakPerSecond / (measured.pgNodeEnvelopesPerSecond * assumed.headroom));
  const nodesForConnections = Math.ceil(connections / assumed.connectionsPerNode);
  // At least two, so one can restart while the other carries its members.
  const nodes = Math.max(2, nodesForRate, nodesForConnections);
  const callParticipants = members * assumed.callShareAtPeak;
  const janusCores = callParticipants * ((1 - assumed.videoShareOfCalls) * measured.janusPctPerAudioParticipant + assumed.videoShareOfCalls * measured.janusPctPerVideoParticipant) / 100;
  return {
    perMessage, peakPerSecond, connections, nodesForRate, nodesForConnections, nodes,
    connectionMemoryGiB: (connections * measured.kibPerConnection) / 1024 / 1024,
    // A node restarts: its share of the devices reconnects to the others, each taking connects at the measured rate.
    reconnectSeconds: connections / nodes / (measured.connectsPerSecond * Math.max(1, nodes - 1)),
    callParticipants,
    janusCores,
    sfuHosts: Math.max(1, Math.ceil(janusCores / (assumed.coresPerSfuHost * assumed.headroom))),
    serverCallCores: (callParticipants * measured.serverPctPerCallParticipant) / 100,
  };
}

const sizes = [100_000, 1_000_000];
const now = sizes.map((members) => ({ members, ...model(members, false) }));
const senderOnly = sizes.map((members) => ({ members, ...model(members, true) }));
const row = (label, pick, digits = 0) => `| ${label} | ${now.map((m) => fmt(pick(m), digits)).join(' | ')} | ${senderOnly.map((m) => fmt(pick(m), digits)).join(' | ')} |`;

const section = `<!-- scale-model:start -->
## Scale model: 100,000 and 1,000,000 members (issue 21, \`bench/scale-model.mjs\`)

A model on paper, from parts measured on this kind of machine (2 cores; the machine of each input is
in its section): it cannot hold either deployment. Measured inputs: ${fmt(measured.kibPerConnection, 1)} KiB of server memory per idle connection and
${fmt(measured.connectsPerSecond)} authenticated connects/s per node (\`bench/peers.mjs\`); ${fmt(measured.pgNodeEnvelopesPerSecond)}
mailbox entries/s through one PostgreSQL node with hop p99 ${fmt(measured.pgNodeHopP99Ms, 1)} ms (the highest rate it held with a
p99 under 50 ms, "Scale-out" above, where node, PostgreSQL and NATS shared two cores); crossing NATS adds
${fmt(measured.natsHopP99AddedMs, 2)} ms at p99; Janus uses ${fmt(measured.janusPctPerAudioParticipant, 2)} % of a core per participant in audio
calls of 4 and ${fmt(measured.janusPctPerVideoParticipant, 2)} % in video calls of 4, the Sotto server ${fmt(measured.serverPctPerCallParticipant, 2)} % (its idle baseline included).

Assumptions: ${assumed.devicesPerMember} devices per member, ${assumed.onlineShare * 100} % of devices connected at the busiest hour;
${assumed.messagesPerMemberPerDay} messages a member a day (WhatsApp's published 100 billion a day over 2 billion
users), ${assumed.groupShare * 100} % of them in groups of ${assumed.groupMembers}; one delivery receipt per ${assumed.receiptBurst} messages from each
receiving device (read receipts left out: they would add as many again); the busiest hour ${assumed.peakToAverage}x
the day's average; nodes run at ${assumed.headroom * 100} % of the rate where their p99 held, at most
${fmt(assumed.connectionsPerNode)} connections each (performance.md's per-node target), and at least two; ${assumed.callShareAtPeak * 100} % of members in a
group call at the busiest moment, ${assumed.videoShareOfCalls * 100} % of them with video, SFU hosts of ${assumed.coresPerSfuHost} cores at half load.

A message makes one mailbox entry per device of its conversation but the sender's, and each
receiving device's delivery receipt is an MLS message to the whole conversation, so it too is an
entry for every device: in a group of ${assumed.groupMembers} that is ${fmt(envelopesPerMessage(assumed.groupMembers, false), 0)} entries per message, receipts
${fmt(100 * (1 - (assumed.groupMembers * assumed.devicesPerMember - 1) / envelopesPerMessage(assumed.groupMembers, false)), 0)} % of them. The right-hand columns
model receipts sent to the sender's devices only (as Signal does, here through the 1:1
conversation): ${fmt(envelopesPerMessage(assumed.groupMembers, true), 0)} entries per group message.

| | 100,000 members | 1,000,000 members | 100,000, receipts to the sender only | 1,000,000, receipts to the sender only |
|---|---:|---:|---:|---:|
${row('mailbox entries per message (average)', (m) => m.perMessage, 1)}
${row('mailbox entries/s at the busiest hour', (m) => m.peakPerSecond)}
${row('connected devices at the busiest hour', (m) => m.connections)}
${row('server memory for them (GiB, all nodes)', (m) => m.connectionMemoryGiB, 1)}
${row('nodes for the rate', (m) => m.nodesForRate)}
${row('nodes for the connections', (m) => m.nodesForConnections)}
${row('**Sotto nodes**', (m) => m.nodes)}
${row('a node restarts: its devices back on the other nodes within (s)', (m) => m.reconnectSeconds)}
${row('group call participants at the busiest moment', (m) => m.callParticipants)}
${row('Janus cores for them', (m) => m.janusCores, 1)}
${row('**SFU hosts**', (m) => m.sfuHosts)}
${row('Sotto server cores for the calls', (m) => m.serverCallCores, 1)}

What the model says: at 100,000 members ${now[0].nodes} nodes carry the messages and the connections (never
fewer than two, so one can restart), and ${now[0].sfuHosts} SFU hosts carry the calls, Janus being the largest cost. At 1,000,000 the mailbox rate decides, and with
receipts to the whole group it is ${fmt(now[1].peakPerSecond)} entries/s at the busiest hour: ${now[1].nodes} nodes, all writing to one
PostgreSQL primary, which would need to take that many inserts (and as many deletes as devices
acknowledge) a second; receipts to the sender only cut it to ${fmt(senderOnly[1].peakPerSecond)}/s and ${senderOnly[1].nodes} nodes. So the
largest lever for a million members is not the node but the receipt: sending delivery receipts to
the sender's devices only (and from one device of an account, already noted under linked
devices). What the model cannot say: how one PostgreSQL primary behaves at those rates on real
hardware (measured here only with the node beside it on two cores), and whether NATS's extra
${fmt(measured.natsHopP99AddedMs, 2)} ms per cross-node hop grows with the number of nodes.
<!-- scale-model:end -->`;

console.log(section);
if (WRITE) writeSection('scale-model', section);

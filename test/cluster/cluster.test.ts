/**
 * Scenario (scale-out): three `sotto serve` nodes on one PostgreSQL database
 * and one NATS, behind nginx. Members spread over the nodes exchange 1:1 and
 * group messages; a node is killed with SIGKILL during a message stream and
 * its members reconnect through nginx; NATS, then PostgreSQL, restart during
 * traffic. Every acknowledged message is delivered, none shown twice.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { attachmentOf } from '@sotto/core';
import { openNodeClient } from '@sotto/client-node';
import { Member, messagesOf, onJsonLines } from '../support/cli.js';
import { scratchDir } from '../support/paths.js';
import { ServerProcess } from '../support/server-process.js';
import { NatsProcess, NginxProcess, TestDatabase, requireServices, restartPostgres } from '../support/services.js';
import { TcpRelay } from '../support/tcp-relay.js';

const services = await requireServices();

describe('cluster: 3 nodes + PostgreSQL + NATS + nginx', services, () => {
  const dir = scratchDir('cluster');
  let db: TestDatabase;
  let nats: NatsProcess;
  const nodes: ServerProcess[] = [];
  let nginx: NginxProcess;
  /** Node 0 reaches NATS through this relay, so a test can cut node 0 alone off NATS. */
  let relay: TcpRelay;
  const alice = new Member('alice', dir.path);
  const bob = new Member('bob', dir.path);
  const carol = new Member('carol', dir.path);

  before(async () => {
    db = await TestDatabase.create();
    nats = await NatsProcess.start(join(dir.path, 'nats'));
    relay = await TcpRelay.start(nats.port);
    for (let i = 0; i < 3; i++) {
      nodes.push(await ServerProcess.start(join(dir.path, `node${i}`), ['--db', db.url, '--bus', i === 0 ? relay.url : nats.url]));
    }
    nginx = await NginxProcess.start(join(dir.path, 'nginx'), nodes.map((n) => n.port));
  });

  after(async () => {
    await nginx?.stop();
    await Promise.all(nodes.map((n) => n.stop()));
    await relay?.stop();
    await nats?.stop();
    await db?.drop();
    dir.remove();
  });

  /** How many member connections each node holds, read from its own /metrics. */
  async function connectionsPerNode(): Promise<number[]> {
    return Promise.all(
      nodes.map(async (n) => {
        try {
          const text = await (await fetch(`${n.url}/metrics`)).text();
          return Number(/^sotto_connections (\d+)/m.exec(text)?.[1] ?? 0);
        } catch {
          return -1;
        }
      }),
    );
  }

  /**
   * Until every node says it is ready again (/healthz 200: its bus is connected). Until then a node
   * refuses new connections with 503, so a member connecting in that window is told to come back:
   * "service recovers" is checked once it has.
   */
  async function everyNodeReady(): Promise<void> {
    const deadline = Date.now() + 30_000;
    const ready = async (n: ServerProcess) => (await fetch(`${n.url}/healthz`).catch(() => undefined))?.status === 200;
    while (!(await Promise.all(nodes.map(ready))).every(Boolean)) {
      if (Date.now() > deadline) throw new Error('a node was not ready again within 30 s of the fault');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  test('members registered through nginx exchange 1:1 and group messages across nodes', async () => {
    for (const m of [alice, bob, carol]) await m.ok(['register', m.name, '--server', nginx.url]);
    await alice.ok(['contacts', 'request', 'bob', 'hi']);
    await alice.ok(['contacts', 'request', 'carol', 'hi']);
    await bob.ok(['contacts', 'accept', 'alice']);
    await carol.ok(['contacts', 'accept', 'alice']);
    await alice.ok(['send', 'bob', 'hello bob']);
    assert.deepEqual(messagesOf(await bob.ok(['sync'])).map((m) => m.body), ['hello bob']);
    await bob.ok(['send', 'alice', 'hello alice']);
    assert.deepEqual(messagesOf(await alice.ok(['sync'])).map((m) => m.body), ['hello alice']);
    await alice.ok(['group', 'create', 'team', 'bob', 'carol']);
    await alice.ok(['group', 'send', 'team', 'hello team']);
    assert.deepEqual(messagesOf(await carol.ok(['sync'])).map((m) => m.body), ['hello team']);
    assert.deepEqual(messagesOf(await bob.ok(['sync'])).map((m) => m.body), ['hello team']);
  });

  test('a live member on one node receives pushes for messages stored by another node', async () => {
    const listener = bob.spawn(['listen']);
    let out = '';
    listener.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    const waitFor = async (text: string) => {
      const deadline = Date.now() + 20_000;
      while (!out.includes(text)) {
        if (Date.now() > deadline) throw new Error(`listen never printed ${text}: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await waitFor('"state":"ready"');
    // One-shot senders land on whichever node nginx picks; each send is a new connection.
    for (let i = 0; i < 6; i++) await alice.ok(['send', 'bob', `push ${i}`]);
    await waitFor('push 5');
    const exited = new Promise((r) => listener.once('exit', r));
    listener.kill('SIGINT');
    await exited;
    const pushed = out.split('\n').filter((l) => l.includes('"type":"message"')).map((l) => (JSON.parse(l) as { body: string }).body);
    assert.deepEqual(pushed, Array.from({ length: 6 }, (_, i) => `push ${i}`));
  });

  test("one account's devices on different nodes: linked across nodes, both read the group, a message from one shows as sent on the other", async () => {
    // carol (registered through nginx) opens a link; her laptop joins straight at node 2.
    const laptop = new Member('carol-laptop', dir.path);
    const adding = carol.spawn(['devices', 'add']);
    adding.stdin?.end();
    const records: { type: string; code?: string; deviceId?: string }[] = [];
    onJsonLines(adding.stdout!, (r) => records.push(r));
    const deadline = Date.now() + 30_000;
    while (!records.some((r) => r.type === 'device-link')) {
      if (Date.now() > deadline || adding.exitCode !== null) throw new Error(`devices add printed no code: ${JSON.stringify(records)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const code = records.find((r) => r.type === 'device-link')!.code!;
    const [joined] = await laptop.ok(['devices', 'join', code, '--server', nodes[2]!.url]);
    assert.equal(joined?.username, 'carol');
    const addExit = await new Promise<number | null>((resolve) => (adding.exitCode !== null ? resolve(adding.exitCode) : adding.once('exit', resolve)));
    assert.equal(addExit, 0);
    assert.equal(records.find((r) => r.type === 'device-linked')?.deviceId, joined?.deviceId);
    await laptop.ok(['sync']);
    await alice.ok(['group', 'send', 'team', 'to all of carol']);
    assert.deepEqual(messagesOf(await laptop.ok(['sync'])).map((m) => m.body), ['to all of carol']);
    assert.deepEqual(messagesOf(await carol.ok(['sync'])).map((m) => m.body), ['to all of carol']);
    await laptop.ok(['group', 'send', 'team', 'from the laptop on node 2']);
    assert.deepEqual(messagesOf(await bob.ok(['sync'])).map((m) => m.body), ['to all of carol', 'from the laptop on node 2']);
    const atPhone = (await carol.ok(['sync'])).filter((r) => r.type === 'message');
    assert.deepEqual(atPhone.map((r) => [r.body, r.outgoing]), [['from the laptop on node 2', true]]);
    const listed = await carol.ok(['devices', 'list']);
    assert.equal(listed.length, 2);
    // Removed through nginx (whichever node): the laptop on node 2 is refused from then on.
    await carol.ok(['devices', 'remove', String(joined?.deviceId)]);
    const refused = await laptop.run(['sync']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /UNKNOWN_DEVICE|DEVICE_REMOVED/);
    await alice.ok(['sync']);
    await bob.ok(['sync']);
  });

  test('a file goes through nginx in PATCHes that may land on any node, and every node serves the same bytes', async () => {
    const plain = randomBytes(9 * 1024 * 1024 + 5); // three PATCHes, spread by nginx over the nodes
    const path = join(dir.path, 'minutes.bin');
    writeFileSync(path, plain);
    await alice.ok(['send', 'bob', '--file', path, 'across nodes']);
    const message = (await bob.ok(['sync'])).find((r) => r.type === 'message' && r.body === 'across nodes') as { messageId: string } | undefined;
    assert.ok(message, 'bob has the file message');
    const target = join(dir.path, 'bob-files');
    mkdirSync(target);
    await bob.ok(['save', message.messageId, target]);
    assert.ok(readFileSync(join(target, 'minutes.bin')).equals(plain), 'the same bytes, through nginx');
    // The ciphertext itself, from each node directly: the same bytes everywhere.
    const client = await openNodeClient({ profileDir: bob.profile, logLevel: 'silent', reconnect: false });
    try {
      const stored = await client.listMessages((await client.listConversations()).find((c) => c.kind === 'direct' && c.name === 'alice')!.groupId);
      const attachment = attachmentOf(stored.find((m) => m.body === 'across nodes')!)!;
      const id = Buffer.from(attachment.blobId).toString('hex');
      const copies = await Promise.all(nodes.map(async (n) => Buffer.from(await (await fetch(`${n.url}/v1/blobs/${id}`)).arrayBuffer())));
      for (const copy of copies) assert.ok(copy.equals(copies[0]!) && copy.byteLength > plain.byteLength, 'each node serves the whole ciphertext');
    } finally {
      await client.close();
    }
  });

  test('a node that loses NATS tells its members, who reconnect through nginx to the other nodes', async () => {
    const listeners = [alice, bob, carol].map((m) => {
      const child = m.spawn(['listen']);
      const state = { out: '' };
      child.stdout!.on('data', (c: Buffer) => (state.out += c.toString()));
      return { member: m, child, state };
    });
    const until = async (what: string, probe: () => Promise<boolean> | boolean, ms = 30_000) => {
      const deadline = Date.now() + ms;
      while (!(await probe())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(await connectionsPerNode())}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      await until('three listeners connected', () => listeners.every((l) => l.state.out.includes('"state":"ready"')));
      // Exactly the three listeners, one of them on node 0: a one-shot sender of the test before may
      // still be closing there, and counted alone it would leave no listener to move.
      await until('the three listeners alone connected, one on node 0', async () => {
        const counts = await connectionsPerNode();
        return counts[0]! > 0 && counts.reduce((sum, n) => sum + n, 0) === 3;
      });
      const before = listeners.map((l) => (l.state.out.match(/"state":"ready"/g) ?? []).length);
      await relay.cut();
      // Grace period (10 s), then node 0 closes its members; they come back through nginx elsewhere.
      // A node counts a connection from its upgrade, before the member's hello is done: wait for the
      // member's own word that it is ready again, not only for the counts.
      const reconnected = () => listeners.filter((l, i) => (l.state.out.match(/"state":"ready"/g) ?? []).length > before[i]!);
      await until('node 0 empty and its members ready elsewhere', async () => {
        const counts = await connectionsPerNode();
        return counts[0] === 0 && counts[1]! + counts[2]! >= 3 && reconnected().length >= 1;
      });
      assert.ok(reconnected().length >= 1, 'at least one member was moved off node 0');
      assert.equal((await fetch(`${nodes[0]!.url}/healthz`)).status, 503, 'node 0 reports itself unavailable');
      // Everyone is still reachable, live.
      await alice.ok(['send', 'bob', 'after the outage']);
      await until('bob got it live', () => listeners[1]!.state.out.includes('after the outage'));
    } finally {
      for (const l of listeners) l.child.kill('SIGINT');
      await Promise.all(listeners.map((l) => new Promise((r) => (l.child.exitCode !== null ? r(undefined) : l.child.once('exit', r)))));
      await relay.restore();
    }
    await until('node 0 healthy again', async () => (await fetch(`${nodes[0]!.url}/healthz`)).status === 200);
    await bob.ok(['sync']);
    await alice.ok(['sync']);
    await carol.ok(['sync']);
  });

  /**
   * Streams `total` messages alice -> bob through nginx and runs `fault` once
   * `faultAfter` of them were acknowledged; then checks, from bob's side, that
   * every acknowledged message arrived exactly once.
   */
  async function streamThroughFault(tag: string, total: number, faultAfter: number, fault: () => Promise<void>): Promise<void> {
    const sender = alice.spawn(['send', 'bob', '--stdin', '--window', '16']);
    const acked = new Set<string>();
    let stderr = '';
    let faulted = false;
    sender.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const faultDone = new Promise<void>((resolve, reject) => {
      onJsonLines(sender.stdout!, (record) => {
        if (record.type === 'ack' && record.text) acked.add(record.text);
        if (acked.size >= faultAfter && !faulted) {
          faulted = true;
          fault().then(resolve, reject);
        }
      });
    });
    const exited = new Promise<number>((resolve) => sender.on('exit', (code) => resolve(code ?? -1)));
    sender.stdin!.end(Array.from({ length: total }, (_, i) => `${tag} ${i}`).join('\n') + '\n');
    // A sender that ends before the fault would leave the test waiting for it forever: say why instead.
    const endedEarly = exited.then((code) => {
      if (!faulted) throw new Error(`the sender exited (${code}) after ${acked.size} of ${faultAfter} acks, before the ${tag} fault: ${stderr}`);
    });
    await Promise.race([faultDone, endedEarly]);
    await faultDone;
    assert.equal(await exited, 0, `sender failed during ${tag}: ${stderr}`);
    const received = messagesOf(await bob.ok(['sync'], { timeoutMs: 120_000 })).map((m) => m.body).filter((b) => b.startsWith(`${tag} `));
    assertExactlyOnce(received, acked, total);
  }

  test('kill -9 of a node during a stream: members reconnect through nginx; nothing acknowledged is lost or shown twice', async () => {
    let killed = -1;
    await streamThroughFault('kill', 600, 150, async () => {
      // The node holding the sender's connection: the only member connected now.
      killed = (await connectionsPerNode()).findIndex((c) => c > 0);
      assert.ok(killed >= 0, 'a node holding a member was found');
      await nodes[killed]!.kill9();
    });
    await nodes[killed]!.spawn();
  });

  test('NATS restarts, then PostgreSQL restarts, during traffic: service recovers, nothing acknowledged is lost', async () => {
    // The sender needs only PostgreSQL and can finish while the nodes are still reconnecting to NATS.
    await streamThroughFault('nats', 300, 100, async () => {
      await nats.restart();
      await everyNodeReady();
    });
    await streamThroughFault('pg', 300, 100, () => restartPostgres());
  });
});

function assertExactlyOnce(received: string[], acked: Set<string>, total: number): void {
  const counts = new Map<string, number>();
  for (const body of received) counts.set(body, (counts.get(body) ?? 0) + 1);
  assert.deepEqual([...counts].filter(([, n]) => n > 1), [], 'no message shown twice');
  assert.deepEqual([...acked].filter((t) => !counts.has(t)), [], 'every acknowledged message delivered');
  assert.equal(acked.size, total, 'every message was finally acknowledged');
  assert.equal(received.length, total);
}

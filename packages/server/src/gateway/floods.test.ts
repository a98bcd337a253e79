/**
 * @module gateway/floods.test
 * Floods over a real server and real WebSockets, with small bounds so each takes a moment: requests
 * before hello, a client that stops reading, a slow reader that catches up.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { create, ErrorCode, FrameType, ListContactsSchema, NoticeKind } from '@sotto/protocol';
import { startServer, type RunningServer } from '../server.js';
import { CloseCode } from './close-codes.js';
import { DEFAULT_FLOOD_LIMITS } from './flood-guard.js';
import { errorOf, fillOfflineMailbox, makeIdentity, resultOf, WireClient } from './wire-client.js';
import type { BacklogLimits } from './write-backlog.js';

const name = (prefix: string): string => `${prefix}${randomBytes(4).toString('hex')}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Small enough that a few hundred KiB of deliveries fill it, once the kernel's buffers are full. */
const BACKLOG: BacklogLimits = { maxBytes: 256 * 1024, resumeBytes: 64 * 1024, maxFrames: 64, resumeFrames: 16, stallMs: 2_000 };

describe('floods', () => {
  let dir: string;
  let server: RunningServer;
  const clients: WireClient[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sotto-floods-'));
    server = await startServer({ dataDir: dir, port: 0, logLevel: 'silent', rateLimits: false, syncMode: 'NORMAL' }, { backlogLimits: BACKLOG });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function connect(): Promise<WireClient> {
    const client = await WireClient.connect(server.url, { timeoutMs: 10_000 });
    clients.push(client);
    return client;
  }

  async function metric(get: () => Promise<{ values: { labels: Partial<Record<string, string | number>>; value: number }[] }>, label?: string): Promise<number> {
    const { values } = await get();
    return values.filter((v) => label === undefined || Object.values(v.labels).includes(label)).reduce((sum, v) => sum + v.value, 0);
  }

  /**
   * Two members in one group, and `count` deliveries of 60 KiB waiting for the reader while it is
   * offline; then the reader logs in and stops reading at once. A pass of the mailbox pump writes
   * up to 200 entries at a time: far more than the kernel's socket buffers (~10 MiB on loopback)
   * and the backlog hold.
   */
  async function readerWithWaitingMail(count: number): Promise<{ sender: WireClient; reader: WireClient }> {
    const sender = await connect();
    const first = await connect();
    const [s, r] = [name('sender'), name('reader')];
    const identity = makeIdentity();
    await sender.register(s, makeIdentity());
    const { deviceId } = await first.register(r, identity);
    await sender.nextNotice(NoticeKind.MAILBOX_DRAINED);
    await first.nextNotice(NoticeKind.MAILBOX_DRAINED);
    await fillOfflineMailbox(sender, s, { client: first, username: r, deviceId }, count);
    const reader = await connect();
    await reader.login(r, deviceId, identity);
    reader.socket.pause();
    return { sender, reader };
  }

  test('requests before hello: a handful are answered NOT_AUTHENTICATED, then the connection is closed with 4004', async () => {
    const before = await metric(() => server.metrics.floodCloses.get(), 'refusals');
    const client = await connect();
    const burst = DEFAULT_FLOOD_LIMITS.refusalsBeforeHello.burst;
    const ids = Array.from({ length: burst + 10 }, () => {
      const id = client.allocateId();
      client.sendFrame(FrameType.LIST_CONTACTS, id, create(ListContactsSchema, {}));
      return id;
    });
    for (const id of ids.slice(0, burst)) errorOf(await client.response(id), ErrorCode.NOT_AUTHENTICATED);
    assert.equal((await client.closed).code, CloseCode.FLOODING);
    assert.equal(client.answered.length, burst + 1, 'the one too many is answered too; nothing after it');
    assert.equal(await metric(() => server.metrics.floodCloses.get(), 'refusals'), before + 1);
  });

  test('a client that stops reading gets nothing past its backlog, and is closed with 4004 once nothing leaves for stallMs', async () => {
    const fullBefore = await metric(() => server.metrics.backlogFull.get());
    const stalledBefore = await metric(() => server.metrics.floodCloses.get(), 'stalled');
    const deliveredBefore = await metric(() => server.metrics.mailboxDeliveries.get());
    const { sender, reader } = await readerWithWaitingMail(300);
    const started = performance.now();
    while ((await metric(() => server.metrics.floodCloses.get(), 'stalled')) === stalledBefore && performance.now() - started < 10_000) await sleep(50);
    assert.ok((await metric(() => server.metrics.backlogFull.get())) > fullBefore, 'the backlog filled');
    assert.equal(await metric(() => server.metrics.floodCloses.get(), 'stalled'), stalledBefore + 1, 'closed as stalled');
    // The pump stopped at the bound: most of the mailbox was never written to the socket.
    const delivered = (await metric(() => server.metrics.mailboxDeliveries.get())) - deliveredBefore;
    assert.ok(delivered < 250, `${delivered} of 300 entries written to a client that read none`);
    reader.socket.resume();
    const closed = await reader.closed;
    assert.ok(closed.code === CloseCode.FLOODING || closed.code === 1006, `closed with ${closed.code}`);
    // The sender was never held up by the reader.
    resultOf(await sender.request(FrameType.LIST_CONTACTS, {}), 'listContacts');
  });

  test('a slow reader is paused, not dropped: what it asked for while full is answered in order once it reads', async () => {
    const fullBefore = await metric(() => server.metrics.backlogFull.get());
    const { reader } = await readerWithWaitingMail(300);
    const started = performance.now();
    while ((await metric(() => server.metrics.backlogFull.get())) === fullBefore && performance.now() - started < 10_000) await sleep(20);
    assert.ok((await metric(() => server.metrics.backlogFull.get())) > fullBefore, 'the backlog filled');
    // Requests written while the server is not reading: they wait in order, none is lost.
    const ids = Array.from({ length: 50 }, () => {
      const id = reader.allocateId();
      reader.sendFrame(FrameType.LIST_CONTACTS, id, create(ListContactsSchema, {}));
      return id;
    });
    await sleep(200);
    reader.socket.resume();
    for (const id of ids) resultOf(await reader.response(id), 'listContacts');
    assert.deepEqual(reader.answered.filter((id) => ids.includes(id)), ids);
    const deliveries = await reader.deliveries(300);
    assert.ok(deliveries.every((d, i) => i === 0 || d.seq > deliveries[i - 1]!.seq), 'deliveries in mailbox order');
    reader.ack(deliveries.map((d) => d.seq));
  });
});

/** @module in-memory-server.test */
// The protocol session over in-memory links, driven by the same WireClient as the ws tests: the
// behaviours that depend on the socket (close codes, takeover, backpressure to a stalled reader)
// hold without a network.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ContactAction, ErrorCode, FrameType, NoticeKind } from '@sotto/protocol';
import { CloseCode } from './gateway/close-codes.js';
import { errorOf, fillOfflineMailbox, makeIdentity, resultOf, WireClient } from './gateway/wire-client.js';
import type { BacklogLimits } from './gateway/write-backlog.js';
import { startInMemoryServer, type InMemoryServer } from './in-memory-server.js';

/** Small, so a handful of 60 KiB deliveries fill it; a short stall, so the test is quick. */
const BACKLOG: BacklogLimits = { maxBytes: 256 * 1024, resumeBytes: 64 * 1024, maxFrames: 64, resumeFrames: 16, stallMs: 300 };

describe('in-memory server', () => {
  let server: InMemoryServer;
  const clients: WireClient[] = [];
  let names = 0;
  const name = (prefix: string) => `${prefix}${(names += 1)}`;

  before(() => {
    server = startInMemoryServer({ config: { rateLimits: false }, backlogLimits: BACKLOG });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
    assert.equal(server.connections, 0, 'every connection closed');
  });

  async function connect(): Promise<WireClient> {
    const client = await WireClient.connectOver(server.transport, server.url);
    clients.push(client);
    return client;
  }

  test('a client anywhere else is refused, as an unknown host would be', async () => {
    await assert.rejects(WireClient.connectOver(server.transport, 'http://elsewhere.example'), /No in-memory server/);
  });

  test('register, contact request and answer, over in-memory links', async () => {
    const [a, b] = [await connect(), await connect()];
    const [an, bn] = [name('alice'), name('bob')];
    await a.register(an, makeIdentity());
    await b.register(bn, makeIdentity());
    resultOf(await a.request(FrameType.CONTACT_REQUEST, { toUsername: bn, text: 'hi' }), 'ok');
    const request = await b.nextDelivery();
    b.ack([request.seq]);
    resultOf(await b.request(FrameType.CONTACT_RESPOND, { username: an, action: ContactAction.ACCEPT }), 'ok');
    assert.ok((await a.nextDelivery()).seq > 0n, 'alice hears the acceptance');
  });

  test('a text message is refused as FRAME_MALFORMED and the connection carries on', async () => {
    const client = await connect();
    client.sendRaw('not a frame');
    errorOf(await client.response(0), ErrorCode.FRAME_MALFORMED);
    await client.register(name('texter'), makeIdentity());
  });

  test("a newer connection of the device takes over: the older is told and closed with REPLACED", async () => {
    const identity = makeIdentity();
    const first = await connect();
    const username = name('twice');
    const { deviceId } = await first.register(username, identity);
    const second = await connect();
    await second.login(username, deviceId, identity);
    assert.equal((await first.nextNotice(NoticeKind.REPLACED)).kind, NoticeKind.REPLACED);
    assert.equal((await first.closed).code, CloseCode.REPLACED);
  });

  test('a client that stops reading fills its backlog and is closed with 4004 once nothing leaves', async () => {
    const [sender, first] = [await connect(), await connect()];
    const [s, r] = [name('sender'), name('reader')];
    const identity = makeIdentity();
    await sender.register(s, makeIdentity());
    const { deviceId } = await first.register(r, identity);
    await fillOfflineMailbox(sender, s, { client: first, username: r, deviceId }, 40);

    const fullBefore = (await server.metrics.backlogFull.get()).values.reduce((sum, v) => sum + v.value, 0);
    const reader = await connect();
    await reader.login(r, deviceId, identity);
    reader.socket.pause();
    const closed = await reader.closed;
    assert.ok(closed.code === CloseCode.FLOODING || closed.code === 1006, `closed with ${closed.code}`);
    assert.ok((await server.metrics.backlogFull.get()).values.reduce((sum, v) => sum + v.value, 0) > fullBefore, 'the backlog filled');
    const delivered = (await server.metrics.mailboxDeliveries.get()).values.reduce((sum, v) => sum + v.value, 0);
    assert.ok(delivered < 40 + 10, `the pump stopped at the bound (${delivered} deliveries in all)`);
    // The sender was never held up by the reader.
    resultOf(await sender.request(FrameType.LIST_CONTACTS, {}), 'listContacts');
  });
});

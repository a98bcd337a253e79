/** @module gateway/http-gateway.test HTTP routes, upgrades, shutdown, rate limits, hello timeout, invites and admin. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { connect, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { create, ErrorCode, FrameType, ListContactsSchema, NoticeKind } from '@sotto/protocol';
import { openAdmin } from '../admin.js';
import { startServer, type RunningServer } from '../server.js';
import { CloseCode } from './close-codes.js';
import { errorOf, makeIdentity, resultOf, WireClient } from './wire-client.js';

const name = (): string => `u${randomBytes(4).toString('hex')}`;

/** A raw TCP connection that sends nothing; resolves once connected. */
function holdSocket(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Opens one more socket and resolves true once the server closed it (refused it at the door). */
async function refusedAtTheDoor(host: string, port: number): Promise<boolean> {
  const socket = await holdSocket(host, port);
  socket.on('error', () => undefined);
  return new Promise((resolve) => socket.once('close', () => resolve(true)));
}

/** An IPv4 address of this machine that is not loopback, if it has one. */
function outsideAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
}

describe('http gateway', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sotto-http-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function withServer(options: Parameters<typeof startServer>[1], body: (server: RunningServer) => Promise<void>, config = {}): Promise<void> {
    const server = await startServer({ dataDir: join(dir, randomBytes(4).toString('hex')), port: 0, logLevel: 'silent', ...config }, options);
    try {
      await body(server);
    } finally {
      await server.close();
    }
  }

  test('only /v1/ws upgrades to a WebSocket; other paths are 404 NOT_FOUND', async () => {
    await withServer({}, async (server) => {
      const socket = new WebSocket(`${server.wsUrl.replace('/v1/ws', '/other')}`);
      const status = await new Promise<number>((resolve) => {
        socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
        socket.on('error', () => resolve(-1));
      });
      assert.equal(status, 404);
      const missing = await fetch(`${server.url}/no/such/path`);
      assert.equal(missing.status, 404);
      assert.deepEqual(await missing.json(), { error: { code: 'NOT_FOUND', message: 'Nothing is served at this path.' } });
    });
  });

  test('closing the server sends SHUTTING_DOWN, closes sockets with 1001 and stops listening', async () => {
    let url = '';
    let client: WireClient | undefined;
    await withServer({}, async (server) => {
      url = server.url;
      client = await WireClient.connect(server.url);
      await client.register(name(), makeIdentity());
      await client.nextNotice(NoticeKind.MAILBOX_DRAINED);
      const unauthenticated = await WireClient.connect(server.url);
      const closing = server.close();
      assert.equal((await client.nextNotice(NoticeKind.SHUTTING_DOWN)).kind, NoticeKind.SHUTTING_DOWN);
      assert.equal((await client.closed).code, CloseCode.GOING_AWAY);
      assert.equal((await unauthenticated.closed).code, CloseCode.GOING_AWAY);
      await closing;
    });
    await assert.rejects(fetch(`${url}/healthz`));
  });

  test('over its frame rate a client gets one RATE_LIMITED a second, the rest unanswered, and can go on once the bucket refills', async () => {
    await withServer({ rateLimit: { perSecond: 20, burst: 3 } }, async (server) => {
      const client = await WireClient.connect(server.url);
      const ids = Array.from({ length: 6 }, () => {
        const id = client.allocateId();
        client.sendFrame(FrameType.LIST_CONTACTS, id, create(ListContactsSchema, {}));
        return id;
      });
      for (const id of ids.slice(0, 3)) errorOf(await client.response(id), ErrorCode.NOT_AUTHENTICATED);
      const limited = errorOf(await client.response(ids[3]!), ErrorCode.RATE_LIMITED);
      assert.equal(limited.retryAfterMs, 1000);
      const dropped = await server.metrics.answersDropped.get();
      assert.deepEqual(dropped.values.map((v) => [v.labels.code, v.value]), [['RATE_LIMITED', 2]]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      errorOf(await client.request(FrameType.LIST_CONTACTS, {}), ErrorCode.NOT_AUTHENTICATED);
      assert.ok(!client.answered.includes(ids[4]!) && !client.answered.includes(ids[5]!), 'the dropped frames got no answer');
      await client.close();
    });
  });

  test('sockets past the total cap are closed at once; one closing makes room', async () => {
    await withServer(
      {},
      async (server) => {
        const held = await Promise.all(Array.from({ length: 3 }, () => holdSocket('127.0.0.1', server.port)));
        assert.equal(await refusedAtTheDoor('127.0.0.1', server.port), true);
        assert.equal((await server.metrics.connectionsRefused.get()).values.find((v) => v.labels.reason === 'total')?.value, 1);
        held[0]!.destroy();
        await new Promise((resolve) => setTimeout(resolve, 50));
        const again = await holdSocket('127.0.0.1', server.port);
        // The server takes connections in order: once the next is refused, this one was admitted.
        assert.equal(await refusedAtTheDoor('127.0.0.1', server.port), true);
        assert.equal(again.destroyed, false, 'a freed place can be taken again');
        for (const socket of [...held, again]) socket.destroy();
      },
      { maxConnections: 3 },
    );
  });

  test('a peer that is not loopback holds its share of sockets and no more', async (t) => {
    const host = outsideAddress();
    if (!host) return t.skip('this machine has no IPv4 address but loopback');
    const server = await startServer({ dataDir: join(dir, randomBytes(4).toString('hex')), host, port: 0, logLevel: 'silent', maxConnectionsPerAddress: 3 });
    try {
      const held = await Promise.all(Array.from({ length: 3 }, () => holdSocket(host, server.port)));
      assert.equal(await refusedAtTheDoor(host, server.port), true);
      assert.equal((await server.metrics.connectionsRefused.get()).values.find((v) => v.labels.reason === 'address')?.value, 1);
      assert.ok(held.every((socket) => !socket.destroyed), 'the three within the share stay');
      held[0]!.destroy();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const again = await holdSocket(host, server.port);
      assert.equal(await refusedAtTheDoor(host, server.port), true);
      assert.equal(again.destroyed, false, 'a freed place can be taken again');
      for (const socket of [...held, again]) socket.destroy();
    } finally {
      await server.close();
    }
  });

  test('a connection without a hello in time is closed', async () => {
    await withServer({ helloTimeoutMs: 50 }, async (server) => {
      const idle = await WireClient.connect(server.url);
      assert.equal((await idle.closed).code, CloseCode.HELLO_TIMEOUT);
      const prompt = await WireClient.connect(server.url);
      await prompt.register(name(), makeIdentity());
      await new Promise((resolve) => setTimeout(resolve, 100));
      resultOf(await prompt.request(FrameType.LIST_CONTACTS, {}), 'listContacts');
      await prompt.close();
    });
  });

  test('an invite-only server needs an invite made by the admin, each usable once', async () => {
    await withServer(
      {},
      async (server) => {
        const client = await WireClient.connect(server.url);
        assert.equal(client.challenge.inviteRequired, true);
        errorOf(await client.hello(client.registerHello(name(), makeIdentity())), ErrorCode.INVITE_REQUIRED);
        const admin = await openAdmin(server.config.dataDir);
        try {
          const inviteCode = await admin.createInvite(1);
          await client.register(name(), makeIdentity(), { inviteCode });
          const other = await WireClient.connect(server.url);
          errorOf(await other.hello(other.registerHello(name(), makeIdentity(), { inviteCode })), ErrorCode.INVITE_REQUIRED);
          assert.equal((await admin.listUsers()).length, 1);
          await other.close();
        } finally {
          await admin.close();
        }
        resultOf(await client.request(FrameType.LIST_CONTACTS, {}), 'listContacts');
        await client.close();
      },
      { inviteOnly: true },
    );
  });

  test('the admin can turn invite-only on at run time and set the minimum version', async () => {
    await withServer({}, async (server) => {
      const admin = await openAdmin(server.config.dataDir);
      try {
        await admin.setInviteOnly(true);
        await admin.setMinVersion('0.0.9');
        assert.equal(await admin.getMinVersion(), '0.0.9');
        await assert.rejects(admin.setMinVersion('soon'), /MAJOR\.MINOR\.PATCH/);
        const client = await WireClient.connect(server.url);
        assert.equal(client.challenge.inviteRequired, true);
        assert.equal(client.challenge.minClientVersion, '0.0.9');
        await client.close();
        await admin.setMinVersion('');
        assert.equal(await admin.getMinVersion(), undefined);
      } finally {
        await admin.close();
      }
    });
  });

  test('the admin refuses a data directory without a database', async () => {
    await assert.rejects(openAdmin(join(dir, 'missing')), /No Sotto database/);
  });
});

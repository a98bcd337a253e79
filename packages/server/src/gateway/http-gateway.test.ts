/** @module gateway/http-gateway.test HTTP routes, upgrades, shutdown, rate limits, hello timeout, invites and admin. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { ErrorCode, FrameType, NoticeKind } from '@sotto/protocol';
import { openAdmin } from '../admin.js';
import { startServer, type RunningServer } from '../server.js';
import { CloseCode } from './close-codes.js';
import { errorOf, makeIdentity, resultOf, TestClient } from './test-client.js';

const name = (): string => `u${randomBytes(4).toString('hex')}`;

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

  test('only /v1/ws upgrades to a WebSocket', async () => {
    await withServer({}, async (server) => {
      const socket = new WebSocket(`${server.wsUrl.replace('/v1/ws', '/other')}`);
      const status = await new Promise<number>((resolve) => {
        socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
        socket.on('error', () => resolve(-1));
      });
      assert.equal(status, 404);
    });
  });

  test('closing the server sends SHUTTING_DOWN, closes sockets with 1001 and stops listening', async () => {
    let url = '';
    let client: TestClient | undefined;
    await withServer({}, async (server) => {
      url = server.url;
      client = await TestClient.connect(server.url);
      await client.register(name(), makeIdentity());
      await client.nextNotice(NoticeKind.MAILBOX_DRAINED);
      const unauthenticated = await TestClient.connect(server.url);
      const closing = server.close();
      assert.equal((await client.nextNotice(NoticeKind.SHUTTING_DOWN)).kind, NoticeKind.SHUTTING_DOWN);
      assert.equal((await client.closed).code, CloseCode.GOING_AWAY);
      assert.equal((await unauthenticated.closed).code, CloseCode.GOING_AWAY);
      await closing;
    });
    await assert.rejects(fetch(`${url}/healthz`));
  });

  test('a client over its frame rate gets RATE_LIMITED and can go on once the bucket refills', async () => {
    await withServer({ rateLimit: { perSecond: 20, burst: 3 } }, async (server) => {
      const client = await TestClient.connect(server.url);
      const responses = await Promise.all(Array.from({ length: 6 }, () => client.request(FrameType.LIST_CONTACTS, {})));
      const limited = responses.filter((r) => r.result.case === 'error' && r.result.value.code === ErrorCode.RATE_LIMITED);
      assert.equal(limited.length, 3);
      await new Promise((resolve) => setTimeout(resolve, 100));
      errorOf(await client.request(FrameType.LIST_CONTACTS, {}), ErrorCode.NOT_AUTHENTICATED);
      await client.close();
    });
  });

  test('a connection without a hello in time is closed', async () => {
    await withServer({ helloTimeoutMs: 50 }, async (server) => {
      const idle = await TestClient.connect(server.url);
      assert.equal((await idle.closed).code, CloseCode.HELLO_TIMEOUT);
      const prompt = await TestClient.connect(server.url);
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
        const client = await TestClient.connect(server.url);
        assert.equal(client.challenge.inviteRequired, true);
        errorOf(await client.hello(client.registerHello(name(), makeIdentity())), ErrorCode.INVITE_REQUIRED);
        const admin = await openAdmin(server.config.dataDir);
        try {
          const inviteCode = await admin.createInvite(1);
          await client.register(name(), makeIdentity(), { inviteCode });
          const other = await TestClient.connect(server.url);
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
        const client = await TestClient.connect(server.url);
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

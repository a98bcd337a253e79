/** @module storage/postgres/postgres-server.test `startServer` selects PostgreSQL from `db`, and refuses to start without it. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ContactAction, FrameType } from '@sotto/protocol';
import { makeIdentity, resultOf, WireClient } from '../../gateway/wire-client.js';
import { startServer } from '../../server.js';
import { mailboxCounters } from '../../test-metrics.js';
import { StorageUnavailableError } from '../store.js';
import { describeWithPostgres, withTestSchema, type TestSchema } from './test-database.js';

const dir = mkdtempSync(join(tmpdir(), 'sotto-pg-server-'));
let schema: TestSchema | undefined;
after(async () => {
  await schema?.drop();
  rmSync(dir, { recursive: true, force: true });
});

await describeWithPostgres('startServer with db', () => {
  test('a postgres:// db runs the server on PostgreSQL', async () => {
    schema = await withTestSchema();
    const server = await startServer({ dataDir: join(dir, 'unused'), port: 0, logLevel: 'silent', db: schema.url });
    try {
      assert.equal(server.store.kind, 'postgres');
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
      await server.store.setSetting('probe', 'pg');
      assert.equal(await server.store.getSetting('probe'), 'pg');
    } finally {
      await server.close();
    }
    await assert.rejects(server.store.getSetting('probe'), StorageUnavailableError, 'the server closed the store it made');
  });

  test('a message to an online member is delivered as its notification carried it, without a mailbox read (/metrics)', async () => {
    schema ??= await withTestSchema();
    const server = await startServer({ dataDir: join(dir, 'unused'), port: 0, logLevel: 'silent', db: schema.url });
    const clients: WireClient[] = [];
    try {
      const member = async (name: string) => {
        const client = await WireClient.connect(server.url);
        clients.push(client);
        const { deviceId } = await client.register(name, makeIdentity());
        return { client, name, deviceId };
      };
      const suffix = randomBytes(3).toString('hex');
      const a = await member(`carrier_a_${suffix}`);
      const b = await member(`carrier_b_${suffix}`);
      resultOf(await a.client.request(FrameType.CONTACT_REQUEST, { toUsername: b.name, text: 'hi' }), 'ok');
      await b.client.nextDelivery();
      resultOf(await b.client.request(FrameType.CONTACT_RESPOND, { username: a.name, action: ContactAction.ACCEPT }), 'ok');
      const groupId = randomBytes(32);
      resultOf(await a.client.request(FrameType.CREATE_GROUP, { groupId, epoch: 1n, members: [{ username: b.name, deviceId: b.deviceId }], welcome: randomBytes(100) }), 'ok');
      await b.client.nextDelivery(); // the welcome
      const before = await mailboxCounters(server.url);
      resultOf(await a.client.request(FrameType.SEND, { groupId, messageId: randomBytes(16), payload: randomBytes(100) }), 'send');
      await b.client.nextDelivery();
      assert.deepEqual(await mailboxCounters(server.url), { carried: before.carried + 1, reads: before.reads });
    } finally {
      for (const client of clients) await client.close();
      await server.close();
    }
  });
});


test('an unreachable db makes startServer reject with host, port and reason', async () => {
  await assert.rejects(
    startServer({ dataDir: dir, port: 0, logLevel: 'silent', db: 'postgres://sotto:hunter2@127.0.0.1:1/sotto' }),
    (error: unknown) =>
      error instanceof StorageUnavailableError &&
      /^cannot reach PostgreSQL at 127\.0\.0\.1:1: /.test(error.message) &&
      !error.message.includes('hunter2'),
  );
});

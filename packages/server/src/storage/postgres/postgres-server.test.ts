/** @module storage/postgres/postgres-server.test `startServer` selects PostgreSQL from `db`, and refuses to start without it. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../server.js';
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

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { defineClientStoreContract, defineClientStorePersistenceTest } from '@sotto/core/testing';
import { migrateClientDb, SqliteClientStore } from './sqlite-client-store.js';

defineClientStoreContract('sqlite', { test, assert }, async () => new SqliteClientStore(':memory:'));
defineClientStorePersistenceTest('sqlite', { test, assert }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sotto-client-'));
  return { open: async () => new SqliteClientStore(join(dir, 'client.db')), remove: async () => rmSync(dir, { recursive: true, force: true }) };
});

/** Runs `body` with a fresh directory for profile files, removed afterwards. */
async function withProfileDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sotto-client-'));
  try {
    await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('client migrations apply once and create every table and column', () => {
  const db = new Database(':memory:');
  assert.deepEqual(migrateClientDb(db), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(migrateClientDb(db), []);
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
  for (const t of ['identity', 'key_packages', 'conversations', 'messages', 'contacts', 'outbox', 'pins', 'cursor', 'call_log', 'settings']) assert.ok(tables.includes(t), t);
  // 0002: a conversation's change awaiting the server's answer.
  const columns = (db.prepare('PRAGMA table_info(conversations)').all() as { name: string }[]).map((c) => c.name);
  for (const c of ['pending_kind', 'pending_state', 'pending_request']) assert.ok(columns.includes(c), c);
  // 0004: contacts remember a request through the contact link.
  assert.ok((db.prepare('PRAGMA table_info(contacts)').all() as { name: string }[]).some((c) => c.name === 'via_link'));
  // 0005: a message keeps its file's descriptor.
  assert.ok((db.prepare('PRAGMA table_info(messages)').all() as { name: string }[]).some((c) => c.name === 'attachment'));
});

test('the profile database is private to its owner and batches are atomic', () =>
  withProfileDir(async (dir) => {
    const path = join(dir, 'client.db');
    const store = new SqliteClientStore(path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    await store.apply({ lastSeq: 7n, outboxAdd: [{ messageId: 'm1', groupId: 'g', payload: new Uint8Array([1]), createdAt: 1 }] });
    await assert.rejects(store.apply({ lastSeq: 9n, messages: [{ messageId: 'x', groupId: 'g', sender: 's', senderDevice: 'd', body: 'b', sentAt: 1, receivedAt: 1, outgoing: false, status: 'bogus' as never }], conversations: [null as never] }));
    assert.equal(await store.getLastSeq(), 7n, 'a failed batch changes nothing');
    assert.equal((await store.listOutbox()).length, 1);
    await store.close();
  }));


import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { migrateClientDb, SqliteClientStore } from './sqlite-client-store.js';

test('client migrations apply once and create every table', () => {
  const db = new Database(':memory:');
  assert.deepEqual(migrateClientDb(db), [1, 2, 3]);
  assert.deepEqual(migrateClientDb(db), []);
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
  for (const t of ['identity', 'key_packages', 'conversations', 'messages', 'contacts', 'outbox', 'pins', 'cursor', 'call_log', 'settings']) assert.ok(tables.includes(t), t);
});

test('the call log keeps one line per call and direction, oldest first; settings persist', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sotto-client-'));
  try {
    const store = new SqliteClientStore(join(dir, 'client.db'));
    const entry = { callId: 'c1', peer: 'bob', direction: 'outgoing' as const, outcome: 'answered' as const, durationMs: 3000, endedAt: 1 };
    await store.apply({ callLog: [entry, { ...entry, callId: 'c2', outcome: 'declined', durationMs: 0, endedAt: 2 }] });
    await store.apply({ callLog: [{ ...entry, outcome: 'failed' }] });
    assert.deepEqual((await store.listCallLog(10)).map((e) => [e.callId, e.outcome]), [['c1', 'answered'], ['c2', 'declined']]);
    assert.deepEqual((await store.listCallLog(1)).map((e) => e.callId), ['c2']);
    assert.equal((await store.getSettings()).relayOnlyCalls, false);
    await store.apply({ settings: { relayOnlyCalls: true } });
    assert.equal((await store.getSettings()).relayOnlyCalls, true);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the profile database is private to its owner and batches are atomic', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sotto-client-'));
  try {
    const path = join(dir, 'client.db');
    const store = new SqliteClientStore(path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    await store.apply({ lastSeq: 7n, outboxAdd: [{ messageId: 'm1', groupId: 'g', payload: new Uint8Array([1]), createdAt: 1 }] });
    await assert.rejects(store.apply({ lastSeq: 9n, messages: [{ messageId: 'x', groupId: 'g', sender: 's', senderDevice: 'd', body: 'b', sentAt: 1, receivedAt: 1, outgoing: false, status: 'bogus' as never }], conversations: [null as never] }));
    assert.equal(await store.getLastSeq(), 7n, 'a failed batch changes nothing');
    await store.apply({ lastSeq: 3n });
    assert.equal(await store.getLastSeq(), 7n, 'the high-water mark never goes back');
    assert.equal((await store.listOutbox()).length, 1);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('message statuses only move forward', async () => {
  const store = new SqliteClientStore(':memory:');
  const message = { messageId: 'm', groupId: 'g', sender: 'a', senderDevice: 'd', body: 'hi', sentAt: 1, receivedAt: 1, outgoing: true, status: 'pending' as const };
  await store.apply({ messages: [message] });
  await store.apply({ statuses: [{ messageId: 'm', status: 'delivered' }] });
  await store.apply({ statuses: [{ messageId: 'm', status: 'sent' }] });
  assert.equal((await store.getMessage('m'))?.status, 'delivered');
});

test('client migration 0002 adds pending changes, and they round-trip', async () => {
  const db = new Database(':memory:');
  migrateClientDb(db);
  const columns = (db.prepare('PRAGMA table_info(conversations)').all() as { name: string }[]).map((c) => c.name);
  for (const c of ['pending_kind', 'pending_state', 'pending_request']) assert.ok(columns.includes(c), c);
  const store = new SqliteClientStore(':memory:');
  const conversation = { groupId: 'g', kind: 'group' as const, name: 'n', state: new Uint8Array([1]), epoch: 3n, createdAt: 1, active: true };
  await store.apply({ conversations: [{ ...conversation, pending: { kind: 'commit', state: new Uint8Array([2]), request: new Uint8Array([3]) } }] });
  assert.deepEqual((await store.getConversation('g'))?.pending, { kind: 'commit', state: new Uint8Array([2]), request: new Uint8Array([3]) });
  await store.apply({ conversations: [{ ...conversation, pending: undefined }] });
  assert.equal((await store.getConversation('g'))?.pending, undefined);
});

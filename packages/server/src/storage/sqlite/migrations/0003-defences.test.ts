import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { migrateSqlite } from './migration.js';
import { migration0001 } from './0001-initial.js';
import { migration0002 } from './0002-group-creator.js';
import { migration0003 } from './0003-defences.js';

const columns = (db: Database.Database, table: string): string[] =>
  (db.prepare(`SELECT name FROM pragma_table_info('${table}') ORDER BY cid`).all() as { name: string }[]).map((r) => r.name);

test('0003 adds the defence columns and tables; rows from before get the defaults', () => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrateSqlite(db, [migration0001, migration0002]);
  db.prepare('INSERT INTO accounts (id, username, created_at) VALUES (1, ?, 1), (2, ?, 1)').run('a', 'b');
  db.prepare('INSERT INTO contacts (owner_id, peer_id, state, updated_at) VALUES (1, 2, 1, 1)').run();
  assert.deepEqual(migrateSqlite(db, [migration0001, migration0002, migration0003]), [3]);
  assert.deepEqual(migrateSqlite(db, [migration0001, migration0002, migration0003]), []);
  assert.deepEqual(db.prepare('SELECT restricted, lockdown, lockdown_refused FROM accounts WHERE id = 1').get(), { restricted: 0, lockdown: 0, lockdown_refused: 0 });
  assert.deepEqual(db.prepare('SELECT via_link FROM contacts').get(), { via_link: 0 });
  assert.deepEqual(columns(db, 'anomalies'), ['reporter_username', 'reporter_device', 'sender_username', 'sender_device', 'target', 'kind', 'count', 'at']);
  assert.deepEqual(columns(db, 'incidents'), ['id', 'rule', 'opened_at', 'updated_at', 'status', 'subjects', 'targets', 'evidence', 'note']);
  assert.deepEqual(columns(db, 'audit_log'), ['id', 'at', 'actor', 'action', 'target', 'detail']);
  assert.deepEqual(columns(db, 'contact_links'), ['account_id', 'token_hash', 'expires_at', 'created_at']);
  const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map((r) => r.name);
  for (const index of ['anomalies_by_sender', 'anomalies_by_reporter', 'anomalies_by_target', 'incidents_by_opened', 'contact_links_by_account', 'group_members_by_device']) {
    assert.ok(indexes.includes(index), index);
  }
  // Audit ids keep counting up, and a link belongs to an existing account and is unique by its hash.
  db.prepare("INSERT INTO audit_log (at, actor, action, target, detail) VALUES (1, 'server', 'restrict', 'a', '')").run();
  assert.equal((db.prepare('SELECT id FROM audit_log').get() as { id: number }).id, 1);
  db.prepare('INSERT INTO contact_links (account_id, token_hash, expires_at, created_at) VALUES (1, ?, 2, 1)').run(Buffer.from('h'));
  assert.throws(() => db.prepare('INSERT INTO contact_links (account_id, token_hash, expires_at, created_at) VALUES (2, ?, 2, 1)').run(Buffer.from('h')), /UNIQUE/);
  assert.throws(() => db.prepare('INSERT INTO contact_links (account_id, token_hash, expires_at, created_at) VALUES (9, ?, 2, 1)').run(Buffer.from('x')), /FOREIGN KEY/);
  db.close();
});

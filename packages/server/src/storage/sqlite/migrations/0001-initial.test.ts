import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { migrateSqlite } from './migration.js';
import { migration0001 } from './0001-initial.js';

test('0001 creates every table and is applied once', () => {
  const db = new Database(':memory:');
  assert.deepEqual(migrateSqlite(db, [migration0001]), [1]);
  assert.deepEqual(migrateSqlite(db, [migration0001]), []);
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  for (const table of ['accounts', 'contacts', 'devices', 'group_members', 'groups', 'invites', 'key_packages', 'mailbox', 'sent_ids', 'settings']) {
    assert.ok(tables.includes(table), table);
  }
  db.close();
});

test('a failing migration leaves nothing behind', () => {
  const db = new Database(':memory:');
  migrateSqlite(db, [migration0001]);
  assert.throws(() => migrateSqlite(db, [migration0001, { version: 2, name: 'broken', up: 'CREATE TABLE t (x); SELECT nope FROM missing;' }]));
  assert.equal(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 't'").get() instanceof Object, true);
  assert.equal((db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 't'").get() as { n: number }).n, 0);
  assert.equal((db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number }).v, 1);
  db.close();
});

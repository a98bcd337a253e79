/** @module storage/sqlite/migrations/0008-group-admins.test Adds groups.admins; groups from before have none. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { migrateSqlite, SQLITE_MIGRATIONS } from './migration.js';
import { migration0008 } from './0008-group-admins.js';

test('0008 adds groups.admins; groups created before it have no admins', () => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  const before = SQLITE_MIGRATIONS.filter((m) => m.version < 8);
  migrateSqlite(db, before);
  db.prepare('INSERT INTO groups (group_id, epoch, created_at) VALUES (?, 3, 1)').run(Buffer.from('old'));
  assert.deepEqual(migrateSqlite(db, [...before, migration0008]), [8]);
  assert.deepEqual(migrateSqlite(db, [...before, migration0008]), []);
  assert.deepEqual(db.prepare('SELECT epoch, admins FROM groups').all(), [{ epoch: 3, admins: null }]);
  db.prepare('INSERT INTO groups (group_id, epoch, created_at, admins) VALUES (?, 1, 1, ?)').run(Buffer.from('new'), '["alice"]');
  assert.deepEqual(db.prepare('SELECT admins FROM groups WHERE group_id = ?').get(Buffer.from('new')), { admins: '["alice"]' });
  db.close();
});

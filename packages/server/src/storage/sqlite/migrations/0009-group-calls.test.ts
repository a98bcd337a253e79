/** @module storage/sqlite/migrations/0009-group-calls.test Adds the group_calls table, one record per group. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { migrateSqlite, SQLITE_MIGRATIONS } from './migration.js';
import { migration0009 } from './0009-group-calls.js';

test('0009 adds group_calls, one record per group', () => {
  const db = new Database(':memory:');
  const before = SQLITE_MIGRATIONS.filter((m) => m.version < 9);
  migrateSqlite(db, before);
  assert.deepEqual(migrateSqlite(db, [...before, migration0009]), [9]);
  assert.deepEqual(migrateSqlite(db, [...before, migration0009]), []);
  db.prepare('INSERT INTO group_calls (group_id, record, updated_at) VALUES (?, ?, 1)').run(Buffer.from('g'), '{}');
  assert.throws(() => db.prepare('INSERT INTO group_calls (group_id, record, updated_at) VALUES (?, ?, 2)').run(Buffer.from('g'), '{}'), /UNIQUE/);
  db.close();
});

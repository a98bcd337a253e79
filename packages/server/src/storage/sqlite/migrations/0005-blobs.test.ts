/** @module storage/sqlite/migrations/0005-blobs.test Adds the blobs table, keyed by blob id, owned by an account. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { migrateSqlite } from './migration.js';
import { migration0001 } from './0001-initial.js';
import { migration0002 } from './0002-group-creator.js';
import { migration0003 } from './0003-defences.js';
import { migration0004 } from './0004-linked-devices.js';
import { migration0005 } from './0005-blobs.js';

const columns = (db: Database.Database, table: string): string[] =>
  (db.prepare(`SELECT name FROM pragma_table_info('${table}') ORDER BY cid`).all() as { name: string }[]).map((r) => r.name);

test('0005 adds the blobs table', () => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  const before = [migration0001, migration0002, migration0003, migration0004];
  migrateSqlite(db, before);
  db.prepare("INSERT INTO accounts (id, username, created_at) VALUES (1, 'a', 1)").run();
  assert.deepEqual(migrateSqlite(db, [...before, migration0005]), [5]);
  assert.deepEqual(migrateSqlite(db, [...before, migration0005]), []);
  assert.deepEqual(columns(db, 'blobs'), ['blob_id', 'account_id', 'device_id', 'size', 'received', 'created_at', 'expires_at', 'completed_at']);
  const insert = db.prepare('INSERT INTO blobs (blob_id, account_id, device_id, size, created_at, expires_at) VALUES (?, ?, ?, 10, 1, 2)');
  insert.run(Buffer.from('b1'), 1, 'd1');
  assert.deepEqual(db.prepare('SELECT received, completed_at FROM blobs').get(), { received: 0, completed_at: null });
  assert.throws(() => insert.run(Buffer.from('b1'), 1, 'd1'), /UNIQUE|PRIMARY/);
  assert.throws(() => insert.run(Buffer.from('b2'), 9, 'd1'), /FOREIGN KEY/);
  db.close();
});

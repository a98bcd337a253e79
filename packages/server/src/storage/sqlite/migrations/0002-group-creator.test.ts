import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { migrateSqlite } from './migration.js';
import { migration0001 } from './0001-initial.js';
import { migration0002 } from './0002-group-creator.js';

test('0002 adds groups.creator_pk; groups created before it have no creator', () => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrateSqlite(db, [migration0001]);
  db.prepare('INSERT INTO groups (group_id, epoch, created_at) VALUES (?, ?, ?)').run(Buffer.from('old'), 3, 1);
  assert.deepEqual(migrateSqlite(db, [migration0001, migration0002]), [2]);
  assert.deepEqual(migrateSqlite(db, [migration0001, migration0002]), []);
  const row = db.prepare('SELECT epoch, creator_pk FROM groups WHERE group_id = ?').get(Buffer.from('old')) as { epoch: number; creator_pk: number | null };
  assert.deepEqual(row, { epoch: 3, creator_pk: null });
  db.prepare('INSERT INTO accounts (id, username, created_at) VALUES (1, ?, 1)').run('a');
  db.prepare('INSERT INTO devices (pk, account_id, device_id, identity_key, created_at) VALUES (7, 1, ?, ?, 1)').run('d', Buffer.alloc(32));
  db.prepare('INSERT INTO groups (group_id, epoch, created_at, creator_pk) VALUES (?, 1, 1, 7)').run(Buffer.from('new'));
  assert.throws(() => db.prepare('INSERT INTO groups (group_id, epoch, created_at, creator_pk) VALUES (?, 1, 1, 99)').run(Buffer.from('bad')), /FOREIGN KEY/);
  db.close();
});

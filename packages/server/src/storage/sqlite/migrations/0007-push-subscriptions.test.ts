/** @module storage/sqlite/migrations/0007-push-subscriptions.test Adds one push subscription per device, gone with its device. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { migrateSqlite, SQLITE_MIGRATIONS } from './migration.js';
import { migration0007 } from './0007-push-subscriptions.js';

test('0007 adds push_subscriptions keyed by device, with an empty tally, deleted with the device', () => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  const before = SQLITE_MIGRATIONS.filter((m) => m.version < 7);
  migrateSqlite(db, before);
  db.prepare("INSERT INTO accounts (id, username, created_at) VALUES (1, 'a', 1)").run();
  db.prepare("INSERT INTO devices (pk, account_id, device_id, identity_key, created_at) VALUES (1, 1, 'd1', x'00', 1)").run();
  assert.deepEqual(migrateSqlite(db, [...before, migration0007]), [7]);
  assert.deepEqual(migrateSqlite(db, [...before, migration0007]), []);
  const insert = db.prepare("INSERT INTO push_subscriptions (device_pk, endpoint, p256dh, auth, created_at) VALUES (?, 'https://push.example/x', x'04', x'00', 1)");
  insert.run(1);
  assert.throws(() => insert.run(1), /UNIQUE|PRIMARY KEY/, 'one subscription per device');
  assert.throws(() => insert.run(2), /FOREIGN KEY/, 'only for a device that exists');
  assert.deepEqual(db.prepare('SELECT last_push_at, window_start, window_count FROM push_subscriptions').all(), [{ last_push_at: 0, window_start: 0, window_count: 0 }]);
  db.prepare('DELETE FROM devices WHERE pk = 1').run();
  assert.deepEqual(db.prepare('SELECT device_pk FROM push_subscriptions').all(), [], 'gone with its device');
  db.close();
});

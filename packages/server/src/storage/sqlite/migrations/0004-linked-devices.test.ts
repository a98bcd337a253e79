import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { migrateSqlite } from './migration.js';
import { migration0001 } from './0001-initial.js';
import { migration0002 } from './0002-group-creator.js';
import { migration0003 } from './0003-defences.js';
import { migration0004 } from './0004-linked-devices.js';

const columns = (db: Database.Database, table: string): string[] =>
  (db.prepare(`SELECT name FROM pragma_table_info('${table}') ORDER BY cid`).all() as { name: string }[]).map((r) => r.name);

test('0004 lists every existing device and adds device links and lists', () => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  const before = [migration0001, migration0002, migration0003];
  migrateSqlite(db, before);
  db.prepare("INSERT INTO accounts (id, username, created_at) VALUES (1, 'a', 1)").run();
  db.prepare("INSERT INTO devices (pk, account_id, device_id, identity_key, created_at) VALUES (1, 1, 'd1', x'00', 1)").run();
  assert.deepEqual(migrateSqlite(db, [...before, migration0004]), [4]);
  assert.deepEqual(migrateSqlite(db, [...before, migration0004]), []);
  assert.deepEqual(db.prepare('SELECT listed FROM devices WHERE pk = 1').get(), { listed: 1 });
  assert.deepEqual(columns(db, 'device_links'), ['link_id', 'account_id', 'creator_pk', 'created_at', 'expires_at', 'used_at', 'linked_pk', 'bundle_at']);
  assert.deepEqual(columns(db, 'device_lists'), ['account_id', 'version', 'signed', 'stored_at']);
  db.prepare('INSERT INTO device_links (link_id, account_id, creator_pk, created_at, expires_at) VALUES (?, 1, 1, 1, 2)').run(Buffer.from('l'));
  assert.throws(() => db.prepare('INSERT INTO device_links (link_id, account_id, creator_pk, created_at, expires_at) VALUES (?, 1, 9, 1, 2)').run(Buffer.from('m')), /FOREIGN KEY/);
  db.prepare('INSERT INTO device_lists (account_id, version, signed, stored_at) VALUES (1, 1, x\'01\', 1)').run();
  assert.throws(() => db.prepare("INSERT INTO device_lists (account_id, version, signed, stored_at) VALUES (1, 1, x'02', 1)").run(), /UNIQUE|PRIMARY/);
  db.close();
});

/** @module storage/sqlite/migrations/0006-expiring-mail.test Gives mailbox entries an optional expiry, indexed for the sweep. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { migrateSqlite } from './migration.js';
import { migration0001 } from './0001-initial.js';
import { migration0002 } from './0002-group-creator.js';
import { migration0003 } from './0003-defences.js';
import { migration0004 } from './0004-linked-devices.js';
import { migration0005 } from './0005-blobs.js';
import { migration0006 } from './0006-expiring-mail.js';

const columns = (db: Database.Database, table: string): string[] =>
  (db.prepare(`SELECT name FROM pragma_table_info('${table}') ORDER BY cid`).all() as { name: string }[]).map((r) => r.name);

const insertMail = (db: Database.Database, extra: { column: string; value: number } | undefined): void => {
  db.prepare(
    `INSERT INTO mailbox (device_pk, kind, sender_username, sender_device_id, group_id, message_id, payload, epoch, stored_at${extra ? `, ${extra.column}` : ''})
     VALUES (1, 1, 'a', 'd1', x'00', x'00', x'01', 0, 1${extra ? `, ${extra.value}` : ''})`,
  ).run();
};

test('0006 adds a nullable expires_at to the mailbox, null for existing entries, and a partial index the sweep uses', () => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  const before = [migration0001, migration0002, migration0003, migration0004, migration0005];
  migrateSqlite(db, before);
  db.prepare("INSERT INTO accounts (id, username, created_at) VALUES (1, 'a', 1)").run();
  db.prepare("INSERT INTO devices (pk, account_id, device_id, identity_key, created_at) VALUES (1, 1, 'd1', x'00', 1)").run();
  insertMail(db, undefined);
  assert.deepEqual(migrateSqlite(db, [...before, migration0006]), [6]);
  assert.deepEqual(migrateSqlite(db, [...before, migration0006]), []);
  assert.equal(columns(db, 'mailbox').at(-1), 'expires_at');
  assert.deepEqual(db.prepare('SELECT expires_at FROM mailbox').all(), [{ expires_at: null }], 'an existing entry does not expire');
  insertMail(db, { column: 'expires_at', value: 5_000 });
  insertMail(db, undefined);
  const plan = db.prepare('EXPLAIN QUERY PLAN SELECT seq FROM mailbox WHERE expires_at <= ? LIMIT 10').all(6_000) as { detail: string }[];
  assert.ok(plan.some((step) => step.detail.includes('mailbox_by_expiry')), `the sweep reads the index: ${JSON.stringify(plan)}`);
  assert.deepEqual(db.prepare('SELECT seq FROM mailbox WHERE expires_at <= ?').all(6_000), [{ seq: 2 }]);
  const index = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'mailbox_by_expiry'").get() as { sql: string };
  assert.match(index.sql, /WHERE expires_at IS NOT NULL/, 'mail without expiry stays out of the index');
  db.close();
});

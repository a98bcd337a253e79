import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { entryAt as entry } from './entry-fixture.js';
import { GroupCommit } from './group-commit.js';
import { MailboxTails } from './mailbox-tails.js';
import { RoutingCache } from './routing-cache.js';
import { StagedMail } from './staged-mail.js';

function setUp() {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (x INTEGER PRIMARY KEY)');
  const tails = new MailboxTails();
  const routing = new RoutingCache();
  const staged = new StagedMail(tails, () => routing.clear());
  const group = new GroupCommit(db, (error) => error, staged);
  tails.caughtUp(1, 0n);
  return { db, tails, routing, staged, group };
}

test('entries reach the tails once their batch committed; a write rolled back to its savepoint leaves none', async () => {
  const { tails, staged, group } = setUp();
  const kept = group.run(() => staged.added(1, entry(1)));
  const refused = group.run(() => {
    staged.added(1, entry(2));
    throw new Error('refused');
  });
  const later = group.run(() => staged.added(1, entry(3)));
  assert.deepEqual(tails.read(1, 0n, 10), [], 'nothing before the commit');
  await kept;
  await later;
  await assert.rejects(refused, /refused/);
  assert.deepEqual(tails.read(1, 0n, 10)?.map((e) => e.seq), [1n, 3n]);
});

test('an ack committed after an entry removes it; a batch that fails changes no tail and drops the routing cache', async () => {
  const { db, tails, routing, staged, group } = setUp();
  await group.run(() => {
    staged.added(1, entry(1));
    staged.added(1, entry(2));
  });
  await group.run(() => staged.deleted(1, [1n]));
  assert.deepEqual(tails.read(1, 0n, 10)?.map((e) => e.seq), [2n]);

  routing.device({ username: 'alice', deviceId: 'd1' }, () => ({ pk: 9, username: 'alice', device_id: 'd1', identity_key: new Uint8Array(32), created_at: 0 }));
  db.pragma('foreign_keys = ON');
  db.exec('CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES t (x) DEFERRABLE INITIALLY DEFERRED)');
  const failing = group.run(() => {
    staged.added(1, entry(3));
    db.prepare('INSERT INTO child (id, parent) VALUES (1, 99)').run();
  });
  await assert.rejects(failing, /FOREIGN KEY/);
  assert.deepEqual(tails.read(1, 0n, 10)?.map((e) => e.seq), [2n]);
  let reloaded = false;
  routing.device({ username: 'alice', deviceId: 'd1' }, () => {
    reloaded = true;
    return undefined;
  });
  assert.ok(reloaded, 'the routing cache was dropped');
});

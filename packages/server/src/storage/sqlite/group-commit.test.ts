import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { GroupCommit } from './group-commit.js';

const turn = () => new Promise((resolve) => setImmediate(resolve));

function setUp() {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (x INTEGER PRIMARY KEY)');
  const insert = db.prepare('INSERT INTO t (x) VALUES (?)');
  const count = () => (db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
  const group = new GroupCommit(db, (error) => error);
  return { db, insert, count, group };
}

test('the writes of one turn commit together, after the turn, and each resolves with its own value', async () => {
  const { db, insert, count, group } = setUp();
  const writes = [1, 2, 3].map((x) => group.run(() => insert.run(x).lastInsertRowid));
  assert.equal(count(), 0, 'nothing is written during the turn that asked');
  assert.equal(db.inTransaction, false);
  assert.deepEqual(await Promise.all(writes), [1, 2, 3]);
  assert.equal(count(), 3);
});

test('a write that throws is rolled back alone and rejects alone; the others commit', async () => {
  const { insert, count, group } = setUp();
  const ok = group.run(() => insert.run(1));
  const bad = group.run(() => {
    insert.run(2);
    throw new Error('refused');
  });
  const alsoOk = group.run(() => insert.run(3));
  await ok;
  await alsoOk;
  await assert.rejects(bad, /refused/);
  assert.equal(count(), 2, 'the refused write left nothing behind');
});

test('a batch whose COMMIT fails rejects every write in it; the next batch still commits', async () => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  db.exec('CREATE TABLE parent (id INTEGER PRIMARY KEY)');
  // Checked at COMMIT, so each write succeeds alone and the commit of the batch fails.
  db.exec('CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)');
  const group = new GroupCommit(db, (error) => error);
  const fine = group.run(() => db.prepare('INSERT INTO parent (id) VALUES (1)').run());
  const orphan = group.run(() => db.prepare('INSERT INTO child (id, parent) VALUES (1, 99)').run());
  await assert.rejects(fine, /FOREIGN KEY/);
  await assert.rejects(orphan, /FOREIGN KEY/);
  assert.equal(db.inTransaction, false);
  assert.equal((db.prepare('SELECT count(*) AS n FROM parent').get() as { n: number }).n, 0, 'nothing of the batch stayed');
  await group.run(() => db.prepare('INSERT INTO parent (id) VALUES (2)').run());
  assert.equal((db.prepare('SELECT count(*) AS n FROM parent').get() as { n: number }).n, 1);
});

test('a failure is mapped before the caller sees it', async () => {
  const db = new Database(':memory:');
  const group = new GroupCommit(db, () => new Error('mapped'));
  await assert.rejects(group.run(() => { throw new Error('raw'); }), /mapped/);
});

test('flush commits what is queued at once (close uses it)', async () => {
  const { insert, count, group } = setUp();
  const write = group.run(() => insert.run(1));
  group.flush();
  assert.equal(count(), 1);
  await write;
  await turn();
});

/** @module storage/sqlite/open-database.test Opening the SQLite file: what is refused (with path and cause, file untouched), what is accepted and marked. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DatabaseRefusedError, type DatabaseProblem } from '../../errors.js';
import { classifyOpenFailure, openSqliteDatabase, SOTTO_APPLICATION_ID } from './open-database.js';
import { SQLITE_MIGRATIONS } from './migrations/migration.js';

const root = mkdtempSync(join(tmpdir(), 'sotto-open-'));
after(() => rmSync(root, { recursive: true, force: true }));
let made = 0;
/** A fresh directory and the database path in it. */
const place = (): { dir: string; file: string } => {
  const dir = join(root, String(made++));
  mkdirSync(dir);
  return { dir, file: join(dir, 'sotto.db') };
};

/** Every file in the directory with a hash of its bytes. */
function fingerprint(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir).map((name) => {
      const path = join(dir, name);
      return [name, statSync(path).isFile() ? createHash('sha256').update(readFileSync(path)).digest('hex') : 'directory'];
    }),
  );
}

/** Opens, expecting a refusal of this kind that names the file and leaves the directory as it was. */
function assertRefused(file: string, dir: string, problem: DatabaseProblem, cause: RegExp): void {
  const before = fingerprint(dir);
  assert.throws(
    () => openSqliteDatabase(file, { synchronous: 'FULL' }),
    (error: unknown) => error instanceof DatabaseRefusedError && error.problem === problem && error.message.startsWith(`${file} `) && cause.test(error.message),
  );
  assert.deepEqual(fingerprint(dir), before, 'nothing in the directory changed');
}

const applicationId = (file: string): number => {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma('application_id', { simple: true }) as number;
  } finally {
    db.close();
  }
};

test('a new database is migrated, in WAL mode, and marked with Sotto\'s application id', () => {
  const { file } = place();
  const db = openSqliteDatabase(file, { synchronous: 'FULL' });
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal((db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number }).v, SQLITE_MIGRATIONS.at(-1)!.version);
  db.close();
  assert.equal(applicationId(file), SOTTO_APPLICATION_ID);
  openSqliteDatabase(file, { synchronous: 'NORMAL' }).close();
});

test('a database from an earlier Sotto, without the application id, opens and is marked', () => {
  const { file } = place();
  openSqliteDatabase(file, { synchronous: 'FULL' }).close();
  const earlier = new Database(file);
  earlier.pragma('application_id = 0');
  earlier.close();
  openSqliteDatabase(file, { synchronous: 'FULL' }).close();
  assert.equal(applicationId(file), SOTTO_APPLICATION_ID);
});

test("another program's tables are refused and the file keeps its bytes and journal mode", () => {
  const { dir, file } = place();
  const other = new Database(file);
  other.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('kept')");
  other.close();
  assertRefused(file, dir, 'foreign', /is not a Sotto database: it holds 1 table and no record of Sotto's migrations/);
});

test("another program's application id is refused even with no tables", () => {
  const { dir, file } = place();
  const other = new Database(file);
  other.pragma('application_id = 0x0f055112');
  other.close();
  assertRefused(file, dir, 'foreign', /application id is 0x0f055112, another program's/);
});

test('a database recording a migration from a newer Sotto is refused, untouched', () => {
  const { dir, file } = place();
  openSqliteDatabase(file, { synchronous: 'FULL' }).close();
  const newer = new Database(file);
  newer.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, ?, 1)').run('from-the-future');
  newer.close();
  assertRefused(file, dir, 'newer', /was written by a newer Sotto: it records migration 99 \("from-the-future"\).*older than the database/);
});

test('a directory, a file that is not a database and a truncated database are each named', () => {
  const directory = place();
  mkdirSync(directory.file);
  assertRefused(directory.file, directory.dir, 'not-a-file', /is a directory, not a database file/);

  const garbage = place();
  writeFileSync(garbage.file, randomBytes(8192));
  assertRefused(garbage.file, garbage.dir, 'damaged', /is damaged or not a SQLite database \(SQLite: file is not a database\)/);

  const truncated = place();
  const db = openSqliteDatabase(truncated.file, { synchronous: 'FULL' });
  for (let i = 0; i < 200; i++) db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)').run(`k${i}`, 'v'.repeat(500));
  db.close();
  truncateSync(truncated.file, Math.floor(statSync(truncated.file).size / 2));
  assertRefused(truncated.file, truncated.dir, 'damaged', /is damaged or not a SQLite database/);
});

test('open failures are classified by errno or SQLite code, into words an operator can act on', () => {
  const failure = (code: string, message = code) => Object.assign(new Error(message), { code });
  const cases: [string, DatabaseProblem, RegExp][] = [
    ['EACCES', 'permission-denied', /cannot be read and written: permission denied \(EACCES\) for the server's user/],
    ['EPERM', 'permission-denied', /permission denied \(EPERM\)/],
    ['EROFS', 'read-only', /is on a read-only filesystem \(EROFS\)/],
    ['EISDIR', 'not-a-file', /is a directory/],
    ['SQLITE_NOTADB', 'damaged', /damaged or not a SQLite database/],
    ['SQLITE_CORRUPT', 'damaged', /damaged or not a SQLite database/],
    ['SQLITE_READONLY_DIRECTORY', 'read-only', /cannot be written .*mounted read-write/],
    ['SQLITE_CANTOPEN', 'unavailable', /cannot be opened \(SQLite: SQLITE_CANTOPEN\)/],
    ['SQLITE_FULL', 'unavailable', /the disk is full/],
    ['SQLITE_BUSY', 'unavailable', /locked by another process/],
    ['EIO', 'unavailable', /cannot be opened: .*\(EIO\)/],
  ];
  for (const [code, problem, detail] of cases) {
    const found = classifyOpenFailure(failure(code));
    assert.equal(found.problem, problem, code);
    assert.match(found.detail, detail, code);
  }
  assert.deepEqual(classifyOpenFailure(new Error('odd')), { problem: 'unavailable', detail: 'cannot be opened: odd.' });
});

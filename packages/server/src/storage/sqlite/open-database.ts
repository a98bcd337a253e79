/**
 * @module storage/sqlite/open-database
 * Opens the server's SQLite file, or refuses it with the path and the cause
 * (DatabaseRefusedError) before writing a byte: a directory, an unreadable or unwritable file,
 * a damaged one, another program's database, one from a newer Sotto. A Sotto database is
 * marked with Sotto's application id (the SQLite header field meant for this), so another
 * program's file is told apart even when it is empty of tables; databases made by earlier
 * versions, which lack the mark, are recognised by their migration record and marked.
 */
import Database from 'better-sqlite3';
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseRefusedError, type DatabaseProblem } from '../store.js';
import { refuseUnusableDatabase } from '../migration-rules.js';
import { describeFsError } from './data-directory.js';
import { migrateSqlite, sqliteContents, SQLITE_MIGRATIONS } from './migrations/migration.js';

/** "Sott" in ASCII: `PRAGMA application_id` of every database this server makes. */
export const SOTTO_APPLICATION_ID = 0x536f7474;

export interface OpenOptions {
  /** 'FULL' survives power loss; 'NORMAL' survives a process crash only. */
  readonly synchronous: 'FULL' | 'NORMAL';
}

/** Opens, checks, migrates and marks the database at `path` (or ':memory:'). */
export function openSqliteDatabase(path: string, options: OpenOptions): Database.Database {
  if (path !== ':memory:') checkDatabaseFile(path);
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (error) {
    throw refusal(path, error);
  }
  try {
    // Connection settings only; none of them writes to the file.
    db.pragma('busy_timeout = 5000');
    db.pragma(`synchronous = ${options.synchronous}`);
    db.pragma('foreign_keys = ON');
    // Read-only checks first: WAL mode is written into the file's header.
    refuseOtherApplication(db);
    refuseUnusableDatabase(sqliteContents(db), SQLITE_MIGRATIONS);
    db.pragma('journal_mode = WAL');
    migrateSqlite(db);
    if (applicationId(db) !== SOTTO_APPLICATION_ID) db.pragma(`application_id = ${SOTTO_APPLICATION_ID}`);
    return db;
  } catch (error) {
    db.close();
    throw error instanceof DatabaseRefusedError ? error.at(path) : refusal(path, error);
  }
}

function applicationId(db: Database.Database): number {
  return db.pragma('application_id', { simple: true }) as number;
}

function refuseOtherApplication(db: Database.Database): void {
  const id = applicationId(db);
  if (id !== 0 && id !== SOTTO_APPLICATION_ID) {
    const hex = `0x${(id >>> 0).toString(16).padStart(8, '0')}`;
    throw new DatabaseRefusedError(
      'foreign',
      'the database',
      `is not a Sotto database: its application id is ${hex}, another program's. Nothing was changed; point the server at its own database (an empty directory starts a new one).`,
    );
  }
}

/** What the filesystem can tell before SQLite opens the file, in plain words. */
function checkDatabaseFile(path: string): void {
  let stats: Stats | undefined;
  try {
    stats = statSync(path);
  } catch (error) {
    // Missing is fine: a new database, for which only the directory matters.
    if ((error as { code?: unknown }).code !== 'ENOENT') throw refusal(path, error);
  }
  if (stats?.isDirectory()) {
    throw new DatabaseRefusedError('not-a-file', path, 'is a directory, not a database file. Nothing was changed; move it aside or choose another data directory.');
  }
  if (stats && !stats.isFile()) {
    throw new DatabaseRefusedError('not-a-file', path, 'is not a regular file (a device, pipe or socket). Nothing was changed; choose another data directory.');
  }
  if (stats) {
    try {
      accessSync(path, constants.R_OK | constants.W_OK);
    } catch (error) {
      throw refusal(path, error);
    }
  }
  try {
    // SQLite keeps sotto.db-wal and sotto.db-shm beside the database, and a new database is created there.
    accessSync(dirname(path), constants.W_OK | constants.X_OK);
  } catch (error) {
    const { problem } = classifyOpenFailure(error);
    const why = describeFsError(error, 'the filesystem refused');
    throw new DatabaseRefusedError(problem, path, `cannot be used: the server cannot create files beside it (SQLite keeps its -wal and -shm files there): ${why}. Nothing was changed.`, {
      cause: error,
    });
  }
}

/** Any failure to open or read the database, as a refusal naming the path. */
function refusal(path: string, error: unknown): DatabaseRefusedError {
  const { problem, detail } = classifyOpenFailure(error);
  return new DatabaseRefusedError(problem, path, detail, { cause: error });
}

/**
 * The cause of an open failure in words, from a filesystem errno (EACCES, EROFS, ...) or a
 * SQLite result code (better-sqlite3 puts it in `code`: SQLITE_NOTADB, SQLITE_READONLY_..., ...).
 */
export function classifyOpenFailure(error: unknown): { problem: DatabaseProblem; detail: string } {
  const code = typeof (error as { code?: unknown } | null)?.code === 'string' ? (error as { code: string }).code : '';
  const said = error instanceof Error ? error.message : String(error);
  if (code === 'EACCES' || code === 'EPERM' || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') {
    return { problem: 'permission-denied', detail: `cannot be read and written: ${describeFsError(error, 'permission denied')}. Nothing was changed.` };
  }
  if (code === 'EROFS') {
    return { problem: 'read-only', detail: 'is on a read-only filesystem (EROFS), and the server must write to it. Nothing was changed.' };
  }
  if (code === 'EISDIR') {
    return { problem: 'not-a-file', detail: 'is a directory, not a database file. Nothing was changed.' };
  }
  if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) {
    return {
      problem: 'damaged',
      detail: `is damaged or not a SQLite database (SQLite: ${said}); it may be truncated or another kind of file. Nothing was changed; restore it from a backup.`,
    };
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return {
      problem: 'read-only',
      detail: `cannot be written (SQLite: ${said}): check that its filesystem is mounted read-write and that the server's user may write the file and its directory.`,
    };
  }
  if (code.startsWith('SQLITE_FULL')) return { problem: 'unavailable', detail: `cannot be written: the disk is full (SQLite: ${said}).` };
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return { problem: 'unavailable', detail: `is locked by another process (SQLite: ${said}).` };
  }
  if (code.startsWith('SQLITE_')) return { problem: 'unavailable', detail: `cannot be opened (SQLite: ${said}).` };
  if (code !== '') return { problem: 'unavailable', detail: `cannot be opened: ${describeFsError(error, said)}.` };
  return { problem: 'unavailable', detail: `cannot be opened: ${said}.` };
}

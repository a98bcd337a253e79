/**
 * @module storage/sqlite/migrations/migration
 * Numbered migrations: each runs once, in order, inside a transaction, and
 * records its version in `schema_migrations`. Nothing is written to a database
 * that holds another program's tables or records a migration from a newer
 * Sotto (storage/migration-rules.ts).
 */
import type Database from 'better-sqlite3';
import { isMigrationTable, refuseUnusableDatabase, type DatabaseContents, type MigrationRecord } from '../../migration-rules.js';
import type { SqlMigration } from '../../migration-types.js';
import { migration0001 } from './0001-initial.js';
import { migration0002 } from './0002-group-creator.js';
import { migration0003 } from './0003-defences.js';
import { migration0004 } from './0004-linked-devices.js';
import { migration0005 } from './0005-blobs.js';
import { migration0006 } from './0006-expiring-mail.js';
import { migration0007 } from './0007-push-subscriptions.js';
import { migration0008 } from './0008-group-admins.js';
import { migration0009 } from './0009-group-calls.js';

export const SQLITE_MIGRATIONS: readonly SqlMigration[] = [migration0001, migration0002, migration0003, migration0004, migration0005, migration0006, migration0007, migration0008, migration0009];

/** What the database holds, read without writing anything. */
export function sqliteContents(db: Database.Database): DatabaseContents {
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").all() as { name: string }[]).map(
    (row) => row.name,
  );
  const columns = (db.prepare("SELECT name FROM pragma_table_info('schema_migrations')").all() as { name: string }[]).map((row) => row.name);
  const hasMigrationTable = tables.includes('schema_migrations') && isMigrationTable(columns);
  const recorded = hasMigrationTable ? (db.prepare('SELECT version, name FROM schema_migrations').all() as MigrationRecord[]) : [];
  return { tables, hasMigrationTable, recorded };
}

/**
 * Applies every migration newer than the database; returns the versions applied.
 * Throws DatabaseRefusedError, having written nothing, for a foreign or newer database.
 */
export function migrateSqlite(db: Database.Database, migrations: readonly SqlMigration[] = SQLITE_MIGRATIONS): number[] {
  refuseUnusableDatabase(sqliteContents(db), migrations);
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((row) => row.version),
  );
  const done: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      db.exec(migration.up);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, Date.now());
    })();
    done.push(migration.version);
  }
  return done;
}

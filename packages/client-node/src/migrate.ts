/**
 * @module migrate
 * The profile's numbered migrations, run in the shape of the server's runners
 * (server/src/storage/sqlite/migrations/migration.ts): each pending migration in version order,
 * in its own transaction, recorded in `schema_migrations (version, name, applied_at)`. A profile
 * that records a migration this sotto does not know was written by a newer sotto, and is refused
 * before anything is written: an older schema under newer data would lose or misread it.
 */
import type Database from 'better-sqlite3';
import { ClientError } from '@sotto/core';
import type { ClientMigration } from './migration-types.js';
import { clientMigration0001 } from './migrations/0001-initial.js';
import { clientMigration0002 } from './migrations/0002-pending-changes.js';
import { clientMigration0003 } from './migrations/0003-calls.js';
import { clientMigration0004 } from './migrations/0004-contact-links.js';
import { clientMigration0005 } from './migrations/0005-attachments.js';
import { clientMigration0006 } from './migrations/0006-message-actions.js';
import { clientMigration0007 } from './migrations/0007-notices.js';
import { clientMigration0008 } from './migrations/0008-disappearing.js';

export type { ClientMigration } from './migration-types.js';

export const CLIENT_MIGRATIONS: readonly ClientMigration[] = [clientMigration0001, clientMigration0002, clientMigration0003, clientMigration0004, clientMigration0005, clientMigration0006, clientMigration0007, clientMigration0008];

/**
 * The profile records a migration this sotto does not know: it was written by a newer version, and
 * an older schema's code must not touch it. The remedy is the member's (run the newer sotto, or
 * point at another profile).
 */
export class ProfileRefusedError extends ClientError {
  override readonly name = 'ProfileRefusedError';
  constructor(readonly newestVersion: number) {
    super('PROFILE_TOO_NEW', `This profile was written by a newer sotto (migration ${newestVersion}); update sotto. Nothing was changed.`);
  }
}

const MIGRATION_TABLE = 'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)';

/** The versions the profile records, read without writing anything (none for a new profile). */
function recordedVersions(db: Database.Database): number[] {
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !== undefined;
  return hasTable ? (db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]) : [];
}

/** Throws ProfileRefusedError, having written nothing, when the profile records a migration not in `migrations`. */
export function refuseNewerProfile(db: Database.Database, migrations: readonly ClientMigration[] = CLIENT_MIGRATIONS): void {
  const known = new Set(migrations.map((migration) => migration.version));
  const unknown = recordedVersions(db).filter((version) => !known.has(version));
  if (unknown.length > 0) throw new ProfileRefusedError(Math.max(...unknown));
}

/**
 * Creates `schema_migrations`, or brings one made before applied_at was recorded (version and
 * name only) to the current shape. Its rows get applied_at 0: their time was never written down.
 * Under the write lock, so two processes opening one profile do not both add the column.
 */
function prepareMigrationTable(db: Database.Database): void {
  db.transaction(() => {
    db.exec(MIGRATION_TABLE);
    const columns = db.prepare("SELECT name FROM pragma_table_info('schema_migrations')").pluck().all() as string[];
    if (!columns.includes('applied_at')) db.exec('ALTER TABLE schema_migrations ADD COLUMN applied_at INTEGER NOT NULL DEFAULT 0');
  }).immediate();
}

/**
 * Applies every migration the profile lacks; returns the versions applied. A migration that fails
 * is rolled back whole (the ones before it stay applied) and its error thrown.
 */
export function migrateClientDb(db: Database.Database, migrations: readonly ClientMigration[] = CLIENT_MIGRATIONS): number[] {
  refuseNewerProfile(db, migrations);
  prepareMigrationTable(db);
  const recorded = new Set(recordedVersions(db));
  const applied: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (recorded.has(migration.version)) continue;
    const ran = db.transaction(() => {
      // Another process opening the same profile may have applied it since the read above.
      if (db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(migration.version) !== undefined) return false;
      db.exec(migration.up);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, Date.now());
      return true;
    }).immediate();
    if (ran) applied.push(migration.version);
  }
  return applied;
}

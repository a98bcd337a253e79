/**
 * @module storage/migration-rules
 * Whether a database may be migrated: it must be Sotto's (or empty) and record no migration
 * this server does not know. Decided once for both backends: each reads what its database
 * holds, before changing anything, and asks here.
 */
import { DatabaseRefusedError } from './store.js';

export interface MigrationRecord {
  readonly version: number;
  readonly name: string;
}

/** What a backend found in its database (or PostgreSQL schema) before migrating it. */
export interface DatabaseContents {
  /** Every table in it, `schema_migrations` included; the backend's own internals left out. */
  readonly tables: readonly string[];
  /** `schema_migrations` exists with Sotto's columns: version, name, applied_at. */
  readonly hasMigrationTable: boolean;
  /** The rows of `schema_migrations` (empty without the table). */
  readonly recorded: readonly MigrationRecord[];
}

/** The columns of Sotto's `schema_migrations`, the same in both backends. */
export const MIGRATION_TABLE_COLUMNS: readonly string[] = ['applied_at', 'name', 'version'];

/** True when these columns (in any order) are exactly Sotto's `schema_migrations` columns. */
export function isMigrationTable(columns: readonly string[]): boolean {
  return [...columns].sort().join(',') === MIGRATION_TABLE_COLUMNS.join(',');
}

/** Where a refusal is placed until the backend names the file or schema. */
const UNNAMED = 'the database';

/**
 * Throws DatabaseRefusedError when the database must not be touched: another program's
 * tables (`foreign`), or a migration this server does not know (`newer`). An empty database,
 * or one holding only an empty migration table (a first start that stopped early), is new.
 */
export function refuseUnusableDatabase(contents: DatabaseContents, known: readonly MigrationRecord[]): void {
  const others = contents.tables.filter((table) => table !== 'schema_migrations');
  if (!contents.hasMigrationTable) {
    if (contents.tables.length > 0) throw foreign(`it holds ${count(contents.tables.length, 'table')} and no record of Sotto's migrations`);
    return;
  }
  const first = [...known].sort((a, b) => a.version - b.version)[0];
  const recordedFirst = first && contents.recorded.find((row) => row.version === first.version);
  if (first && recordedFirst && recordedFirst.name !== first.name) {
    throw foreign(`its migration ${first.version} is "${recordedFirst.name}", where Sotto's is "${first.name}"`);
  }
  if (contents.recorded.length === 0 && others.length > 0) {
    throw foreign(`it holds ${count(others.length, 'table')} beside an empty migration record`);
  }
  const knownVersions = new Set(known.map((migration) => migration.version));
  const unknown = contents.recorded.filter((row) => !knownVersions.has(row.version)).sort((a, b) => b.version - a.version);
  const newest = unknown[0];
  if (newest) {
    const newestKnown = Math.max(0, ...knownVersions);
    throw new DatabaseRefusedError(
      'newer',
      UNNAMED,
      `was written by a newer Sotto: it records migration ${newest.version} ("${newest.name}"), and this server knows migrations up to ${newestKnown}. ` +
        'This server is older than the database: run the newer Sotto (or restore a backup made before the upgrade). Nothing was changed.',
    );
  }
}

function foreign(why: string): DatabaseRefusedError {
  return new DatabaseRefusedError(
    'foreign',
    UNNAMED,
    `is not a Sotto database: ${why}. Nothing was changed; point the server at its own database (an empty directory or schema starts a new one).`,
  );
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

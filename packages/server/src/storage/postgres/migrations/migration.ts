/**
 * @module storage/postgres/migrations/migration
 * Numbered migrations for PostgreSQL, numbered as the SQLite ones: each runs
 * once, in order, in its own transaction, and records its version in
 * `schema_migrations`. Several nodes may start at once, so each transaction
 * first takes a transaction-scoped advisory lock for the schema: the second
 * node waits, then sees the version recorded and skips it. A schema holding
 * another program's tables, or recording a migration from a newer Sotto, is
 * refused before anything is written (storage/migration-rules.ts).
 */
import type { ClientBase } from 'pg';
import { ConfigError } from '../../store.js';
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
import { migration0010 } from './0010-send-batch-function.js';
import { migration0011 } from './0011-send-batch-index-plans.js';
import { migration0012 } from './0012-sotto-send-batch.js';

export const POSTGRES_MIGRATIONS: readonly SqlMigration[] = [migration0001, migration0002, migration0003, migration0004, migration0005, migration0006, migration0007, migration0008, migration0009, migration0010, migration0011, migration0012];

/** First key of the two-key advisory lock: "Sotto migrations". The second is the schema's hash. */
const MIGRATION_LOCK_CLASS = 0x5077;

/** Lower-case identifiers only, so a schema name never needs quoting and never carries SQL. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function requireSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new ConfigError(`PostgreSQL schema must be a lower-case identifier (a-z, 0-9, _), not ${JSON.stringify(schema)}.`);
  }
  return schema;
}

/**
 * Applies every migration newer than `schema` (created when missing) on
 * `client`, which must not be inside a transaction; returns the versions applied.
 */
export async function migratePostgres(
  client: ClientBase,
  schema: string,
  migrations: readonly SqlMigration[] = POSTGRES_MIGRATIONS,
): Promise<number[]> {
  requireSchemaName(schema);
  const done: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MIGRATION_LOCK_CLASS, schema]);
      // Under the lock, because concurrent CREATE ... IF NOT EXISTS can still collide in the catalog.
      // Checked before creating: CREATE SCHEMA needs a privilege even when the schema exists.
      const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${schema}`);
      else refuseUnusableDatabase(await postgresContents(client, schema), migrations);
      await client.query(`SET LOCAL search_path TO ${schema}`);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
      );
      const applied = await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
      if (applied.rowCount === 0) {
        await client.query(migration.up);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          migration.version,
          migration.name,
          Date.now(),
        ]);
        done.push(migration.version);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
  return done;
}

/** What the schema holds, read without writing anything; `schema` was checked to be a bare identifier. */
export async function postgresContents(client: ClientBase, schema: string): Promise<DatabaseContents> {
  const tables = (await client.query<{ tablename: string }>('SELECT tablename FROM pg_tables WHERE schemaname = $1', [schema])).rows.map((row) => row.tablename);
  const columns = (
    await client.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'schema_migrations'",
      [schema],
    )
  ).rows.map((row) => row.column_name);
  const hasMigrationTable = tables.includes('schema_migrations') && isMigrationTable(columns);
  const recorded = hasMigrationTable
    ? (await client.query<MigrationRecord>(`SELECT version, name FROM ${schema}.schema_migrations`)).rows
    : [];
  return { tables, hasMigrationTable, recorded };
}

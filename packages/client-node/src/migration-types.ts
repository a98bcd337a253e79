/**
 * @module migration-types
 * The shape of a numbered profile migration: the same fields as the server's SqlMigration
 * (packages/server/src/storage/migration-types.ts), declared here because client-node does not
 * depend on the server. It lives apart from the runner (migrate.ts) so a migration file imports
 * only this and the runner imports the migrations: no cycle between them.
 */

/** One schema change: applied once, in version order, in its own transaction, recorded in `schema_migrations`. */
export interface ClientMigration {
  readonly version: number;
  /** Kebab-case, as in the file name (`0002-pending-changes.ts`); recorded beside the version. */
  readonly name: string;
  /** The SQL (SQLite). */
  readonly up: string;
}

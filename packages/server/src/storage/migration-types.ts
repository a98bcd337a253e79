/**
 * @module storage/migration-types
 * The shape of a numbered migration, the same for both server backends (and
 * the same fields as client-node's). It lives apart from the runners so a
 * migration file imports only this, and a runner imports its migrations:
 * no cycle between them.
 */

/** One schema change: applied once, in version order, in its own transaction, recorded in `schema_migrations`. */
export interface SqlMigration {
  readonly version: number;
  /** Kebab-case, as in the file name (`0002-group-creator.ts`); recorded beside the version. */
  readonly name: string;
  /** The SQL, in the backend's dialect. */
  readonly up: string;
}

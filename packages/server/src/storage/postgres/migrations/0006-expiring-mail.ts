/**
 * @module storage/postgres/migrations/0006-expiring-mail
 * Disappearing messages: a mailbox entry may carry the time from which it must not be delivered
 * (Send.expires_at), and the frequent expiry sweep finds such entries by it (as SQLite's 0006).
 */
import type { SqlMigration } from '../../migration-types.js';

// A nullable column with no default: PostgreSQL adds it without rewriting the table, so the
// migration is quick on a large mailbox. The index is partial for the reason SQLite's 0006 gives.
export const migration0006: SqlMigration = {
  version: 6,
  name: 'expiring-mail',
  up: `
    ALTER TABLE mailbox ADD COLUMN expires_at BIGINT;
    CREATE INDEX mailbox_by_expiry ON mailbox (expires_at) WHERE expires_at IS NOT NULL;
  `,
};

/**
 * @module storage/sqlite/migrations/0006-expiring-mail
 * Disappearing messages: a mailbox entry may carry the time from which it must not be delivered
 * (Send.expires_at), and the frequent expiry sweep finds such entries by it.
 */
import type { SqlMigration } from '../../migration-types.js';

// NULL for every existing entry and for mail that does not expire (nearly all of it), so the
// index is partial: it holds only the entries the sweep is looking for, and a send without expiry
// costs it nothing.
export const migration0006: SqlMigration = {
  version: 6,
  name: 'expiring-mail',
  up: `
    ALTER TABLE mailbox ADD COLUMN expires_at INTEGER;
    CREATE INDEX mailbox_by_expiry ON mailbox (expires_at) WHERE expires_at IS NOT NULL;
  `,
};

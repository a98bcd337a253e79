/**
 * @module migrations/0002-pending-changes
 * A conversation's change awaiting the server's answer (crash-safe commits).
 */
export const clientMigration0002 = {
  version: 2,
  name: 'pending-changes',
  up: `
    ALTER TABLE conversations ADD COLUMN pending_kind TEXT;
    ALTER TABLE conversations ADD COLUMN pending_state BLOB;
    ALTER TABLE conversations ADD COLUMN pending_request BLOB;
  `,
};

/**
 * @module migrations/0002-pending-changes
 * A conversation's change awaiting the server's answer (crash-safe commits).
 */
import type { ClientMigration } from '../migration-types.js';

export const clientMigration0002: ClientMigration = {
  version: 2,
  name: 'pending-changes',
  up: `
    ALTER TABLE conversations ADD COLUMN pending_kind TEXT;
    ALTER TABLE conversations ADD COLUMN pending_state BLOB;
    ALTER TABLE conversations ADD COLUMN pending_request BLOB;
  `,
};

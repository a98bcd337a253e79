/**
 * @module storage/postgres/migrations/0008-group-admins
 * The server's mirror of each named group's admins (docs/PROTOCOL.md "Group admins"), so it can
 * refuse a commit the members would refuse.
 */
import type { SqlMigration } from '../../migration-types.js';

// A JSON array of account names, sorted; NULL for a group without admins (1:1 chats, the
// own-devices conversation, and every group made before this migration: those keep no rule).
export const migration0008: SqlMigration = {
  version: 8,
  name: 'group-admins',
  up: 'ALTER TABLE groups ADD COLUMN admins TEXT;',
};

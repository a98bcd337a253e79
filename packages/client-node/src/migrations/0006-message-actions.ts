/**
 * @module migrations/0006-message-actions
 * Messages remember what they answer, whether they were forwarded, their last edit, their
 * deletion for everyone, and the reactions on them (JSON: one per account).
 */
import type { ClientMigration } from '../migration-types.js';

export const clientMigration0006: ClientMigration = {
  version: 6,
  name: 'message-actions',
  up: `ALTER TABLE messages ADD COLUMN reply_to TEXT;
ALTER TABLE messages ADD COLUMN forwarded INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN edited_at INTEGER;
ALTER TABLE messages ADD COLUMN deleted_at INTEGER;
ALTER TABLE messages ADD COLUMN reactions TEXT;`,
};

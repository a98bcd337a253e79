/**
 * @module migrations/0008-disappearing
 * Disappearing messages: each message may carry the time this device deletes it (indexed, for
 * the sweep), and an outbox entry the time after which the server must not deliver it.
 */
import type { ClientMigration } from '../migration-types.js';

export const clientMigration0008: ClientMigration = {
  version: 8,
  name: 'disappearing',
  up: `ALTER TABLE messages ADD COLUMN expires_at INTEGER;
CREATE INDEX messages_expires_at ON messages (expires_at) WHERE expires_at IS NOT NULL;
ALTER TABLE outbox ADD COLUMN expires_at INTEGER;`,
};

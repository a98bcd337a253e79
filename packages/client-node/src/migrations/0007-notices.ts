/**
 * @module migrations/0007-notices
 * The chat keeps the notices this device writes into it ("bob linked a new device"), so they are
 * still there after a restart, in their place among the messages.
 */
import type { ClientMigration } from '../migration-types.js';

export const clientMigration0007: ClientMigration = {
  version: 7,
  name: 'notices',
  up: `ALTER TABLE messages ADD COLUMN notice TEXT;`,
};

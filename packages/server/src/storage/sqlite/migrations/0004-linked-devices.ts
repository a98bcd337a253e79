/**
 * @module storage/sqlite/migrations/0004-linked-devices
 * Linked devices: whether a device is in its account's signed device list, the one-time links a
 * new device joins through, and the signed lists themselves.
 */
import type { SqlMigration } from '../../migration-types.js';

// Every existing device is its account's only device, so it counts as listed (its first signed list
// is published by the client later). A device that joins through a link starts unlisted and is never
// claimable until a published list names it. A link remembers its creator (who alone may send the
// new device its bundle) and the device it made; `bundle_at` makes the bundle a once-only delivery.
// Device rows are now deleted (a list that leaves one out); their child rows go in the same write.
export const migration0004: SqlMigration = {
  version: 4,
  name: 'linked-devices',
  up: `
    ALTER TABLE devices ADD COLUMN listed INTEGER NOT NULL DEFAULT 1;
    CREATE TABLE device_links (
      link_id BLOB PRIMARY KEY,
      account_id INTEGER NOT NULL REFERENCES accounts(id),
      creator_pk INTEGER NOT NULL REFERENCES devices(pk),
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      used_at INTEGER,
      linked_pk INTEGER REFERENCES devices(pk),
      bundle_at INTEGER
    );
    CREATE INDEX device_links_by_account ON device_links (account_id, expires_at);
    CREATE INDEX device_links_by_expiry ON device_links (expires_at);
    CREATE TABLE device_lists (
      account_id INTEGER NOT NULL REFERENCES accounts(id),
      version INTEGER NOT NULL,
      signed BLOB NOT NULL,
      stored_at INTEGER NOT NULL,
      PRIMARY KEY (account_id, version)
    );
  `,
};

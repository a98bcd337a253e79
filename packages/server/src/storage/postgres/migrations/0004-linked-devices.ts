/**
 * @module storage/postgres/migrations/0004-linked-devices
 * Linked devices: whether a device is in its account's signed device list, the one-time links a
 * new device joins through, and the signed lists themselves.
 */
import type { SqlMigration } from '../../migration-types.js';

// The same tables as SQLite's 0004 (see there for why): existing devices are listed; BIGINT ids and
// times, BYTEA bytes, as in 0001.
export const migration0004: SqlMigration = {
  version: 4,
  name: 'linked-devices',
  up: `
    ALTER TABLE devices ADD COLUMN listed BOOLEAN NOT NULL DEFAULT TRUE;
    CREATE TABLE device_links (
      link_id BYTEA PRIMARY KEY,
      account_id BIGINT NOT NULL REFERENCES accounts(id),
      creator_pk BIGINT NOT NULL REFERENCES devices(pk),
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL,
      used_at BIGINT,
      linked_pk BIGINT REFERENCES devices(pk),
      bundle_at BIGINT
    );
    CREATE INDEX device_links_by_account ON device_links (account_id, expires_at);
    CREATE INDEX device_links_by_expiry ON device_links (expires_at);
    CREATE TABLE device_lists (
      account_id BIGINT NOT NULL REFERENCES accounts(id),
      version BIGINT NOT NULL,
      signed BYTEA NOT NULL,
      stored_at BIGINT NOT NULL,
      PRIMARY KEY (account_id, version)
    );
  `,
};

/**
 * @module storage/sqlite/migrations/0005-blobs
 * Files: one row per encrypted blob the server holds or is receiving. The bytes live in the data
 * directory (blobs/fs-blob-bytes.ts), not in the database.
 */
import type { SqlMigration } from '../../migration-types.js';

// The device is kept by id, not by pk: a device list that removes a device deletes its row, and
// its uploads stay the account's (they count against its quota until they expire). `received` is
// the acknowledged offset: every byte before it is durable. The partial indexes serve the sweep:
// incomplete blobs by token end, complete ones by completion time.
export const migration0005: SqlMigration = {
  version: 5,
  name: 'blobs',
  up: `
    CREATE TABLE blobs (
      blob_id BLOB PRIMARY KEY,
      account_id INTEGER NOT NULL REFERENCES accounts(id),
      device_id TEXT NOT NULL,
      size INTEGER NOT NULL,
      received INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      completed_at INTEGER
    );
    CREATE INDEX blobs_by_account ON blobs (account_id);
    CREATE INDEX blobs_incomplete_by_expiry ON blobs (expires_at) WHERE completed_at IS NULL;
    CREATE INDEX blobs_complete_by_time ON blobs (completed_at) WHERE completed_at IS NOT NULL;
  `,
};

/**
 * @module storage/postgres/migrations/0005-blobs
 * Files: one row per encrypted blob (as SQLite's 0005), and the blobs' bytes themselves, in
 * chunks, so every node of a cluster can serve every blob (blobs/postgres-blob-bytes.ts).
 */
import type { SqlMigration } from '../../migration-types.js';

// `blobs` is SQLite's 0005 table (see there for why) with BIGINT ids and times. `blob_chunks`
// holds each blob's ciphertext as rows of at most 1 MiB starting at byte `start`; it has no
// foreign key to `blobs` because the bytes store is its own interface, written before the
// offset in `blobs` moves. Ciphertext does not compress, so TOAST is told not to try (EXTERNAL).
export const migration0005: SqlMigration = {
  version: 5,
  name: 'blobs',
  up: `
    CREATE TABLE blobs (
      blob_id BYTEA PRIMARY KEY,
      account_id BIGINT NOT NULL REFERENCES accounts(id),
      device_id TEXT NOT NULL,
      size BIGINT NOT NULL,
      received BIGINT NOT NULL DEFAULT 0,
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL,
      completed_at BIGINT
    );
    CREATE INDEX blobs_by_account ON blobs (account_id);
    CREATE INDEX blobs_incomplete_by_expiry ON blobs (expires_at) WHERE completed_at IS NULL;
    CREATE INDEX blobs_complete_by_time ON blobs (completed_at) WHERE completed_at IS NOT NULL;
    CREATE TABLE blob_chunks (
      blob_id BYTEA NOT NULL,
      start BIGINT NOT NULL,
      data BYTEA NOT NULL,
      PRIMARY KEY (blob_id, start)
    );
    ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
  `,
};

/**
 * @module storage/sqlite/blob-queries
 * SqliteStore's blob statements, each write inside the store's group commit (one writer, so a
 * reservation's quota check and its insert cannot interleave with another's). The rules are
 * storage/blob-rules.ts's, shared with PostgreSQL.
 */
import type { BlobRecord, NewUpload } from '../domains/blobs.js';
import { BLOB_TOKEN_KEY_SETTING, checkQuota } from '../blob-rules.js';
import { bytes, type SqliteRows } from './rows.js';

interface BlobRow {
  blob_id: Buffer;
  username: string;
  device_id: string;
  size: number;
  received: number;
  created_at: number;
  expires_at: number;
  completed_at: number | null;
}

const BLOB_COLUMNS = 'b.blob_id, a.username, b.device_id, b.size, b.received, b.created_at, b.expires_at, b.completed_at';

function toBlob(row: BlobRow): BlobRecord {
  return {
    blobId: bytes(row.blob_id),
    owner: { username: row.username, deviceId: row.device_id },
    size: row.size,
    received: row.received,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    completedAt: row.completed_at,
  };
}

export function getBlob(rows: SqliteRows, blobId: Uint8Array): BlobRecord | undefined {
  const row = rows.sql.prepare(`SELECT ${BLOB_COLUMNS} FROM blobs b JOIN accounts a ON a.id = b.account_id WHERE b.blob_id = ?`).get(blobId) as BlobRow | undefined;
  return row && toBlob(row);
}

function usageOf(rows: SqliteRows, accountId: number, now: number): number {
  const row = rows.sql
    .prepare('SELECT coalesce(sum(size), 0) AS n FROM blobs WHERE account_id = ? AND (completed_at IS NOT NULL OR expires_at > ?)')
    .get(accountId, now) as { n: number };
  return row.n;
}

export function blobUsage(rows: SqliteRows, username: string, now: number): number {
  const accountId = rows.accountId(username);
  return accountId === undefined ? 0 : usageOf(rows, accountId, now);
}

export function expiredBlobs(rows: SqliteRows, now: number, completedBefore: number, max: number): Uint8Array[] {
  const found = rows.sql
    .prepare(
      `SELECT blob_id FROM blobs WHERE completed_at IS NULL AND expires_at <= ?
       UNION ALL SELECT blob_id FROM blobs WHERE completed_at IS NOT NULL AND completed_at < ? LIMIT ?`,
    )
    .all(now, completedBefore, max) as { blob_id: Buffer }[];
  return found.map((row) => bytes(row.blob_id));
}

export function createUpload(rows: SqliteRows, upload: NewUpload): void {
  rows.requireDevicePk(upload.owner);
  const accountId = rows.requireAccountId(upload.owner.username);
  checkQuota(usageOf(rows, accountId, upload.now), upload.size, upload.quotaBytes);
  rows.sql
    .prepare('INSERT INTO blobs (blob_id, account_id, device_id, size, received, created_at, expires_at) VALUES (?, ?, ?, ?, 0, ?, ?)')
    .run(upload.blobId, accountId, upload.owner.deviceId, upload.size, upload.now, upload.expiresAt);
}

export function advanceBlob(rows: SqliteRows, blobId: Uint8Array, from: number, to: number, now: number): BlobRecord | undefined {
  const changed = rows.sql
    .prepare(
      `UPDATE blobs SET received = ?, completed_at = CASE WHEN ? = size THEN ? ELSE NULL END
       WHERE blob_id = ? AND received = ? AND completed_at IS NULL AND ? > received AND ? <= size`,
    )
    .run(to, to, now, blobId, from, to, to).changes;
  return changed === 1 ? getBlob(rows, blobId) : undefined;
}

export function deleteBlobs(rows: SqliteRows, blobIds: readonly Uint8Array[]): number {
  const statement = rows.sql.prepare('DELETE FROM blobs WHERE blob_id = ?');
  let deleted = 0;
  for (const blobId of blobIds) deleted += statement.run(blobId).changes;
  return deleted;
}

export function blobTokenKey(rows: SqliteRows, candidate: Uint8Array): Uint8Array {
  rows.sql.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING').run(BLOB_TOKEN_KEY_SETTING, Buffer.from(candidate).toString('hex'));
  const row = rows.sql.prepare('SELECT value FROM settings WHERE key = ?').get(BLOB_TOKEN_KEY_SETTING) as { value: string };
  return new Uint8Array(Buffer.from(row.value, 'hex'));
}

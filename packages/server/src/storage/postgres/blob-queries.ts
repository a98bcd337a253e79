/**
 * @module storage/postgres/blob-queries
 * PostgresStore's blob statements, safe against other nodes doing the same: a reservation locks
 * the account row, so two nodes cannot both take the account's last free bytes; moving the
 * offset is one compare-and-set statement. The rules are storage/blob-rules.ts's, shared with
 * SQLite.
 */
import type { BlobRecord, NewUpload } from '../domains/blobs.js';
import { BLOB_TOKEN_KEY_SETTING, checkQuota } from '../blob-rules.js';
import { accountId, bytes, requireAccountId, requireDevice } from './queries.js';
import type { Sql } from './transaction.js';

interface BlobRow {
  blob_id: Buffer;
  username: string;
  device_id: string;
  size: string;
  received: string;
  created_at: string;
  expires_at: string;
  completed_at: string | null;
}

const BLOB_COLUMNS = 'b.blob_id, a.username, b.device_id, b.size, b.received, b.created_at, b.expires_at, b.completed_at';

function toBlob(row: BlobRow): BlobRecord {
  return {
    blobId: bytes(row.blob_id),
    owner: { username: row.username, deviceId: row.device_id },
    size: Number(row.size),
    received: Number(row.received),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    completedAt: row.completed_at === null ? null : Number(row.completed_at),
  };
}

export async function getBlob(sql: Sql, blobId: Uint8Array): Promise<BlobRecord | undefined> {
  const result = await sql.query<BlobRow>(`SELECT ${BLOB_COLUMNS} FROM blobs b JOIN accounts a ON a.id = b.account_id WHERE b.blob_id = $1`, [blobId]);
  const row = result.rows[0];
  return row && toBlob(row);
}

async function usageOf(sql: Sql, id: string, now: number): Promise<number> {
  const result = await sql.query<{ n: string }>(
    'SELECT coalesce(sum(size), 0) AS n FROM blobs WHERE account_id = $1 AND (completed_at IS NOT NULL OR expires_at > $2)',
    [id, now],
  );
  return Number(result.rows[0]!.n);
}

export async function blobUsage(sql: Sql, username: string, now: number): Promise<number> {
  const id = await accountId(sql, username);
  return id === undefined ? 0 : usageOf(sql, id, now);
}

export async function expiredBlobs(sql: Sql, now: number, completedBefore: number, max: number): Promise<Uint8Array[]> {
  const result = await sql.query<{ blob_id: Buffer }>(
    `(SELECT blob_id FROM blobs WHERE completed_at IS NULL AND expires_at <= $1)
     UNION ALL (SELECT blob_id FROM blobs WHERE completed_at IS NOT NULL AND completed_at < $2) LIMIT $3`,
    [now, completedBefore, max],
  );
  return result.rows.map((row) => bytes(row.blob_id));
}

export async function createUpload(sql: Sql, upload: NewUpload): Promise<void> {
  await requireDevice(sql, upload.owner);
  const id = await requireAccountId(sql, upload.owner.username);
  // The account row is the lock: reservations of one account are decided one at a time, on any node.
  await sql.query('SELECT id FROM accounts WHERE id = $1 FOR UPDATE', [id]);
  checkQuota(await usageOf(sql, id, upload.now), upload.size, upload.quotaBytes);
  await sql.query('INSERT INTO blobs (blob_id, account_id, device_id, size, received, created_at, expires_at) VALUES ($1, $2, $3, $4, 0, $5, $6)', [
    upload.blobId,
    id,
    upload.owner.deviceId,
    upload.size,
    upload.now,
    upload.expiresAt,
  ]);
}

export async function advanceBlob(sql: Sql, blobId: Uint8Array, from: number, to: number, now: number): Promise<BlobRecord | undefined> {
  const result = await sql.query<BlobRow>(
    `UPDATE blobs b SET received = $1, completed_at = CASE WHEN $1 = b.size THEN $2::bigint ELSE NULL END
     FROM accounts a WHERE a.id = b.account_id AND b.blob_id = $3 AND b.received = $4 AND b.completed_at IS NULL AND $1 > b.received AND $1 <= b.size
     RETURNING ${BLOB_COLUMNS}`,
    [to, now, blobId, from],
  );
  const row = result.rows[0];
  return row && toBlob(row);
}

export async function deleteBlobs(sql: Sql, blobIds: readonly Uint8Array[]): Promise<number> {
  if (blobIds.length === 0) return 0;
  const result = await sql.query('DELETE FROM blobs WHERE blob_id = ANY($1::bytea[])', [blobIds.map((id) => Buffer.from(id))]);
  return result.rowCount ?? 0;
}

export async function blobTokenKey(sql: Sql, candidate: Uint8Array): Promise<Uint8Array> {
  await sql.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [BLOB_TOKEN_KEY_SETTING, Buffer.from(candidate).toString('hex')]);
  const result = await sql.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [BLOB_TOKEN_KEY_SETTING]);
  return new Uint8Array(Buffer.from(result.rows[0]!.value, 'hex'));
}

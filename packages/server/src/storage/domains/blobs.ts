/**
 * @module storage/domains/blobs
 * The files part of the storage contract: one row per encrypted file (a blob) the server holds or
 * is receiving: who reserved it, its declared size, how many of its bytes were received and made
 * durable (the acknowledged offset), when its upload token ends and when it was completed. The
 * bytes themselves live behind blobs/blob-bytes.ts; this is their bookkeeping, and the account's
 * quota is decided here, atomically with the reservation.
 */
import type { DeviceAddress } from '../types.js';

export interface NewUpload {
  readonly blobId: Uint8Array;
  readonly owner: DeviceAddress;
  /** The exact ciphertext size the upload will have. */
  readonly size: number;
  /** The upload token's end: the upload must complete before it. */
  readonly expiresAt: number;
  readonly now: number;
  /** The account's quota: its stored and reserved bytes may not go over it. */
  readonly quotaBytes: number;
}

export interface BlobRecord {
  readonly blobId: Uint8Array;
  readonly owner: DeviceAddress;
  readonly size: number;
  /** Bytes received and durable: where the next PATCH must start. */
  readonly received: number;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** When the last byte arrived; null while the upload is incomplete. */
  readonly completedAt: number | null;
}

export interface BlobReader {
  getBlob(blobId: Uint8Array): Promise<BlobRecord | undefined>;
  /**
   * The bytes the account holds or has reserved: every complete blob (until the sweep deletes
   * it) and every incomplete one whose token has not ended at `now`.
   */
  blobUsage(username: string, now: number): Promise<number>;
  /**
   * Blobs the sweep deletes, at most `max`: incomplete ones whose token ended by `now` (expiry <= now), and
   * complete ones completed before `completedBefore`.
   */
  expiredBlobs(now: number, completedBefore: number, max: number): Promise<Uint8Array[]>;
}

export interface BlobWriter {
  /**
   * Reserves the blob for `owner`. Throws QUOTA_EXCEEDED, storing nothing, when the account's
   * usage (as blobUsage counts it) plus `size` is over `quotaBytes`; decided one reservation
   * at a time per account, so two uploads cannot both take the last free bytes.
   */
  createUpload(upload: NewUpload): Promise<void>;
  /**
   * Moves the blob's acknowledged offset from `from` to `to` (to <= size), completing it when
   * `to` is its size. Compare-and-set: returns undefined, changing nothing, for an unknown or
   * complete blob, or one whose offset is not `from`.
   */
  advanceBlob(blobId: Uint8Array, from: number, to: number, now: number): Promise<BlobRecord | undefined>;
  /** Deletes the rows; returns how many there were. */
  deleteBlobs(blobIds: readonly Uint8Array[]): Promise<number>;
  /**
   * The key upload tokens are made with: the stored one, or `candidate` stored now when there is
   * none yet. Every node of a cluster gets the same key, whichever asked first.
   */
  blobTokenKey(candidate: Uint8Array): Promise<Uint8Array>;
}

export interface BlobStore extends BlobReader, BlobWriter {}

/**
 * @module storage/domains/mailboxes
 * The mailbox part of the storage contract: one row per recipient device, read
 * in seq order, deleted when acknowledged or expired.
 */
import type { DeviceAddress, MailboxEntry, MailItem, StoredMail } from '../types.js';

export interface MailboxReader {
  /** Mailbox entries of `device` with seq > `afterSeq`, oldest first. */
  readMailbox(device: DeviceAddress, afterSeq: bigint, limit: number): Promise<MailboxEntry[]>;
  countMailbox(device: DeviceAddress): Promise<number>;
}

export interface MailboxWriter {
  /** Stores `item` once for every device of the account `to` (server-authored mail: threat notices). */
  putSystemMail(to: string, item: MailItem, now: number): Promise<StoredMail>;
  /** Deletes acknowledged entries; returns how many were deleted. */
  ackMailbox(device: DeviceAddress, seqs: readonly bigint[]): Promise<number>;
  /**
   * Deletes up to `limit` mailbox entries whose `expiresAt` is at or before `now` (disappearing
   * messages); entries without expiry are never touched. Returns how many were deleted: `limit`
   * means more may be left. Idempotency keys stay until the retention sweep.
   */
  expireMail(now: number, limit: number): Promise<number>;
  /**
   * Deletes mailbox entries and idempotency keys stored before `before`, anomaly records before
   * `before` too, and contact links that expired before `now` (default: `before`); and device
   * links expired an hour before `now`, with the unlisted devices they made (storage/device-rules.ts).
   */
  expire(before: number, now?: number): Promise<{ mailbox: number }>;
}

export interface MailboxStore extends MailboxReader, MailboxWriter {}

/**
 * @module storage/sqlite/mailbox-queries
 * SqliteStore's mailbox statements: reads (answered from the mailbox tails when they can, see
 * mailbox-tails.ts), acknowledgements (staged for the tails until their commit, see
 * staged-mail.ts), server-authored mail and the expiry sweep. Writes run inside the store's group
 * commit; the store looks the device up and checks for other writers before a read, since both
 * touch its memory.
 */
import type { DeviceAddress, MailboxEntry, MailItem, StoredMail } from '../types.js';
import * as defences from './defence-queries.js';
import * as lockdown from './lockdown-queries.js';
import type { MailboxTails } from './mailbox-tails.js';
import { bytes, type SqliteRows } from './rows.js';
import type { StagedMail } from './staged-mail.js';
import type { Statements } from './statements.js';

interface MailRow {
  seq: number;
  kind: number;
  sender_username: string;
  sender_device_id: string;
  group_id: Buffer;
  message_id: Buffer;
  payload: Buffer;
  epoch: number;
  stored_at: number;
  expires_at: number | null;
}

const toMailboxEntry = (row: MailRow): MailboxEntry => ({
  seq: BigInt(row.seq),
  kind: row.kind,
  sender: { username: row.sender_username, deviceId: row.sender_device_id },
  groupId: bytes(row.group_id),
  messageId: bytes(row.message_id),
  payload: bytes(row.payload),
  epoch: BigInt(row.epoch),
  storedAt: row.stored_at,
  expiresAt: row.expires_at ?? 0,
});

/** Entries of the device `pk` after `afterSeq`: from its tail when it holds them, else from the table. */
export function readMailbox(sql: Statements, tails: MailboxTails, pk: number, afterSeq: bigint, limit: number): MailboxEntry[] {
  const remembered = tails.read(pk, afterSeq, limit);
  if (remembered) return remembered;
  // A bare `LIMIT ?` makes SQLite re-prepare the statement at every step (it plans with the bound
  // value); an expression does not.
  const rows = sql
    .prepare('SELECT * FROM mailbox WHERE device_pk = ? AND seq > ? ORDER BY seq LIMIT CAST(? AS INTEGER)')
    .all(pk, Number(afterSeq), limit) as MailRow[];
  if (rows.length < limit) tails.caughtUp(pk, rows.length > 0 ? BigInt(rows[rows.length - 1]!.seq) : afterSeq);
  return rows.map(toMailboxEntry);
}

export function countMailbox(sql: Statements, pk: number): number {
  return (sql.prepare('SELECT count(*) AS n FROM mailbox WHERE device_pk = ?').get(pk) as { n: number }).n;
}

export function putSystemMail(rows: SqliteRows, to: string, item: MailItem, now: number): StoredMail {
  rows.requireAccountId(to);
  return rows.mailToDevices(rows.deviceRows(to), item, now);
}

export function ackMailbox(rows: SqliteRows, staged: StagedMail, device: DeviceAddress, seqs: readonly bigint[]): number {
  const pk = rows.devicePk(device);
  if (pk === undefined) return 0;
  const remove = rows.sql.prepare('DELETE FROM mailbox WHERE device_pk = ? AND seq = ?');
  let deleted = 0;
  for (const seq of seqs) deleted += remove.run(pk, Number(seq)).changes;
  staged.deleted(pk, seqs);
  return deleted;
}

/**
 * The frequent sweep of disappearing messages: up to `limit` entries whose time came by `now`.
 * Their deletion is staged like an ack's, so the tails drop exactly these entries on commit and
 * keep serving the rest (clearing them all, as the retention sweep does, every minute would send
 * every online device's next read to the table).
 */
export function expireMail(rows: SqliteRows, staged: StagedMail, now: number, limit: number): number {
  const gone = rows.sql
    .prepare(
      `DELETE FROM mailbox WHERE seq IN (SELECT seq FROM mailbox WHERE expires_at <= ? LIMIT CAST(? AS INTEGER))
       RETURNING device_pk, seq`,
    )
    .all(now, limit) as { device_pk: number; seq: number }[];
  const byDevice = new Map<number, bigint[]>();
  for (const row of gone) {
    const seqs = byDevice.get(row.device_pk) ?? [];
    seqs.push(BigInt(row.seq));
    byDevice.set(row.device_pk, seqs);
  }
  for (const [pk, seqs] of byDevice) staged.deleted(pk, seqs);
  return gone.length;
}

/**
 * The expiry sweep the mailbox contract names: old mailbox entries and idempotency keys, unused
 * invites past their date, old anomaly records and expired contact links, in that order.
 */
export function expire(sql: Statements, tails: MailboxTails, before: number, now: number): { mailbox: number } {
  // Entries leave the table here that the tails would still hand out.
  tails.clear();
  const mailbox = sql.prepare('DELETE FROM mailbox WHERE stored_at < ?').run(before).changes;
  sql.prepare('DELETE FROM sent_ids WHERE stored_at < ?').run(before);
  sql.prepare('DELETE FROM invites WHERE expires_at < ? AND used_by IS NULL').run(before);
  defences.expireAnomalies(sql, before);
  lockdown.expireContactLinks(sql, now);
  return { mailbox };
}

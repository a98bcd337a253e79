/**
 * @module storage/postgres/mailbox-queries
 * PostgresStore's mailbox statements: reads and counts by device address
 * (acknowledgements are ack-batcher.ts's), server-authored mail (stored as every send is, under the
 * device row locks of queries.ts storeMail) and the expiry sweep.
 */
import type { DeviceAddress, MailboxEntry, MailItem, StoredMail } from '../types.js';
import * as defences from './defence-queries.js';
import * as lockdown from './lockdown-queries.js';
import { deviceRows, devicePkOf, mailTo, requireAccountId, toMailboxEntry, type MailRow } from './queries.js';
import type { Sql } from './transaction.js';

export async function readMailbox(sql: Sql, device: DeviceAddress, afterSeq: bigint, limit: number): Promise<MailboxEntry[]> {
  const result = await sql.query<MailRow>(
    `SELECT seq, kind, sender_username, sender_device_id, group_id, message_id, payload, epoch, stored_at, expires_at
     FROM mailbox WHERE device_pk = ${devicePkOf(1)} AND seq > $3 ORDER BY seq LIMIT $4`,
    [device.username, device.deviceId, afterSeq, limit],
  );
  return result.rows.map(toMailboxEntry);
}

export async function countMailbox(sql: Sql, device: DeviceAddress): Promise<number> {
  const result = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM mailbox WHERE device_pk = ${devicePkOf(1)}`, [
    device.username,
    device.deviceId,
  ]);
  return result.rows[0]?.n ?? 0;
}

export async function putSystemMail(sql: Sql, to: string, item: MailItem, now: number): Promise<StoredMail> {
  await requireAccountId(sql, to);
  return mailTo(sql, await deviceRows(sql, to), item, now);
}

/**
 * The frequent sweep of disappearing messages: up to `limit` entries whose time came by `now`.
 * SKIP LOCKED: every node of a cluster runs this sweep, and two runs at once take different rows
 * instead of the second waiting for the first.
 */
export async function expireMail(sql: Sql, now: number, limit: number): Promise<number> {
  const result = await sql.query(
    `DELETE FROM mailbox WHERE (device_pk, seq) IN
       (SELECT device_pk, seq FROM mailbox WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    [now, limit],
  );
  return result.rowCount ?? 0;
}

/**
 * The expiry sweep the mailbox contract names: old mailbox entries and idempotency keys, unused
 * invites past their date, old anomaly records and expired contact links, in that order.
 */
export async function expire(sql: Sql, before: number, now: number): Promise<{ mailbox: number }> {
  const mailbox = (await sql.query('DELETE FROM mailbox WHERE stored_at < $1', [before])).rowCount ?? 0;
  await sql.query('DELETE FROM sent_ids WHERE stored_at < $1', [before]);
  await sql.query('DELETE FROM invites WHERE expires_at < $1 AND used_by IS NULL', [before]);
  await defences.expireAnomalies(sql, before);
  await lockdown.expireContactLinks(sql, now);
  return { mailbox };
}

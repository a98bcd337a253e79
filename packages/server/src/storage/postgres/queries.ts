/**
 * @module storage/postgres/queries
 * Row types, their conversions and the lookups PostgresStore's methods share.
 * int8 columns arrive as strings (pg does not guess between Number and
 * BigInt): ids stay strings, epochs and seqs become bigint, times Number.
 */
import { ErrorCode } from '@sotto/protocol';
import { ServerError } from '../store.js';
import type { DeviceAddress, DeviceRecord, MailboxEntry, MailItem, StoredMail } from '../types.js';
import { prepared, type Sql } from './transaction.js';

export interface DeviceRow {
  pk: string;
  username: string;
  device_id: string;
  identity_key: Buffer;
  created_at: string;
}

export interface MailRow {
  seq: string;
  kind: number;
  sender_username: string;
  sender_device_id: string;
  group_id: Buffer;
  message_id: Buffer;
  payload: Buffer;
  epoch: string;
  stored_at: string;
  expires_at: string | null;
}

/** A key for maps of byte strings, without copying them. */
export const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

export const bytes = (buffer: Buffer): Uint8Array => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);

export const address = (row: DeviceRow): DeviceAddress => ({ username: row.username, deviceId: row.device_id });

export function toDevice(row: DeviceRow): DeviceRecord {
  return { username: row.username, deviceId: row.device_id, identityKey: bytes(row.identity_key), createdAt: Number(row.created_at) };
}

export function toMailboxEntry(row: MailRow): MailboxEntry {
  return {
    seq: BigInt(row.seq),
    kind: row.kind,
    sender: { username: row.sender_username, deviceId: row.sender_device_id },
    groupId: bytes(row.group_id),
    messageId: bytes(row.message_id),
    payload: bytes(row.payload),
    epoch: BigInt(row.epoch),
    storedAt: Number(row.stored_at),
    expiresAt: row.expires_at === null ? 0 : Number(row.expires_at),
  };
}

const DEVICE_COLUMNS = 'd.pk, a.username, d.device_id, d.identity_key, d.created_at';

/** Subquery naming a device's pk from ($n, $n+1) = (username, device id). */
export const devicePkOf = (n: number): string =>
  `(SELECT d.pk FROM devices d JOIN accounts a ON a.id = d.account_id WHERE a.username = $${n} AND d.device_id = $${n + 1})`;

export async function accountId(sql: Sql, username: string): Promise<string | undefined> {
  return (await sql.query<{ id: string }>('SELECT id FROM accounts WHERE username = $1', [username])).rows[0]?.id;
}

export async function requireAccountId(sql: Sql, username: string): Promise<string> {
  const id = await accountId(sql, username);
  if (id === undefined) throw new ServerError(ErrorCode.UNKNOWN_ACCOUNT);
  return id;
}

export async function deviceRow(sql: Sql, device: DeviceAddress): Promise<DeviceRow | undefined> {
  const result = await sql.query<DeviceRow>(
    `SELECT ${DEVICE_COLUMNS} FROM devices d JOIN accounts a ON a.id = d.account_id WHERE a.username = $1 AND d.device_id = $2`,
    [device.username, device.deviceId],
  );
  return result.rows[0];
}

export async function requireDevice(sql: Sql, device: DeviceAddress): Promise<DeviceRow> {
  const row = await deviceRow(sql, device);
  if (!row) throw new ServerError(ErrorCode.UNKNOWN_DEVICE);
  return row;
}

export async function deviceRows(sql: Sql, username: string): Promise<DeviceRow[]> {
  const result = await sql.query<DeviceRow>(
    `SELECT ${DEVICE_COLUMNS} FROM devices d JOIN accounts a ON a.id = d.account_id WHERE a.username = $1 ORDER BY d.pk`,
    [username],
  );
  return result.rows;
}

export async function memberRows(sql: Sql, groupId: Uint8Array): Promise<DeviceRow[]> {
  const result = await sql.query<DeviceRow>(
    `SELECT ${DEVICE_COLUMNS}
     FROM group_members m JOIN devices d ON d.pk = m.device_pk JOIN accounts a ON a.id = d.account_id
     WHERE m.group_id = $1 ORDER BY d.pk`,
    [groupId],
  );
  return result.rows;
}

/**
 * Idempotency per (sender, message id), for many claims in one statement: for each claim in order,
 * the time it was stored before, or undefined when this claim recorded it. A repeat inside the
 * batch is a duplicate of the first, as it would be one statement later. A concurrent insert of the
 * same key waits for the other transaction, so exactly one of two racing retries stores it.
 */
export async function claimMessageIds(
  sql: Sql,
  claims: readonly { senderPk: string; messageId: Uint8Array; now: number; recipients: number }[],
): Promise<(number | undefined)[]> {
  if (claims.length === 0) return [];
  const inserted = await sql.query<{ sender_pk: string; message_id: Buffer }>(prepared(
    'claim_message_ids',
    `INSERT INTO sent_ids (sender_pk, message_id, stored_at, recipients)
     SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::bigint[], $4::int[])
     ON CONFLICT DO NOTHING RETURNING sender_pk, message_id`,
    [claims.map((c) => c.senderPk), claims.map((c) => c.messageId), claims.map((c) => c.now), claims.map((c) => c.recipients)],
  ));
  const claimKey = (senderPk: string, messageId: Uint8Array) => `${senderPk}:${hex(messageId)}`;
  const fresh = new Set(inserted.rows.map((row) => claimKey(row.sender_pk, row.message_id)));
  const lost = claims.filter((c) => !fresh.has(claimKey(c.senderPk, c.messageId)));
  const storedAt = new Map<string, number>();
  if (lost.length > 0) {
    const seen = await sql.query<{ sender_pk: string; message_id: Buffer; stored_at: string }>(
      `SELECT s.sender_pk, s.message_id, s.stored_at FROM sent_ids s
       JOIN unnest($1::bigint[], $2::bytea[]) AS w(sender_pk, message_id) ON s.sender_pk = w.sender_pk AND s.message_id = w.message_id`,
      [lost.map((c) => c.senderPk), lost.map((c) => c.messageId)],
    );
    for (const row of seen.rows) storedAt.set(claimKey(row.sender_pk, row.message_id), Number(row.stored_at));
  }
  // The first claim of a key this batch inserted is the fresh one; any later claim of it is a duplicate.
  return claims.map((c) => {
    const key = claimKey(c.senderPk, c.messageId);
    if (fresh.delete(key)) {
      storedAt.set(key, c.now);
      return undefined;
    }
    return storedAt.get(key) ?? c.now;
  });
}

export interface Delivery {
  readonly devices: readonly DeviceRow[];
  readonly item: MailItem;
  /** When it was stored; default storeMail's `now` (a batch of sends keeps each send's own time). */
  readonly storedAt?: number;
}

/** Where one delivery's copies went: its recipients, and the mailbox seq each one's copy got. */
export interface Copies {
  readonly recipients: DeviceAddress[];
  /** In `recipients`' order. */
  readonly seqs: bigint[];
}

/**
 * Appends each delivery's item to its devices' mailboxes; returns each delivery's copies, in
 * delivery order.
 *
 * Seqs come from each device's own counter, bumped under the device's row
 * lock held to COMMIT: a second writer to the same device waits, so per device
 * seqs commit, and become visible, in increasing order and a reader at
 * `seq > cursor` never skips one. All of a transaction's device locks are
 * taken in this one statement, in pk order, so fan-outs over overlapping
 * devices cannot deadlock. The counters and every row are then written by one
 * more statement, whatever the number of deliveries: two round trips for a batch
 * of sends as for one.
 */
export async function storeMailEach(sql: Sql, deliveries: readonly Delivery[], now: number): Promise<Copies[]> {
  const counts = new Map<string, number>();
  for (const { devices } of deliveries) for (const row of devices) counts.set(row.pk, (counts.get(row.pk) ?? 0) + 1);
  if (counts.size === 0) return deliveries.map(() => ({ recipients: [], seqs: [] }));
  const pks = [...counts.keys()];
  await sql.query(prepared('mail_lock_devices', 'SELECT pk FROM devices WHERE pk = ANY($1::bigint[]) ORDER BY pk FOR NO KEY UPDATE', [pks]));
  // Rows name their item by its 1-based place in the item arrays: each payload travels once, not once
  // per recipient. A device's rows take the seqs after its counter's old value in row order, which is
  // delivery order; the counter moves by as many, in the same statement.
  const rows = { pk: [] as string[], item: [] as number[] };
  const items = deliveries.filter((d) => d.devices.length > 0);
  items.forEach(({ devices }, index) => {
    for (const row of devices) {
      rows.pk.push(row.pk);
      rows.item.push(index + 1);
    }
  });
  const inserted = await sql.query<{ device_pk: string; seq: string }>(prepared(
    'mail_insert',
    `WITH bumped AS (
       UPDATE devices d SET next_seq = d.next_seq + v.n
       FROM unnest($1::bigint[], $2::int[]) AS v(pk, n) WHERE d.pk = v.pk
       RETURNING d.pk, d.next_seq - v.n AS before
     ), numbered AS (
       SELECT r.pk, r.item, b.before + row_number() OVER (PARTITION BY r.pk ORDER BY r.ord) AS seq
       FROM unnest($3::bigint[], $4::int[]) WITH ORDINALITY AS r(pk, item, ord) JOIN bumped b ON b.pk = r.pk
     )
     INSERT INTO mailbox (device_pk, seq, kind, sender_username, sender_device_id, group_id, message_id, payload, epoch, stored_at, expires_at)
     SELECT n.pk, n.seq, i.kind, i.sender_username, i.sender_device_id, i.group_id, i.message_id, i.payload, i.epoch, i.stored_at, i.expires_at
     FROM numbered n
     JOIN unnest($5::int[], $6::text[], $7::text[], $8::bytea[], $9::bytea[], $10::bytea[], $11::bigint[], $12::bigint[], $13::bigint[])
       WITH ORDINALITY AS i(kind, sender_username, sender_device_id, group_id, message_id, payload, epoch, stored_at, expires_at, item)
       ON i.item = n.item
     RETURNING device_pk, seq`,
    [
      pks,
      pks.map((pk) => counts.get(pk)),
      rows.pk,
      rows.item,
      items.map((d) => d.item.kind),
      items.map((d) => d.item.sender.username),
      items.map((d) => d.item.sender.deviceId),
      items.map((d) => d.item.groupId),
      items.map((d) => d.item.messageId),
      items.map((d) => d.item.payload),
      items.map((d) => d.item.epoch),
      items.map((d) => d.storedAt ?? now),
      items.map((d) => d.item.expiresAt || null),
    ],
  ));
  // RETURNING's order is not the rows' order; per device, though, the seqs ascend in row order.
  const seqsOf = new Map<string, bigint[]>();
  for (const row of inserted.rows) {
    const seqs = seqsOf.get(row.device_pk) ?? [];
    seqs.push(BigInt(row.seq));
    seqsOf.set(row.device_pk, seqs);
  }
  for (const seqs of seqsOf.values()) seqs.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  // A device deleted after its membership was read (a device list published meanwhile) had no
  // counter to bump, so it got no row: it is left out of the copies, as it is of the mailbox.
  const taken = new Map<string, number>();
  return deliveries.map(({ devices }) => {
    const copies: Copies = { recipients: [], seqs: [] };
    for (const row of devices) {
      const nth = taken.get(row.pk) ?? 0;
      const seq = seqsOf.get(row.pk)?.[nth];
      if (seq === undefined) continue;
      taken.set(row.pk, nth + 1);
      copies.recipients.push(address(row));
      copies.seqs.push(seq);
    }
    return copies;
  });
}

/** storeMail for deliveries whose recipients are told together: every recipient, in delivery order. */
export async function storeMail(sql: Sql, deliveries: readonly Delivery[], now: number): Promise<DeviceAddress[]> {
  return (await storeMailEach(sql, deliveries, now)).flatMap((copies) => copies.recipients);
}

/** Stores one item for `devices` (see storeMail) as a fresh, non-duplicate result. */
export async function mailTo(sql: Sql, devices: readonly DeviceRow[], item: MailItem, now: number): Promise<StoredMail> {
  return { storedAt: now, duplicate: false, recipients: await storeMail(sql, [{ devices, item }], now) };
}

/**
 * @module storage/sqlite/device-queries
 * SqliteStore's linked-device statements, each write inside the store's group commit: device
 * links (opened, used once, the bundle routed once), the signed device lists, and deleting the
 * devices a list leaves out. The rules are storage/device-rules.ts's, shared with PostgreSQL.
 *
 * Deleting a device clears every row keyed by its pk (key packages, mail, group members, sent
 * ids, links) and the store's memory of it, because SQLite may give a later device the same pk
 * when the deleted one had the highest.
 */
import { DeliveryKind } from '@sotto/protocol';
import type { LinkMail, NewDeviceList, NewLinkedDevice, StoredDeviceList, UsedDeviceLink } from '../domains/devices.js';
import { checkBundle, checkDeviceLimit, checkLinkUsable, linkInvalid, linkMail, planPublish, UNLISTED_DEVICE_GRACE_MS } from '../device-rules.js';
import type { DeviceAddress, DeviceRecord, StoredMail } from '../types.js';
import type { DeviceRow } from './routing-cache.js';
import { bytes, deviceAddress, type SqliteRows } from './rows.js';
import type { StagedMail } from './staged-mail.js';

/** What deleting devices must also forget: the store's memory (routing cache, mailbox tails). */
export interface DeviceMemory {
  readonly staged: StagedMail;
  forget(): void;
}

export function isDeviceListed(rows: SqliteRows, device: DeviceAddress): boolean {
  const pk = rows.devicePk(device);
  if (pk === undefined) return false;
  return (rows.sql.prepare('SELECT listed FROM devices WHERE pk = ?').get(pk) as { listed: number } | undefined)?.listed === 1;
}

export function listedRows(rows: SqliteRows, username: string): DeviceRow[] {
  return rows.sql
    .prepare(
      `SELECT d.pk, a.username, d.device_id, d.identity_key, d.created_at
       FROM devices d JOIN accounts a ON a.id = d.account_id
       WHERE a.username = ? AND d.listed = 1 ORDER BY d.pk`,
    )
    .all(username) as DeviceRow[];
}

export function listedDevices(rows: SqliteRows, username: string): DeviceRecord[] {
  return listedRows(rows, username).map((row) => rows.toDevice(row));
}

export function newestDeviceListVersion(rows: SqliteRows, username: string): bigint {
  const row = rows.sql
    .prepare('SELECT max(l.version) AS v FROM device_lists l JOIN accounts a ON a.id = l.account_id WHERE a.username = ?')
    .get(username) as { v: number | null };
  return BigInt(row.v ?? 0);
}

export function deviceLists(rows: SqliteRows, username: string, afterVersion: bigint, max: number): StoredDeviceList[] {
  const found = (
    afterVersion === 0n
      ? rows.sql
          .prepare('SELECT l.version, l.signed FROM device_lists l JOIN accounts a ON a.id = l.account_id WHERE a.username = ? ORDER BY l.version DESC LIMIT 1')
          .all(username)
      : rows.sql
          .prepare(
            'SELECT l.version, l.signed FROM device_lists l JOIN accounts a ON a.id = l.account_id WHERE a.username = ? AND l.version > ? ORDER BY l.version LIMIT ?',
          )
          .all(username, Number(afterVersion), max)
  ) as { version: number; signed: Buffer }[];
  return found.map((row) => ({ version: BigInt(row.version), signed: bytes(row.signed) }));
}

export function linkedDevice(rows: SqliteRows, linkId: Uint8Array): { creator: DeviceAddress; device: DeviceAddress } | undefined {
  const row = rows.sql
    .prepare(
      `SELECT a.username, c.device_id AS creator, n.device_id AS device FROM device_links l
       JOIN accounts a ON a.id = l.account_id JOIN devices c ON c.pk = l.creator_pk JOIN devices n ON n.pk = l.linked_pk
       WHERE l.link_id = ?`,
    )
    .get(linkId) as { username: string; creator: string; device: string } | undefined;
  return row && { creator: { username: row.username, deviceId: row.creator }, device: { username: row.username, deviceId: row.device } };
}

export function createDeviceLink(rows: SqliteRows, creator: DeviceAddress, linkId: Uint8Array, expiresAt: number, now: number): void {
  const creatorPk = rows.requireDevicePk(creator);
  const accountId = rows.requireAccountId(creator.username);
  const devices = (rows.sql.prepare('SELECT count(*) AS n FROM devices WHERE account_id = ?').get(accountId) as { n: number }).n;
  const links = (
    rows.sql.prepare('SELECT count(*) AS n FROM device_links WHERE account_id = ? AND used_at IS NULL AND expires_at > ?').get(accountId, now) as { n: number }
  ).n;
  checkDeviceLimit(devices, links);
  rows.sql
    .prepare('INSERT INTO device_links (link_id, account_id, creator_pk, created_at, expires_at) VALUES (?, ?, ?, ?, ?)')
    .run(linkId, accountId, creatorPk, now, expiresAt);
}

export function useDeviceLink(rows: SqliteRows, linkId: Uint8Array, device: NewLinkedDevice, request: LinkMail, now: number): UsedDeviceLink {
  const link = rows.sql
    .prepare(
      `SELECT l.account_id, l.creator_pk, l.expires_at, l.used_at, a.username, c.device_id AS creator
       FROM device_links l JOIN accounts a ON a.id = l.account_id JOIN devices c ON c.pk = l.creator_pk WHERE l.link_id = ?`,
    )
    .get(linkId) as { account_id: number; creator_pk: number; expires_at: number; used_at: number | null; username: string; creator: string } | undefined;
  checkLinkUsable(link && { expiresAt: link.expires_at, usedAt: link.used_at }, now);
  const { account_id, creator_pk, username, creator } = link!;
  const pk = Number(
    rows.sql
      .prepare('INSERT INTO devices (account_id, device_id, identity_key, created_at, listed) VALUES (?, ?, ?, ?, 0)')
      .run(account_id, device.deviceId, device.identityKey, now).lastInsertRowid,
  );
  rows.sql.prepare('UPDATE device_links SET used_at = ?, linked_pk = ? WHERE link_id = ?').run(now, pk, linkId);
  const sender = { username, deviceId: device.deviceId };
  const mail = rows.mailToDevices([{ pk: creator_pk, username, device_id: creator }], linkMail(DeliveryKind.DEVICE_LINK_REQUEST, sender, request), now);
  return { username, creator: { username, deviceId: creator }, mail };
}

export function deliverLinkBundle(rows: SqliteRows, creator: DeviceAddress, linkId: Uint8Array, bundle: LinkMail, now: number): StoredMail {
  const link = rows.sql.prepare('SELECT creator_pk, linked_pk, bundle_at FROM device_links WHERE link_id = ?').get(linkId) as
    | { creator_pk: number; linked_pk: number | null; bundle_at: number | null }
    | undefined;
  const target = checkBundle(link && { creatorPk: link.creator_pk, linkedPk: link.linked_pk, bundleAt: link.bundle_at }, rows.deviceRow(creator)?.pk);
  const device = rows.sql.prepare('SELECT device_id FROM devices WHERE pk = ?').get(target) as { device_id: string } | undefined;
  if (!device) throw linkInvalid();
  rows.sql.prepare('UPDATE device_links SET bundle_at = ? WHERE link_id = ?').run(now, linkId);
  return rows.mailToDevices([{ pk: target, username: creator.username, device_id: device.device_id }], linkMail(DeliveryKind.DEVICE_LINK_BUNDLE, creator, bundle), now);
}

export function publishDeviceList(rows: SqliteRows, memory: DeviceMemory, list: NewDeviceList): DeviceAddress[] {
  const accountId = rows.requireAccountId(list.username);
  const devices = rows.deviceRows(list.username);
  const plan = planPublish(
    newestDeviceListVersion(rows, list.username),
    list,
    devices.map((row) => ({ ...row, deviceId: row.device_id, identityKey: row.identity_key })),
  );
  rows.sql.prepare('INSERT INTO device_lists (account_id, version, signed, stored_at) VALUES (?, ?, ?, ?)').run(accountId, Number(list.version), list.signed, list.now);
  const mark = rows.sql.prepare('UPDATE devices SET listed = 1 WHERE pk = ?');
  for (const row of plan.list) mark.run(row.pk);
  deleteDevices(rows, memory, plan.remove.map((row) => row.pk));
  return plan.remove.map(deviceAddress);
}

/** Deletes devices and everything keyed by their pks (see the module comment). */
export function deleteDevices(rows: SqliteRows, memory: DeviceMemory, pks: readonly number[]): void {
  if (pks.length === 0) return;
  for (const pk of pks) {
    const seqs = (rows.sql.prepare('SELECT seq FROM mailbox WHERE device_pk = ?').all(pk) as { seq: number }[]).map((r) => BigInt(r.seq));
    rows.sql.prepare('DELETE FROM mailbox WHERE device_pk = ?').run(pk);
    // Mail staged for it earlier in this group commit must not reach a tail a later device could inherit.
    memory.staged.deleted(pk, seqs);
    rows.sql.prepare('DELETE FROM key_packages WHERE device_pk = ?').run(pk);
    rows.sql.prepare('DELETE FROM group_members WHERE device_pk = ?').run(pk);
    rows.sql.prepare('UPDATE groups SET creator_pk = NULL WHERE creator_pk = ?').run(pk);
    rows.sql.prepare('DELETE FROM sent_ids WHERE sender_pk = ?').run(pk);
    rows.sql.prepare('DELETE FROM device_links WHERE creator_pk = ? OR linked_pk = ?').run(pk, pk);
    rows.sql.prepare('DELETE FROM push_subscriptions WHERE device_pk = ?').run(pk);
    rows.sql.prepare('DELETE FROM devices WHERE pk = ?').run(pk);
  }
  memory.forget();
}

/**
 * The sweep: unlisted devices whose link expired more than UNLISTED_DEVICE_GRACE_MS ago (or that
 * lost their link), then links expired that long ago, used or not. Returns the devices deleted.
 */
export function expireDeviceLinks(rows: SqliteRows, memory: DeviceMemory, now: number): number {
  const cutoff = now - UNLISTED_DEVICE_GRACE_MS;
  const stale = (
    rows.sql
      .prepare(
        `SELECT d.pk FROM devices d WHERE d.listed = 0 AND d.created_at < ?
         AND NOT EXISTS (SELECT 1 FROM device_links l WHERE l.linked_pk = d.pk AND l.expires_at >= ?)`,
      )
      .all(cutoff, cutoff) as { pk: number }[]
  ).map((row) => row.pk);
  deleteDevices(rows, memory, stale);
  rows.sql.prepare('DELETE FROM device_links WHERE expires_at < ?').run(cutoff);
  return stale.length;
}

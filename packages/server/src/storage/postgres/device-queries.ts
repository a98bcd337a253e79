/**
 * @module storage/postgres/device-queries
 * PostgresStore's linked-device statements, each write in the caller's transaction and safe
 * against another node doing the same: opening a link and publishing a list lock the account
 * row (so two links cannot both take the last free slot, and two lists cannot both follow the
 * same version), using a link and routing its bundle lock the link row. The rules are
 * storage/device-rules.ts's, shared with SQLite.
 */
import { DeliveryKind } from '@sotto/protocol';
import type { LinkMail, NewDeviceList, NewLinkedDevice, StoredDeviceList, UsedDeviceLink } from '../domains/devices.js';
import { checkBundle, checkDeviceLimit, checkLinkUsable, linkInvalid, linkMail, planPublish, UNLISTED_DEVICE_GRACE_MS } from '../device-rules.js';
import type { DeviceAddress, DeviceRecord, StoredMail } from '../types.js';
import { address, bytes, deviceRows, mailTo, requireAccountId, requireDevice, toDevice, type DeviceRow } from './queries.js';
import type { Sql } from './transaction.js';

const DEVICE_COLUMNS = 'd.pk, a.username, d.device_id, d.identity_key, d.created_at';

export async function isDeviceListed(sql: Sql, device: DeviceAddress): Promise<boolean> {
  const result = await sql.query<{ listed: boolean }>(
    'SELECT d.listed FROM devices d JOIN accounts a ON a.id = d.account_id WHERE a.username = $1 AND d.device_id = $2',
    [device.username, device.deviceId],
  );
  return result.rows[0]?.listed === true;
}

export async function listedRows(sql: Sql, username: string): Promise<DeviceRow[]> {
  const result = await sql.query<DeviceRow>(
    `SELECT ${DEVICE_COLUMNS} FROM devices d JOIN accounts a ON a.id = d.account_id WHERE a.username = $1 AND d.listed ORDER BY d.pk`,
    [username],
  );
  return result.rows;
}

export async function listedDevices(sql: Sql, username: string): Promise<DeviceRecord[]> {
  return (await listedRows(sql, username)).map(toDevice);
}

export async function newestDeviceListVersion(sql: Sql, username: string): Promise<bigint> {
  const result = await sql.query<{ v: string | null }>(
    'SELECT max(l.version) AS v FROM device_lists l JOIN accounts a ON a.id = l.account_id WHERE a.username = $1',
    [username],
  );
  return BigInt(result.rows[0]?.v ?? 0);
}

export async function deviceLists(sql: Sql, username: string, afterVersion: bigint, max: number): Promise<StoredDeviceList[]> {
  const result =
    afterVersion === 0n
      ? await sql.query<{ version: string; signed: Buffer }>(
          'SELECT l.version, l.signed FROM device_lists l JOIN accounts a ON a.id = l.account_id WHERE a.username = $1 ORDER BY l.version DESC LIMIT 1',
          [username],
        )
      : await sql.query<{ version: string; signed: Buffer }>(
          'SELECT l.version, l.signed FROM device_lists l JOIN accounts a ON a.id = l.account_id WHERE a.username = $1 AND l.version > $2 ORDER BY l.version LIMIT $3',
          [username, afterVersion, max],
        );
  return result.rows.map((row) => ({ version: BigInt(row.version), signed: bytes(row.signed) }));
}

export async function linkedDevice(sql: Sql, linkId: Uint8Array): Promise<{ creator: DeviceAddress; device: DeviceAddress } | undefined> {
  const result = await sql.query<{ username: string; creator: string; device: string }>(
    `SELECT a.username, c.device_id AS creator, n.device_id AS device FROM device_links l
     JOIN accounts a ON a.id = l.account_id JOIN devices c ON c.pk = l.creator_pk JOIN devices n ON n.pk = l.linked_pk
     WHERE l.link_id = $1`,
    [linkId],
  );
  const row = result.rows[0];
  return row && { creator: { username: row.username, deviceId: row.creator }, device: { username: row.username, deviceId: row.device } };
}

/** Locks the account row: device links and lists of one account are decided one at a time. */
async function lockAccount(sql: Sql, username: string): Promise<string> {
  const id = await requireAccountId(sql, username);
  await sql.query('SELECT id FROM accounts WHERE id = $1 FOR UPDATE', [id]);
  return id;
}

export async function createDeviceLink(sql: Sql, creator: DeviceAddress, linkId: Uint8Array, expiresAt: number, now: number): Promise<void> {
  const device = await requireDevice(sql, creator);
  const accountId = await lockAccount(sql, creator.username);
  const counts = await sql.query<{ devices: number; links: number }>(
    `SELECT (SELECT count(*)::int FROM devices WHERE account_id = $1) AS devices,
            (SELECT count(*)::int FROM device_links WHERE account_id = $1 AND used_at IS NULL AND expires_at > $2) AS links`,
    [accountId, now],
  );
  checkDeviceLimit(counts.rows[0]!.devices, counts.rows[0]!.links);
  await sql.query('INSERT INTO device_links (link_id, account_id, creator_pk, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [
    linkId,
    accountId,
    device.pk,
    now,
    expiresAt,
  ]);
}

export async function useDeviceLink(sql: Sql, linkId: Uint8Array, device: NewLinkedDevice, request: LinkMail, now: number): Promise<UsedDeviceLink> {
  // FOR UPDATE OF l: a second use of the same link on any node waits here, then finds it used.
  const found = await sql.query<{ account_id: string; creator_pk: string; expires_at: string; used_at: string | null }>(
    'SELECT l.account_id, l.creator_pk, l.expires_at, l.used_at FROM device_links l WHERE l.link_id = $1 FOR UPDATE OF l',
    [linkId],
  );
  const link = found.rows[0];
  checkLinkUsable(link && { expiresAt: Number(link.expires_at), usedAt: link.used_at === null ? null : Number(link.used_at) }, now);
  const creator = (
    await sql.query<DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM devices d JOIN accounts a ON a.id = d.account_id WHERE d.pk = $1`, [link!.creator_pk])
  ).rows[0];
  if (!creator) throw linkInvalid();
  const inserted = await sql.query<{ pk: string }>(
    'INSERT INTO devices (account_id, device_id, identity_key, created_at, listed) VALUES ($1, $2, $3, $4, FALSE) RETURNING pk',
    [link!.account_id, device.deviceId, device.identityKey, now],
  );
  await sql.query('UPDATE device_links SET used_at = $1, linked_pk = $2 WHERE link_id = $3', [now, inserted.rows[0]!.pk, linkId]);
  const sender = { username: creator.username, deviceId: device.deviceId };
  const mail = await mailTo(sql, [creator], linkMail(DeliveryKind.DEVICE_LINK_REQUEST, sender, request), now);
  return { username: creator.username, creator: address(creator), mail };
}

export async function deliverLinkBundle(sql: Sql, creator: DeviceAddress, linkId: Uint8Array, bundle: LinkMail, now: number): Promise<StoredMail> {
  const found = await sql.query<{ creator_pk: string; linked_pk: string | null; bundle_at: string | null }>(
    'SELECT creator_pk, linked_pk, bundle_at FROM device_links WHERE link_id = $1 FOR UPDATE',
    [linkId],
  );
  const link = found.rows[0];
  const sender = (await deviceRows(sql, creator.username)).find((row) => row.device_id === creator.deviceId);
  const target = checkBundle(link && { creatorPk: link.creator_pk, linkedPk: link.linked_pk, bundleAt: link.bundle_at === null ? null : Number(link.bundle_at) }, sender?.pk);
  const device = (await sql.query<DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM devices d JOIN accounts a ON a.id = d.account_id WHERE d.pk = $1`, [target])).rows[0];
  if (!device) throw linkInvalid();
  await sql.query('UPDATE device_links SET bundle_at = $1 WHERE link_id = $2', [now, linkId]);
  return mailTo(sql, [device], linkMail(DeliveryKind.DEVICE_LINK_BUNDLE, creator, bundle), now);
}

export async function publishDeviceList(sql: Sql, list: NewDeviceList): Promise<DeviceAddress[]> {
  const accountId = await lockAccount(sql, list.username);
  const devices = await deviceRows(sql, list.username);
  const plan = planPublish(
    await newestDeviceListVersion(sql, list.username),
    list,
    devices.map((row) => ({ ...row, deviceId: row.device_id, identityKey: bytes(row.identity_key) })),
  );
  await sql.query('INSERT INTO device_lists (account_id, version, signed, stored_at) VALUES ($1, $2, $3, $4)', [accountId, list.version, list.signed, list.now]);
  await sql.query('UPDATE devices SET listed = TRUE WHERE pk = ANY($1::bigint[])', [plan.list.map((row) => row.pk)]);
  await deleteDevices(sql, plan.remove.map((row) => row.pk));
  return plan.remove.map(address);
}

/** Deletes devices and every row that names them: key packages, mail, group members, sent ids, links, push subscriptions. */
export async function deleteDevices(sql: Sql, pks: readonly string[]): Promise<void> {
  if (pks.length === 0) return;
  const all = [pks];
  // The device rows first, locked in pk order as storeMail locks them, so a send racing on another node waits or misses them.
  await sql.query('SELECT pk FROM devices WHERE pk = ANY($1::bigint[]) ORDER BY pk FOR UPDATE', all);
  await sql.query('DELETE FROM mailbox WHERE device_pk = ANY($1::bigint[])', all);
  await sql.query('DELETE FROM key_packages WHERE device_pk = ANY($1::bigint[])', all);
  await sql.query('DELETE FROM group_members WHERE device_pk = ANY($1::bigint[])', all);
  await sql.query('UPDATE groups SET creator_pk = NULL WHERE creator_pk = ANY($1::bigint[])', all);
  await sql.query('DELETE FROM sent_ids WHERE sender_pk = ANY($1::bigint[])', all);
  await sql.query('DELETE FROM device_links WHERE creator_pk = ANY($1::bigint[]) OR linked_pk = ANY($1::bigint[])', all);
  await sql.query('DELETE FROM push_subscriptions WHERE device_pk = ANY($1::bigint[])', all);
  await sql.query('DELETE FROM devices WHERE pk = ANY($1::bigint[])', all);
}

/** The sweep, as SQLite's expireDeviceLinks: stale unlisted devices, then links expired long enough. */
export async function expireDeviceLinks(sql: Sql, now: number): Promise<number> {
  const cutoff = now - UNLISTED_DEVICE_GRACE_MS;
  const stale = await sql.query<{ pk: string }>(
    `SELECT d.pk FROM devices d WHERE NOT d.listed AND d.created_at < $1
     AND NOT EXISTS (SELECT 1 FROM device_links l WHERE l.linked_pk = d.pk AND l.expires_at >= $1)`,
    [cutoff],
  );
  await deleteDevices(sql, stale.rows.map((row) => row.pk));
  await sql.query('DELETE FROM device_links WHERE expires_at < $1', [cutoff]);
  return stale.rows.length;
}

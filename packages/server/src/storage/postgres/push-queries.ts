/**
 * @module storage/postgres/push-queries
 * PostgresStore's Web Push statements. Claiming a push locks the subscription row, so two nodes
 * storing mail for the same device at once cannot both push; the pacing is storage/push-rules.ts's,
 * shared with SQLite.
 */
import type { PushPacing, PushSubscriptionRecord, VapidKeyPair } from '../domains/push.js';
import { decodeVapidKeys, encodeVapidKeys, planPush, VAPID_KEYS_SETTING } from '../push-rules.js';
import type { DeviceAddress } from '../types.js';
import { bytes, deviceRow, requireDevice } from './queries.js';
import type { Sql } from './transaction.js';

interface SubscriptionRow {
  endpoint: string;
  p256dh: Buffer;
  auth: Buffer;
  last_push_at: string;
  window_start: string;
  window_count: number;
}

const toRecord = (row: SubscriptionRow): PushSubscriptionRecord => ({ endpoint: row.endpoint, p256dh: bytes(row.p256dh), auth: bytes(row.auth) });

const SUBSCRIPTION_OF_DEVICE = `
  SELECT s.endpoint, s.p256dh, s.auth, s.last_push_at, s.window_start, s.window_count
  FROM push_subscriptions s JOIN devices d ON d.pk = s.device_pk JOIN accounts a ON a.id = d.account_id
  WHERE a.username = $1 AND d.device_id = $2`;

export async function getPushSubscription(sql: Sql, device: DeviceAddress): Promise<PushSubscriptionRecord | undefined> {
  const row = (await sql.query<SubscriptionRow>(SUBSCRIPTION_OF_DEVICE, [device.username, device.deviceId])).rows[0];
  return row && toRecord(row);
}

export async function setPushSubscription(sql: Sql, device: DeviceAddress, subscription: PushSubscriptionRecord, now: number): Promise<void> {
  const row = await requireDevice(sql, device);
  await sql.query(
    `INSERT INTO push_subscriptions (device_pk, endpoint, p256dh, auth, created_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (device_pk) DO UPDATE SET endpoint = excluded.endpoint, p256dh = excluded.p256dh, auth = excluded.auth, created_at = excluded.created_at`,
    [row.pk, subscription.endpoint, subscription.p256dh, subscription.auth, now],
  );
}

export async function deletePushSubscription(sql: Sql, device: DeviceAddress, endpoint?: string): Promise<boolean> {
  const row = await deviceRow(sql, device);
  if (!row) return false;
  const result =
    endpoint === undefined
      ? await sql.query('DELETE FROM push_subscriptions WHERE device_pk = $1', [row.pk])
      : await sql.query('DELETE FROM push_subscriptions WHERE device_pk = $1 AND endpoint = $2', [row.pk, endpoint]);
  return (result.rowCount ?? 0) > 0;
}

/** Inside a transaction: the row is locked from the read to the write. */
export async function claimPush(sql: Sql, device: DeviceAddress, now: number, pacing: PushPacing): Promise<PushSubscriptionRecord | undefined> {
  const row = (await sql.query<SubscriptionRow & { device_pk: string }>(`${SUBSCRIPTION_OF_DEVICE.replace('SELECT ', 'SELECT s.device_pk, ')} FOR UPDATE OF s`, [
    device.username,
    device.deviceId,
  ])).rows[0];
  if (!row) return undefined;
  const next = planPush({ lastPushAt: Number(row.last_push_at), windowStart: Number(row.window_start), windowCount: row.window_count }, now, pacing);
  if (!next) return undefined;
  await sql.query('UPDATE push_subscriptions SET last_push_at = $1, window_start = $2, window_count = $3 WHERE device_pk = $4', [
    next.lastPushAt,
    next.windowStart,
    next.windowCount,
    row.device_pk,
  ]);
  return toRecord(row);
}

export async function vapidKeyPair(sql: Sql, candidate: VapidKeyPair): Promise<VapidKeyPair> {
  await sql.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [VAPID_KEYS_SETTING, encodeVapidKeys(candidate)]);
  const result = await sql.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [VAPID_KEYS_SETTING]);
  return decodeVapidKeys(result.rows[0]!.value);
}

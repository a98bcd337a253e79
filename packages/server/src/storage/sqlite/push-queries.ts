/**
 * @module storage/sqlite/push-queries
 * SqliteStore's Web Push statements, each write inside the store's group commit (one writer, so
 * reading a subscription's tally and writing the next one cannot interleave with another push).
 * The pacing is storage/push-rules.ts's, shared with PostgreSQL.
 */
import type { PushPacing, PushSubscriptionRecord, VapidKeyPair } from '../domains/push.js';
import { decodeVapidKeys, encodeVapidKeys, planPush, VAPID_KEYS_SETTING } from '../push-rules.js';
import type { DeviceAddress } from '../types.js';
import { bytes, type SqliteRows } from './rows.js';

interface SubscriptionRow {
  endpoint: string;
  p256dh: Buffer;
  auth: Buffer;
  last_push_at: number;
  window_start: number;
  window_count: number;
}

const toRecord = (row: SubscriptionRow): PushSubscriptionRecord => ({ endpoint: row.endpoint, p256dh: bytes(row.p256dh), auth: bytes(row.auth) });

function subscriptionRow(rows: SqliteRows, pk: number): SubscriptionRow | undefined {
  return rows.sql
    .prepare('SELECT endpoint, p256dh, auth, last_push_at, window_start, window_count FROM push_subscriptions WHERE device_pk = ?')
    .get(pk) as SubscriptionRow | undefined;
}

export function getPushSubscription(rows: SqliteRows, device: DeviceAddress): PushSubscriptionRecord | undefined {
  const pk = rows.devicePk(device);
  const row = pk === undefined ? undefined : subscriptionRow(rows, pk);
  return row && toRecord(row);
}

export function setPushSubscription(rows: SqliteRows, device: DeviceAddress, subscription: PushSubscriptionRecord, now: number): void {
  const pk = rows.requireDevicePk(device);
  rows.sql
    .prepare(
      `INSERT INTO push_subscriptions (device_pk, endpoint, p256dh, auth, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (device_pk) DO UPDATE SET endpoint = excluded.endpoint, p256dh = excluded.p256dh, auth = excluded.auth, created_at = excluded.created_at`,
    )
    .run(pk, subscription.endpoint, subscription.p256dh, subscription.auth, now);
}

export function deletePushSubscription(rows: SqliteRows, device: DeviceAddress, endpoint?: string): boolean {
  const pk = rows.devicePk(device);
  if (pk === undefined) return false;
  const result =
    endpoint === undefined
      ? rows.sql.prepare('DELETE FROM push_subscriptions WHERE device_pk = ?').run(pk)
      : rows.sql.prepare('DELETE FROM push_subscriptions WHERE device_pk = ? AND endpoint = ?').run(pk, endpoint);
  return result.changes > 0;
}

export function claimPush(rows: SqliteRows, device: DeviceAddress, now: number, pacing: PushPacing): PushSubscriptionRecord | undefined {
  const pk = rows.devicePk(device);
  const row = pk === undefined ? undefined : subscriptionRow(rows, pk);
  if (!row) return undefined;
  const next = planPush({ lastPushAt: row.last_push_at, windowStart: row.window_start, windowCount: row.window_count }, now, pacing);
  if (!next) return undefined;
  rows.sql
    .prepare('UPDATE push_subscriptions SET last_push_at = ?, window_start = ?, window_count = ? WHERE device_pk = ?')
    .run(next.lastPushAt, next.windowStart, next.windowCount, pk);
  return toRecord(row);
}

export function vapidKeyPair(rows: SqliteRows, candidate: VapidKeyPair): VapidKeyPair {
  rows.sql.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING').run(VAPID_KEYS_SETTING, encodeVapidKeys(candidate));
  const row = rows.sql.prepare('SELECT value FROM settings WHERE key = ?').get(VAPID_KEYS_SETTING) as { value: string };
  return decodeVapidKeys(row.value);
}

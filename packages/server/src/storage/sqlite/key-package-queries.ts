/**
 * @module storage/sqlite/key-package-queries
 * SqliteStore's key-package statements, each write inside the store's group
 * commit: uploads, claims of one package per device (one-time ones first, the
 * last-resort one reused when they run out), counts.
 */
import type { ClaimScope } from '../domains/key-packages.js';
import type { ClaimedPackage, DeviceAddress } from '../types.js';
import { claimable } from '../device-rules.js';
import { listedRows } from './device-queries.js';
import { bytes, type SqliteRows } from './rows.js';

function remaining(rows: SqliteRows, pk: number): number {
  return (rows.sql.prepare('SELECT count(*) AS n FROM key_packages WHERE device_pk = ? AND last_resort = 0').get(pk) as { n: number }).n;
}

export function countKeyPackages(rows: SqliteRows, device: DeviceAddress): number {
  const pk = rows.devicePk(device);
  return pk === undefined ? 0 : remaining(rows, pk);
}

export function addKeyPackages(rows: SqliteRows, device: DeviceAddress, packages: readonly Uint8Array[], lastResort: Uint8Array | undefined, replace = false): number {
  const pk = rows.requireDevicePk(device);
  if (replace) rows.sql.prepare('DELETE FROM key_packages WHERE device_pk = ? AND last_resort = 0').run(pk);
  const insert = rows.sql.prepare('INSERT INTO key_packages (device_pk, data, last_resort) VALUES (?, ?, ?)');
  for (const keyPackage of packages) insert.run(pk, keyPackage, 0);
  if (lastResort) {
    rows.sql.prepare('DELETE FROM key_packages WHERE device_pk = ? AND last_resort = 1').run(pk);
    insert.run(pk, lastResort, 1);
  }
  return remaining(rows, pk);
}

export function claimKeyPackages(rows: SqliteRows, username: string, scope: ClaimScope = {}): ClaimedPackage[] {
  rows.requireAccountId(username);
  const claimed: ClaimedPackage[] = [];
  for (const row of claimable(listedRows(rows, username), scope)) {
    const keyPackage = rows.sql
      .prepare('SELECT id, data, last_resort FROM key_packages WHERE device_pk = ? ORDER BY last_resort, id LIMIT 1')
      .get(row.pk) as { id: number; data: Buffer; last_resort: number } | undefined;
    if (!keyPackage) continue;
    if (!keyPackage.last_resort) rows.sql.prepare('DELETE FROM key_packages WHERE id = ?').run(keyPackage.id);
    claimed.push({ device: rows.toDevice(row), keyPackage: bytes(keyPackage.data), lastResort: keyPackage.last_resort === 1, remaining: remaining(rows, row.pk) });
  }
  return claimed;
}

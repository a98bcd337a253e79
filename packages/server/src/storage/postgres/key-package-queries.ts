/**
 * @module storage/postgres/key-package-queries
 * PostgresStore's key-package statements: uploads serialised per device, claims
 * that take a different row each under concurrency (SKIP LOCKED), the
 * last-resort package reused when the one-time ones run out.
 */
import type { ClaimScope } from '../domains/key-packages.js';
import type { ClaimedPackage, DeviceAddress } from '../types.js';
import { claimable } from '../device-rules.js';
import { listedRows } from './device-queries.js';
import { bytes, devicePkOf, requireAccountId, requireDevice, toDevice } from './queries.js';
import type { Sql } from './transaction.js';

export async function countKeyPackages(sql: Sql, device: DeviceAddress): Promise<number> {
  const result = await sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM key_packages WHERE device_pk = ${devicePkOf(1)} AND NOT last_resort`,
    [device.username, device.deviceId],
  );
  return result.rows[0]?.n ?? 0;
}

async function remainingKeyPackages(sql: Sql, pk: string): Promise<number> {
  const result = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM key_packages WHERE device_pk = $1 AND NOT last_resort', [pk]);
  return result.rows[0]?.n ?? 0;
}

export async function addKeyPackages(sql: Sql, device: DeviceAddress, packages: readonly Uint8Array[], lastResort: Uint8Array | undefined, replace = false): Promise<number> {
  const { pk } = await requireDevice(sql, device);
  // Serializes uploads per device, so two concurrent last-resort replacements leave exactly one.
  await sql.query('SELECT pk FROM devices WHERE pk = $1 FOR NO KEY UPDATE', [pk]);
  if (replace) await sql.query('DELETE FROM key_packages WHERE device_pk = $1 AND NOT last_resort', [pk]);
  if (packages.length > 0) {
    await sql.query('INSERT INTO key_packages (device_pk, data, last_resort) SELECT $1, unnest($2::bytea[]), FALSE', [pk, [...packages]]);
  }
  if (lastResort) {
    await sql.query('DELETE FROM key_packages WHERE device_pk = $1 AND last_resort', [pk]);
    await sql.query('INSERT INTO key_packages (device_pk, data, last_resort) VALUES ($1, $2, TRUE)', [pk, lastResort]);
  }
  return remainingKeyPackages(sql, pk);
}

export async function claimKeyPackages(sql: Sql, username: string, scope: ClaimScope = {}): Promise<ClaimedPackage[]> {
  await requireAccountId(sql, username);
  const claimed: ClaimedPackage[] = [];
  for (const row of claimable(await listedRows(sql, username), scope)) {
    // SKIP LOCKED: concurrent claimers each take a different row instead of queueing on the same one,
    // and a row being deleted by another claimer is never handed out again.
    const taken = await sql.query<{ data: Buffer }>(
      `DELETE FROM key_packages WHERE id = (
         SELECT id FROM key_packages WHERE device_pk = $1 AND NOT last_resort ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
       ) RETURNING data`,
      [row.pk],
    );
    let data = taken.rows[0]?.data;
    const lastResort = data === undefined;
    if (lastResort) {
      const reused = await sql.query<{ data: Buffer }>('SELECT data FROM key_packages WHERE device_pk = $1 AND last_resort ORDER BY id DESC LIMIT 1', [row.pk]);
      data = reused.rows[0]?.data;
    }
    if (data === undefined) continue;
    claimed.push({ device: toDevice(row), keyPackage: bytes(data), lastResort, remaining: await remainingKeyPackages(sql, row.pk) });
  }
  return claimed;
}

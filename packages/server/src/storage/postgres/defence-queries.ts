/**
 * @module storage/postgres/defence-queries
 * PostgresStore's statements for the server's defences: restricted accounts, lockdown and contact
 * links, anomaly reports, incidents and the audit log. Each runs on the Sql it is given: a
 * transaction's client, or the pool when the method is that one statement.
 */
import { ErrorCode } from '@sotto/protocol';
import { ServerError, type AnomalyFilter } from '../store.js';
import { anomalyFilterColumns, CONTACT_LINKS_KEPT, incidentValues, toIncident, toTally, type IncidentRow, type TallyRow } from '../defence-records.js';
import type { LinkUse } from '../contact-rules.js';
import type { AnomalyRecord, AnomalyTally, AuditEntry, AuditRecord, IncidentRecord, IncidentStatus, LockdownRecord } from '../types.js';
import type { Sql } from './transaction.js';

// Orders by byte value as SQLite does, whatever the database's collation, so both backends sort alike.
const BYTEWISE = 'COLLATE "C"';

export async function listRestricted(sql: Sql): Promise<string[]> {
  const result = await sql.query<{ username: string }>(`SELECT username FROM accounts WHERE restricted ORDER BY username ${BYTEWISE}`);
  return result.rows.map((row) => row.username);
}

export async function setRestricted(sql: Sql, username: string, restricted: boolean): Promise<void> {
  const result = await sql.query('UPDATE accounts SET restricted = $1 WHERE username = $2', [restricted, username]);
  if (result.rowCount === 0) throw new ServerError(ErrorCode.UNKNOWN_ACCOUNT);
}

interface LockdownRow {
  lockdown: boolean;
  lockdown_refused: number;
}

function toLockdown(row: LockdownRow | undefined): LockdownRecord {
  if (!row) throw new ServerError(ErrorCode.UNKNOWN_ACCOUNT);
  return { enabled: row.lockdown, refused: row.lockdown_refused };
}

export async function getLockdown(sql: Sql, username: string): Promise<LockdownRecord> {
  return toLockdown((await sql.query<LockdownRow>('SELECT lockdown, lockdown_refused FROM accounts WHERE username = $1', [username])).rows[0]);
}

/** The count restarts only when lockdown goes from off to on: another device repeating "on" keeps it. */
export async function setLockdown(sql: Sql, username: string, enabled: boolean): Promise<LockdownRecord> {
  const result = await sql.query<LockdownRow>(
    `UPDATE accounts SET lockdown_refused = CASE WHEN NOT lockdown AND $1 THEN 0 ELSE lockdown_refused END, lockdown = $1
     WHERE username = $2 RETURNING lockdown, lockdown_refused`,
    [enabled, username],
  );
  return toLockdown(result.rows[0]);
}

export async function inLockdown(sql: Sql, accountId: string): Promise<boolean> {
  return (await sql.query<{ lockdown: boolean }>('SELECT lockdown FROM accounts WHERE id = $1', [accountId])).rows[0]?.lockdown === true;
}

/** One more request refused by the account's lockdown (none counted when lockdown is off). */
export async function countRefusal(sql: Sql, accountId: string): Promise<void> {
  await sql.query('UPDATE accounts SET lockdown_refused = lockdown_refused + 1 WHERE id = $1 AND lockdown', [accountId]);
}

/**
 * Keeps the link's hash, then drops the account's oldest links beyond CONTACT_LINKS_KEPT, never
 * the new one. The account row is locked first, so two links made at once on two nodes cannot both
 * miss each other and leave one too many. The store has no clock of its own for this, so
 * `created_at` is the wall clock: it only orders an account's links.
 */
export async function createContactLink(sql: Sql, username: string, tokenHash: Uint8Array, expiresAt: number): Promise<void> {
  const locked = await sql.query<{ id: string }>('SELECT id FROM accounts WHERE username = $1 FOR NO KEY UPDATE', [username]);
  const accountId = locked.rows[0]?.id;
  if (accountId === undefined) throw new ServerError(ErrorCode.UNKNOWN_ACCOUNT);
  await sql.query('INSERT INTO contact_links (account_id, token_hash, expires_at, created_at) VALUES ($1, $2, $3, $4)', [
    accountId,
    tokenHash,
    expiresAt,
    Date.now(),
  ]);
  await sql.query(
    `DELETE FROM contact_links WHERE account_id = $1 AND token_hash <> $2 AND token_hash NOT IN (
       SELECT token_hash FROM contact_links WHERE account_id = $1 AND token_hash <> $2
       ORDER BY created_at DESC, token_hash DESC LIMIT $3
     )`,
    [accountId, tokenHash, CONTACT_LINKS_KEPT - 1],
  );
}

/** Uses up the account's live link with this hash, if there is one; a second user of it waits here, then finds it gone. */
export async function useContactLink(sql: Sql, accountId: string, tokenHash: Uint8Array, now: number): Promise<LinkUse> {
  const used = await sql.query('DELETE FROM contact_links WHERE token_hash = $1 AND account_id = $2 AND expires_at > $3', [tokenHash, accountId, now]);
  return used.rowCount === 1 ? 'used' : 'invalid';
}

/** All records in one statement: a report frame carries up to 32 lines. */
export async function recordAnomalies(sql: Sql, records: readonly AnomalyRecord[]): Promise<void> {
  if (records.length === 0) return;
  await sql.query(
    `INSERT INTO anomalies (reporter_username, reporter_device, sender_username, sender_device, target, kind, count, at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[], $8::bigint[])`,
    [
      records.map((r) => r.reporter.username),
      records.map((r) => r.reporter.deviceId),
      records.map((r) => r.sender.username),
      records.map((r) => r.sender.deviceId),
      records.map((r) => r.target),
      records.map((r) => r.kind),
      records.map((r) => r.count),
      records.map((r) => r.at),
    ],
  );
}

export async function tallyAnomalies(sql: Sql, filter: AnomalyFilter): Promise<AnomalyTally[]> {
  const values: unknown[] = [filter.since];
  const where = ['at >= $1'];
  for (const [column, value] of anomalyFilterColumns(filter)) {
    values.push(value);
    where.push(`${column} = $${values.length}`);
  }
  const result = await sql.query<TallyRow>(
    `SELECT reporter_username AS reporter, sender_username AS sender, target, kind,
            sum(count) AS count, min(at) AS first_at, max(at) AS last_at
     FROM anomalies WHERE ${where.join(' AND ')}
     GROUP BY reporter_username, sender_username, target, kind
     ORDER BY reporter_username ${BYTEWISE}, sender_username ${BYTEWISE}, target ${BYTEWISE}, kind`,
    values,
  );
  return result.rows.map(toTally);
}

export async function saveIncident(sql: Sql, incident: IncidentRecord): Promise<void> {
  await sql.query(
    `INSERT INTO incidents (id, rule, opened_at, updated_at, status, subjects, targets, evidence, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (id) DO UPDATE SET rule = excluded.rule, opened_at = excluded.opened_at, updated_at = excluded.updated_at,
       status = excluded.status, subjects = excluded.subjects, targets = excluded.targets, evidence = excluded.evidence, note = excluded.note`,
    incidentValues(incident),
  );
}

export async function getIncident(sql: Sql, id: string): Promise<IncidentRecord | undefined> {
  const row = (await sql.query<IncidentRow>('SELECT * FROM incidents WHERE id = $1', [id])).rows[0];
  return row && toIncident(row);
}

export async function listIncidents(sql: Sql, status: IncidentStatus | undefined, limit: number | undefined): Promise<IncidentRecord[]> {
  // LIMIT NULL is PostgreSQL's "no limit".
  const result = await sql.query<IncidentRow>(
    `SELECT * FROM incidents WHERE ($1::text IS NULL OR status = $1) ORDER BY opened_at DESC, id ${BYTEWISE} DESC LIMIT $2`,
    [status ?? null, limit ?? null],
  );
  return result.rows.map(toIncident);
}

export async function appendAudit(sql: Sql, entry: AuditEntry): Promise<void> {
  await sql.query('INSERT INTO audit_log (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)', [
    entry.at,
    entry.actor,
    entry.action,
    entry.target,
    entry.detail,
  ]);
}

export async function listAudit(sql: Sql, limit: number): Promise<AuditRecord[]> {
  const result = await sql.query<{ id: string; at: string; actor: string; action: string; target: string; detail: string }>(
    'SELECT id, at, actor, action, target, detail FROM audit_log ORDER BY id DESC LIMIT $1',
    [limit],
  );
  return result.rows.map((row) => ({ ...row, id: Number(row.id), at: Number(row.at) }));
}

/**
 * Whether `member` holds a contact row for `sender` (either of them asked), or the two accounts have
 * devices in one group.
 */
export async function hasReached(sql: Sql, sender: string, member: string): Promise<boolean> {
  const result = await sql.query<{ reached: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM contacts c JOIN accounts m ON m.id = c.owner_id JOIN accounts s ON s.id = c.peer_id
       WHERE m.username = $1 AND s.username = $2
     ) OR EXISTS (
       SELECT 1 FROM accounts m JOIN devices dm ON dm.account_id = m.id JOIN group_members gm ON gm.device_pk = dm.pk
       JOIN group_members gs ON gs.group_id = gm.group_id JOIN devices ds ON ds.pk = gs.device_pk JOIN accounts s ON s.id = ds.account_id
       WHERE m.username = $1 AND s.username = $2
     ) AS reached`,
    [member, sender],
  );
  return result.rows[0]?.reached === true;
}

/** expire's share: anomalies recorded before `before`, and links that expired before `now`. */
export async function expireDefences(sql: Sql, before: number, now: number): Promise<void> {
  await sql.query('DELETE FROM anomalies WHERE at < $1', [before]);
  await sql.query('DELETE FROM contact_links WHERE expires_at < $1', [now]);
}

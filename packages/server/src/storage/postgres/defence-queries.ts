/**
 * @module storage/postgres/defence-queries
 * PostgresStore's statements for the server's defences: restricted accounts, anomaly reports,
 * incidents and the audit log (lockdown and contact links are in lockdown-queries.ts). Each runs on
 * the Sql it is given: a transaction's client, or the pool when the method is that one statement.
 */
import { ErrorCode } from '@sotto/protocol';
import { ServerError, type AnomalyFilter } from '../store.js';
import { anomalyFilterColumns, incidentValues, toIncident, toTally, type IncidentRow, type TallyRow } from '../defence-records.js';
import type { AnomalyRecord, AnomalyTally, AuditEntry, AuditRecord, IncidentRecord, IncidentStatus } from '../types.js';
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

/** expire's share: anomalies recorded before `before`. */
export async function expireAnomalies(sql: Sql, before: number): Promise<void> {
  await sql.query('DELETE FROM anomalies WHERE at < $1', [before]);
}

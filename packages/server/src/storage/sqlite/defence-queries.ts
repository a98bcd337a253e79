/**
 * @module storage/sqlite/defence-queries
 * SqliteStore's statements for the server's defences: restricted accounts, anomaly reports,
 * incidents and the audit log (lockdown and contact links are in lockdown-queries.ts). Each function
 * runs inside the caller's transaction (or is a single read); SqliteStore decides the transaction.
 */
import { ErrorCode } from '@sotto/protocol';
import { ServerError, type AnomalyFilter } from '../store.js';
import { anomalyFilterColumns, incidentValues, toIncident, toTally, type IncidentRow, type TallyRow } from '../defence-records.js';
import type { Statements } from './statements.js';
import type { AnomalyRecord, AnomalyTally, AuditEntry, AuditRecord, IncidentRecord, IncidentStatus } from '../types.js';

type Db = Statements;

export function listRestricted(db: Db): string[] {
  return (db.prepare('SELECT username FROM accounts WHERE restricted = 1 ORDER BY username').all() as { username: string }[]).map((r) => r.username);
}

export function setRestricted(db: Db, username: string, restricted: boolean): void {
  const changed = db.prepare('UPDATE accounts SET restricted = ? WHERE username = ?').run(restricted ? 1 : 0, username).changes;
  if (changed === 0) throw new ServerError(ErrorCode.UNKNOWN_ACCOUNT);
}

export function recordAnomalies(db: Db, records: readonly AnomalyRecord[]): void {
  const insert = db.prepare(
    `INSERT INTO anomalies (reporter_username, reporter_device, sender_username, sender_device, target, kind, count, at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const r of records) insert.run(r.reporter.username, r.reporter.deviceId, r.sender.username, r.sender.deviceId, r.target, r.kind, r.count, r.at);
}

export function tallyAnomalies(db: Db, filter: AnomalyFilter): AnomalyTally[] {
  const where = ['at >= ?'];
  const values: unknown[] = [filter.since];
  for (const [column, value] of anomalyFilterColumns(filter)) {
    where.push(`${column} = ?`);
    values.push(value);
  }
  const rows = db
    .prepare(
      `SELECT reporter_username AS reporter, sender_username AS sender, target, kind,
              sum(count) AS count, min(at) AS first_at, max(at) AS last_at
       FROM anomalies WHERE ${where.join(' AND ')}
       GROUP BY reporter_username, sender_username, target, kind
       ORDER BY reporter_username, sender_username, target, kind`,
    )
    .all(...values) as TallyRow[];
  return rows.map(toTally);
}

export function saveIncident(db: Db, incident: IncidentRecord): void {
  db.prepare(
    `INSERT INTO incidents (id, rule, opened_at, updated_at, status, subjects, targets, evidence, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET rule = excluded.rule, opened_at = excluded.opened_at, updated_at = excluded.updated_at,
       status = excluded.status, subjects = excluded.subjects, targets = excluded.targets, evidence = excluded.evidence, note = excluded.note`,
  ).run(...incidentValues(incident));
}

export function getIncident(db: Db, id: string): IncidentRecord | undefined {
  const row = db.prepare('SELECT * FROM incidents WHERE id = ?').get(id) as IncidentRow | undefined;
  return row && toIncident(row);
}

export function listIncidents(db: Db, status: IncidentStatus | undefined, limit: number | undefined): IncidentRecord[] {
  // LIMIT -1 is SQLite's "no limit".
  const rows = (
    status === undefined
      ? db.prepare('SELECT * FROM incidents ORDER BY opened_at DESC, id DESC LIMIT ?').all(limit ?? -1)
      : db.prepare('SELECT * FROM incidents WHERE status = ? ORDER BY opened_at DESC, id DESC LIMIT ?').all(status, limit ?? -1)
  ) as IncidentRow[];
  return rows.map(toIncident);
}

export function appendAudit(db: Db, entry: AuditEntry): void {
  db.prepare('INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)').run(entry.at, entry.actor, entry.action, entry.target, entry.detail);
}

export function listAudit(db: Db, limit: number): AuditRecord[] {
  return db.prepare('SELECT id, at, actor, action, target, detail FROM audit_log ORDER BY id DESC LIMIT ?').all(limit) as AuditRecord[];
}

/** expire's share: anomalies recorded before `before`. */
export function expireAnomalies(db: Db, before: number): void {
  db.prepare('DELETE FROM anomalies WHERE at < ?').run(before);
}

/**
 * @module storage/sqlite/defence-queries
 * SqliteStore's statements for the server's defences: restricted accounts, lockdown and contact
 * links, anomaly reports, incidents and the audit log. Each function runs inside the caller's
 * transaction (or is a single read); SqliteStore decides the transaction.
 */
import { ErrorCode } from '@sotto/protocol';
import { ServerError, type AnomalyFilter } from '../store.js';
import { anomalyFilterColumns, CONTACT_LINKS_KEPT, incidentValues, toIncident, toTally, type IncidentRow, type TallyRow } from '../defence-records.js';
import type { LinkUse } from '../contact-rules.js';
import type { Statements } from './statements.js';
import type { AnomalyRecord, AnomalyTally, AuditEntry, AuditRecord, IncidentRecord, IncidentStatus, LockdownRecord } from '../types.js';

type Db = Statements;

export function listRestricted(db: Db): string[] {
  return (db.prepare('SELECT username FROM accounts WHERE restricted = 1 ORDER BY username').all() as { username: string }[]).map((r) => r.username);
}

export function setRestricted(db: Db, username: string, restricted: boolean): void {
  const changed = db.prepare('UPDATE accounts SET restricted = ? WHERE username = ?').run(restricted ? 1 : 0, username).changes;
  if (changed === 0) throw new ServerError(ErrorCode.UNKNOWN_ACCOUNT);
}

export function getLockdown(db: Db, username: string): LockdownRecord {
  const row = db.prepare('SELECT lockdown, lockdown_refused FROM accounts WHERE username = ?').get(username) as
    | { lockdown: number; lockdown_refused: number }
    | undefined;
  if (!row) throw new ServerError(ErrorCode.UNKNOWN_ACCOUNT);
  return { enabled: row.lockdown === 1, refused: row.lockdown_refused };
}

/** The count restarts only when lockdown goes from off to on: another device repeating "on" keeps it. */
export function setLockdown(db: Db, username: string, enabled: boolean): LockdownRecord {
  const on = enabled ? 1 : 0;
  const row = db
    .prepare(
      `UPDATE accounts SET lockdown_refused = CASE WHEN lockdown = 0 AND ? = 1 THEN 0 ELSE lockdown_refused END, lockdown = ?
       WHERE username = ? RETURNING lockdown, lockdown_refused`,
    )
    .get(on, on, username) as { lockdown: number; lockdown_refused: number } | undefined;
  if (!row) throw new ServerError(ErrorCode.UNKNOWN_ACCOUNT);
  return { enabled: row.lockdown === 1, refused: row.lockdown_refused };
}

export function inLockdown(db: Db, accountId: number): boolean {
  return (db.prepare('SELECT lockdown FROM accounts WHERE id = ?').get(accountId) as { lockdown: number } | undefined)?.lockdown === 1;
}

/** One more request refused by the account's lockdown (none counted when lockdown is off). */
export function countRefusal(db: Db, accountId: number): void {
  db.prepare('UPDATE accounts SET lockdown_refused = lockdown_refused + 1 WHERE id = ? AND lockdown = 1').run(accountId);
}

/**
 * Keeps the link's hash, then drops the account's oldest links beyond CONTACT_LINKS_KEPT, never
 * the new one. The store has no clock of its own for this, so `created_at` is the wall clock: it
 * only orders an account's links.
 */
export function createContactLink(db: Db, accountId: number, tokenHash: Uint8Array, expiresAt: number): void {
  db.prepare('INSERT INTO contact_links (account_id, token_hash, expires_at, created_at) VALUES (?, ?, ?, ?)').run(accountId, tokenHash, expiresAt, Date.now());
  db.prepare(
    `DELETE FROM contact_links WHERE account_id = ? AND token_hash <> ? AND token_hash NOT IN (
       SELECT token_hash FROM contact_links WHERE account_id = ? AND token_hash <> ?
       ORDER BY created_at DESC, token_hash DESC LIMIT ?
     )`,
  ).run(accountId, tokenHash, accountId, tokenHash, CONTACT_LINKS_KEPT - 1);
}

/** Uses up the account's live link with this hash, if there is one. */
export function useContactLink(db: Db, accountId: number, tokenHash: Uint8Array, now: number): LinkUse {
  const used = db.prepare('DELETE FROM contact_links WHERE token_hash = ? AND account_id = ? AND expires_at > ?').run(tokenHash, accountId, now).changes;
  return used === 1 ? 'used' : 'invalid';
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

/**
 * Whether `member` holds a contact row for `sender` (either of them asked), or the two accounts have
 * devices in one group.
 */
export function hasReached(db: Db, sender: string, member: string): boolean {
  const row = db
    .prepare(
      `SELECT EXISTS (
         SELECT 1 FROM contacts c JOIN accounts m ON m.id = c.owner_id JOIN accounts s ON s.id = c.peer_id
         WHERE m.username = ? AND s.username = ?
       ) OR EXISTS (
         SELECT 1 FROM accounts m JOIN devices dm ON dm.account_id = m.id JOIN group_members gm ON gm.device_pk = dm.pk
         JOIN group_members gs ON gs.group_id = gm.group_id JOIN devices ds ON ds.pk = gs.device_pk JOIN accounts s ON s.id = ds.account_id
         WHERE m.username = ? AND s.username = ?
       ) AS reached`,
    )
    .get(member, sender, member, sender) as { reached: number };
  return row.reached === 1;
}

/** expire's share: anomalies recorded before `before`, and links that expired before `now`. */
export function expireDefences(db: Db, before: number, now: number): void {
  db.prepare('DELETE FROM anomalies WHERE at < ?').run(before);
  db.prepare('DELETE FROM contact_links WHERE expires_at < ?').run(now);
}

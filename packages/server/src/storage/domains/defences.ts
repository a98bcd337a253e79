/**
 * @module storage/domains/defences
 * The defences-and-audit part of the storage contract: restrictions, anomaly
 * reports, incidents, the operator's audit log, lockdown and contact links.
 */
import type { AnomalyRecord, AnomalyTally, AuditEntry, AuditRecord, IncidentRecord, IncidentStatus, LockdownRecord } from '../types.js';

/** Which anomaly tallies to sum. */
export interface AnomalyFilter {
  readonly sender?: string;
  readonly reporter?: string;
  readonly target?: string;
  /** Only records at or after this time (ms). */
  readonly since: number;
}

export interface DefenceReader {
  /** Usernames of restricted accounts, sorted. */
  listRestricted(): Promise<string[]>;
  /** Anomalies matching every given field of `filter`, summed per (reporter, sender, target, kind). */
  tallyAnomalies(filter: AnomalyFilter): Promise<AnomalyTally[]>;
  getIncident(id: string): Promise<IncidentRecord | undefined>;
  /** Newest first; all statuses when `status` is absent. */
  listIncidents(status?: IncidentStatus, limit?: number): Promise<IncidentRecord[]>;
  /** Newest first. */
  listAudit(limit: number): Promise<AuditRecord[]>;
  /** Off (and 0 refused) for an account that never turned it on; UNKNOWN_ACCOUNT for no account. */
  getLockdown(username: string): Promise<LockdownRecord>;
}

export interface DefenceWriter {
  recordAnomalies(records: readonly AnomalyRecord[]): Promise<void>;
  /** Inserts or replaces the incident with the same id. */
  saveIncident(incident: IncidentRecord): Promise<void>;
  /** Throws UNKNOWN_ACCOUNT when there is no such account. */
  setRestricted(username: string, restricted: boolean): Promise<void>;
  appendAudit(entry: AuditEntry): Promise<void>;
  /** Turning it on resets the refused count; turning it off keeps the count. Throws UNKNOWN_ACCOUNT. */
  setLockdown(username: string, enabled: boolean): Promise<LockdownRecord>;
  /** Keeps a contact link token's hash for `username` until `expiresAt`; single use. */
  createContactLink(username: string, tokenHash: Uint8Array, expiresAt: number): Promise<void>;
}

export interface DefenceStore extends DefenceReader, DefenceWriter {}

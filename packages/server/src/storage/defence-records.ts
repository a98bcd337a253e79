/**
 * @module storage/defence-records
 * How the defence records (incidents, anomaly tallies, contact links) are kept in rows, shared by
 * both backends so SQLite and PostgreSQL store and read them the same way.
 */
import type { AnomalyKind } from '@sotto/protocol';
import type { AnomalyFilter } from './store.js';
import type { AnomalyTally, IncidentRecord, IncidentStatus } from './types.js';

/** Contact links kept per account; creating one more drops that account's oldest. */
export const CONTACT_LINKS_KEPT = 50;

/** An incident as stored: its lists as JSON text, since they are read whole and never queried inside. */
export interface IncidentRow {
  readonly id: string;
  readonly rule: string;
  /** Numbers from SQLite, strings from PostgreSQL's BIGINT. */
  readonly opened_at: number | string;
  readonly updated_at: number | string;
  readonly status: string;
  readonly subjects: string;
  readonly targets: string;
  readonly evidence: string;
  readonly note: string;
}

/** The column values to store `incident` as, in the tables' column order. */
export function incidentValues(incident: IncidentRecord): [string, string, number, number, string, string, string, string, string] {
  return [
    incident.id,
    incident.rule,
    incident.openedAt,
    incident.updatedAt,
    incident.status,
    JSON.stringify(incident.subjects),
    JSON.stringify(incident.targets),
    JSON.stringify(incident.evidence),
    incident.note,
  ];
}

export function toIncident(row: IncidentRow): IncidentRecord {
  return {
    id: row.id,
    rule: row.rule,
    openedAt: Number(row.opened_at),
    updatedAt: Number(row.updated_at),
    status: row.status as IncidentStatus,
    subjects: JSON.parse(row.subjects) as string[],
    targets: JSON.parse(row.targets) as string[],
    evidence: JSON.parse(row.evidence) as AnomalyTally[],
    note: row.note,
  };
}

/** The columns an anomaly filter names, with the value each must equal (`since` aside). */
export function anomalyFilterColumns(filter: AnomalyFilter): [column: string, value: string][] {
  const columns: [string, string | undefined][] = [
    ['sender_username', filter.sender],
    ['reporter_username', filter.reporter],
    ['target', filter.target],
  ];
  return columns.filter((entry): entry is [string, string] => entry[1] !== undefined);
}

/** One group of tallyAnomalies' GROUP BY, as either backend returns it. */
export interface TallyRow {
  readonly reporter: string;
  readonly sender: string;
  readonly target: string;
  readonly kind: number;
  readonly count: number | string;
  readonly first_at: number | string;
  readonly last_at: number | string;
}

export function toTally(row: TallyRow): AnomalyTally {
  return {
    reporter: row.reporter,
    sender: row.sender,
    target: row.target,
    kind: row.kind as AnomalyKind,
    count: Number(row.count),
    firstAt: Number(row.first_at),
    lastAt: Number(row.last_at),
  };
}

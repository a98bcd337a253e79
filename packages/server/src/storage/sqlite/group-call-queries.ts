/**
 * @module storage/sqlite/group-call-queries
 * SqliteStore's group call records. One node uses a SQLite store, so the store's in-process
 * queue per group is what keeps changes to a record one at a time; the write goes through the
 * store's group commit like every other.
 */
import type { GroupCallRecordEntry } from '../domains/group-calls.js';
import { bytes, type SqliteRows } from './rows.js';

export function getGroupCall(rows: SqliteRows, groupId: Uint8Array): string | undefined {
  const row = rows.sql.prepare('SELECT record FROM group_calls WHERE group_id = ?').get(groupId) as { record: string } | undefined;
  return row?.record;
}

export function putGroupCall(rows: SqliteRows, groupId: Uint8Array, record: string | undefined, now: number): void {
  if (record === undefined) {
    rows.sql.prepare('DELETE FROM group_calls WHERE group_id = ?').run(groupId);
    return;
  }
  rows.sql
    .prepare('INSERT INTO group_calls (group_id, record, updated_at) VALUES (?, ?, ?) ON CONFLICT (group_id) DO UPDATE SET record = excluded.record, updated_at = excluded.updated_at')
    .run(groupId, record, now);
}

export function listGroupCalls(rows: SqliteRows): GroupCallRecordEntry[] {
  const found = rows.sql.prepare('SELECT group_id, record FROM group_calls ORDER BY group_id').all() as { group_id: Buffer; record: string }[];
  return found.map((row) => ({ groupId: bytes(row.group_id), record: row.record }));
}

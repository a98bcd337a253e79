/**
 * @module migrations/0003-calls
 * The call log (identifiers and timings only) and member settings such as relay-only calls.
 */
import type { ClientMigration } from '../migration-types.js';

export const clientMigration0003: ClientMigration = {
  version: 3,
  name: 'calls',
  up: `
    CREATE TABLE call_log (
      position INTEGER PRIMARY KEY AUTOINCREMENT,
      call_id TEXT NOT NULL,
      peer TEXT NOT NULL,
      direction TEXT NOT NULL CHECK (direction IN ('outgoing', 'incoming')),
      outcome TEXT NOT NULL,
      duration_ms INTEGER NOT NULL,
      ended_at INTEGER NOT NULL,
      UNIQUE (call_id, direction)
    );
    CREATE TABLE settings (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL
    );
  `,
};

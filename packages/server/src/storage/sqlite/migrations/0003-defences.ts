/**
 * @module storage/sqlite/migrations/0003-defences
 * The server's defences: restricted accounts, lockdown mode and its contact links, anomaly reports,
 * incidents and the audit log.
 */
import type { SqlMigration } from '../../migration-types.js';

// Existing accounts start unrestricted and out of lockdown; existing contacts did not come through a
// link. Anomalies are kept only for the retention period (expire), so they need an index on time as
// well as the three the correlation filters by. Incidents keep their lists as JSON text: they are
// read whole and never queried inside.
export const migration0003: SqlMigration = {
  version: 3,
  name: 'defences',
  up: `
    ALTER TABLE accounts ADD COLUMN restricted INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE accounts ADD COLUMN lockdown INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE accounts ADD COLUMN lockdown_refused INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX accounts_restricted ON accounts (username) WHERE restricted = 1;
    ALTER TABLE contacts ADD COLUMN via_link INTEGER NOT NULL DEFAULT 0;
    -- hasReached finds a member's groups from their devices; the primary key leads with group_id.
    CREATE INDEX group_members_by_device ON group_members (device_pk);
    CREATE TABLE anomalies (
      reporter_username TEXT NOT NULL,
      reporter_device TEXT NOT NULL,
      sender_username TEXT NOT NULL,
      sender_device TEXT NOT NULL,
      target TEXT NOT NULL,
      kind INTEGER NOT NULL,
      count INTEGER NOT NULL,
      at INTEGER NOT NULL
    );
    CREATE INDEX anomalies_by_sender ON anomalies (sender_username, at);
    CREATE INDEX anomalies_by_reporter ON anomalies (reporter_username, at);
    CREATE INDEX anomalies_by_target ON anomalies (target, at);
    CREATE INDEX anomalies_by_time ON anomalies (at);
    CREATE TABLE incidents (
      id TEXT PRIMARY KEY,
      rule TEXT NOT NULL,
      opened_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      status TEXT NOT NULL,
      subjects TEXT NOT NULL,
      targets TEXT NOT NULL,
      evidence TEXT NOT NULL,
      note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX incidents_by_opened ON incidents (opened_at);
    CREATE TABLE audit_log (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      at INTEGER NOT NULL,
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      target TEXT NOT NULL,
      detail TEXT NOT NULL
    );
    CREATE TABLE contact_links (
      account_id INTEGER NOT NULL REFERENCES accounts(id),
      token_hash BLOB PRIMARY KEY,
      expires_at INTEGER NOT NULL,
      created_at INTEGER NOT NULL
    );
    CREATE INDEX contact_links_by_account ON contact_links (account_id, created_at);
    CREATE INDEX contact_links_by_expiry ON contact_links (expires_at);
  `,
};

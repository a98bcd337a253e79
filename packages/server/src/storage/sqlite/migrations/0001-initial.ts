/**
 * @module storage/sqlite/migrations/0001-initial
 * Accounts, devices, invites, settings, key packages, contacts, groups and mailboxes.
 */
import type { SqlMigration } from '../../migration-types.js';

export const migration0001: SqlMigration = {
  version: 1,
  name: 'initial',
  up: `
    CREATE TABLE accounts (
      id INTEGER PRIMARY KEY,
      username TEXT NOT NULL UNIQUE,
      created_at INTEGER NOT NULL
    );
    CREATE TABLE devices (
      pk INTEGER PRIMARY KEY,
      account_id INTEGER NOT NULL REFERENCES accounts(id),
      device_id TEXT NOT NULL,
      identity_key BLOB NOT NULL,
      created_at INTEGER NOT NULL,
      UNIQUE (account_id, device_id)
    );
    CREATE TABLE invites (
      code TEXT PRIMARY KEY,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      used_by INTEGER REFERENCES accounts(id)
    );
    CREATE TABLE settings (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL
    );
    CREATE TABLE key_packages (
      id INTEGER PRIMARY KEY,
      device_pk INTEGER NOT NULL REFERENCES devices(pk),
      data BLOB NOT NULL,
      last_resort INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX key_packages_by_device ON key_packages (device_pk, last_resort, id);
    CREATE TABLE contacts (
      owner_id INTEGER NOT NULL REFERENCES accounts(id),
      peer_id INTEGER NOT NULL REFERENCES accounts(id),
      state INTEGER NOT NULL,
      text TEXT NOT NULL DEFAULT '',
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (owner_id, peer_id)
    );
    CREATE TABLE groups (
      group_id BLOB PRIMARY KEY,
      epoch INTEGER NOT NULL,
      created_at INTEGER NOT NULL
    );
    CREATE TABLE group_members (
      group_id BLOB NOT NULL REFERENCES groups(group_id),
      device_pk INTEGER NOT NULL REFERENCES devices(pk),
      PRIMARY KEY (group_id, device_pk)
    );
    CREATE TABLE mailbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      device_pk INTEGER NOT NULL REFERENCES devices(pk),
      kind INTEGER NOT NULL,
      sender_username TEXT NOT NULL,
      sender_device_id TEXT NOT NULL,
      group_id BLOB NOT NULL,
      message_id BLOB NOT NULL,
      payload BLOB NOT NULL,
      epoch INTEGER NOT NULL,
      stored_at INTEGER NOT NULL
    );
    CREATE INDEX mailbox_by_device ON mailbox (device_pk, seq);
    CREATE INDEX mailbox_by_time ON mailbox (stored_at);
    CREATE TABLE sent_ids (
      sender_pk INTEGER NOT NULL,
      message_id BLOB NOT NULL,
      stored_at INTEGER NOT NULL,
      recipients INTEGER NOT NULL,
      PRIMARY KEY (sender_pk, message_id)
    );
    CREATE INDEX sent_ids_by_time ON sent_ids (stored_at);
  `,
};

/**
 * @module storage/postgres/migrations/0001-initial
 * Accounts, devices, invites, settings, key packages, contacts, groups and mailboxes.
 */
import type { SqlMigration } from '../../migration-types.js';

// Differences from SQLite's 0001, all for many nodes writing at once:
// - mailbox seqs come from a per-device counter (devices.next_seq) bumped under
//   the device's row lock, not a global sequence: with a sequence, a later seq
//   can commit before an earlier one, and a reader at `seq > cursor` would skip
//   the earlier one for good. Hence the (device_pk, seq) primary key.
// - BIGINT for every id, epoch and millisecond time; BYTEA for bytes.
export const migration0001: SqlMigration = {
  version: 1,
  name: 'initial',
  up: `
    CREATE TABLE accounts (
      id BIGSERIAL PRIMARY KEY,
      username TEXT NOT NULL UNIQUE,
      created_at BIGINT NOT NULL
    );
    CREATE TABLE devices (
      pk BIGSERIAL PRIMARY KEY,
      account_id BIGINT NOT NULL REFERENCES accounts(id),
      device_id TEXT NOT NULL,
      identity_key BYTEA NOT NULL,
      created_at BIGINT NOT NULL,
      next_seq BIGINT NOT NULL DEFAULT 0,
      UNIQUE (account_id, device_id)
    );
    CREATE TABLE invites (
      code TEXT PRIMARY KEY,
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL,
      used_by BIGINT REFERENCES accounts(id)
    );
    CREATE TABLE settings (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL
    );
    CREATE TABLE key_packages (
      id BIGSERIAL PRIMARY KEY,
      device_pk BIGINT NOT NULL REFERENCES devices(pk),
      data BYTEA NOT NULL,
      last_resort BOOLEAN NOT NULL DEFAULT FALSE
    );
    CREATE INDEX key_packages_by_device ON key_packages (device_pk, last_resort, id);
    CREATE TABLE contacts (
      owner_id BIGINT NOT NULL REFERENCES accounts(id),
      peer_id BIGINT NOT NULL REFERENCES accounts(id),
      state INTEGER NOT NULL,
      text TEXT NOT NULL DEFAULT '',
      updated_at BIGINT NOT NULL,
      PRIMARY KEY (owner_id, peer_id)
    );
    CREATE TABLE groups (
      group_id BYTEA PRIMARY KEY,
      epoch BIGINT NOT NULL,
      created_at BIGINT NOT NULL
    );
    CREATE TABLE group_members (
      group_id BYTEA NOT NULL REFERENCES groups(group_id),
      device_pk BIGINT NOT NULL REFERENCES devices(pk),
      PRIMARY KEY (group_id, device_pk)
    );
    CREATE TABLE mailbox (
      device_pk BIGINT NOT NULL REFERENCES devices(pk),
      seq BIGINT NOT NULL,
      kind INTEGER NOT NULL,
      sender_username TEXT NOT NULL,
      sender_device_id TEXT NOT NULL,
      group_id BYTEA NOT NULL,
      message_id BYTEA NOT NULL,
      payload BYTEA NOT NULL,
      epoch BIGINT NOT NULL,
      stored_at BIGINT NOT NULL,
      PRIMARY KEY (device_pk, seq)
    );
    CREATE INDEX mailbox_by_time ON mailbox (stored_at);
    CREATE TABLE sent_ids (
      sender_pk BIGINT NOT NULL,
      message_id BYTEA NOT NULL,
      stored_at BIGINT NOT NULL,
      recipients INTEGER NOT NULL,
      PRIMARY KEY (sender_pk, message_id)
    );
    CREATE INDEX sent_ids_by_time ON sent_ids (stored_at);
  `,
};

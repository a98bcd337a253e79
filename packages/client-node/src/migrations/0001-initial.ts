/**
 * @module migrations/0001-initial
 * The client's first schema: identity, key packages, conversations (MLS
 * state), messages, contacts, outbox, pinned device keys, cursor.
 */
import type { ClientMigration } from '../migration-types.js';

export const clientMigration0001: ClientMigration = {
  version: 1,
  name: 'initial',
  up: `
    CREATE TABLE identity (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      server_url TEXT NOT NULL,
      username TEXT NOT NULL,
      device_id TEXT NOT NULL,
      public_key BLOB NOT NULL,
      sign_key BLOB NOT NULL,
      created_at INTEGER NOT NULL
    );
    CREATE TABLE key_packages (
      ref TEXT PRIMARY KEY,
      public_package BLOB NOT NULL,
      init_private_key BLOB NOT NULL,
      hpke_private_key BLOB NOT NULL,
      signature_private_key BLOB NOT NULL,
      last_resort INTEGER NOT NULL
    );
    CREATE TABLE conversations (
      group_id TEXT PRIMARY KEY,
      kind TEXT NOT NULL,
      name TEXT NOT NULL,
      state BLOB NOT NULL,
      epoch INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      active INTEGER NOT NULL
    );
    CREATE TABLE messages (
      message_id TEXT PRIMARY KEY,
      group_id TEXT NOT NULL,
      sender TEXT NOT NULL,
      sender_device TEXT NOT NULL,
      body TEXT NOT NULL,
      sent_at INTEGER NOT NULL,
      received_at INTEGER NOT NULL,
      outgoing INTEGER NOT NULL,
      status TEXT NOT NULL,
      position INTEGER NOT NULL
    );
    CREATE INDEX messages_by_group ON messages (group_id, position);
    CREATE TABLE contacts (
      username TEXT PRIMARY KEY,
      state INTEGER NOT NULL,
      text TEXT NOT NULL,
      updated_at INTEGER NOT NULL
    );
    CREATE TABLE outbox (
      position INTEGER PRIMARY KEY AUTOINCREMENT,
      message_id TEXT NOT NULL UNIQUE,
      group_id TEXT NOT NULL,
      payload BLOB NOT NULL,
      created_at INTEGER NOT NULL
    );
    CREATE TABLE pins (
      username TEXT NOT NULL,
      device_id TEXT NOT NULL,
      identity_key BLOB NOT NULL,
      PRIMARY KEY (username, device_id)
    );
    CREATE TABLE cursor (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      last_seq INTEGER NOT NULL
    );
    INSERT INTO cursor (id, last_seq) VALUES (1, 0);
  `,
};

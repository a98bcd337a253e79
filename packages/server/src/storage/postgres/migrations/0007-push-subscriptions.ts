/**
 * @module storage/postgres/migrations/0007-push-subscriptions
 * Web Push: each device's one subscription and the tally that paces pushes to it (as SQLite's 0007).
 */
import type { SqlMigration } from '../../migration-types.js';

export const migration0007: SqlMigration = {
  version: 7,
  name: 'push-subscriptions',
  up: `
    CREATE TABLE push_subscriptions (
      device_pk BIGINT PRIMARY KEY REFERENCES devices(pk) ON DELETE CASCADE,
      endpoint TEXT NOT NULL,
      p256dh BYTEA NOT NULL,
      auth BYTEA NOT NULL,
      created_at BIGINT NOT NULL,
      last_push_at BIGINT NOT NULL DEFAULT 0,
      window_start BIGINT NOT NULL DEFAULT 0,
      window_count INTEGER NOT NULL DEFAULT 0
    );
  `,
};

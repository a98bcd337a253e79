/**
 * @module storage/sqlite/migrations/0007-push-subscriptions
 * Web Push: each device's one subscription (endpoint, key, secret) and the tally that paces
 * pushes to it (storage/push-rules.ts).
 */
import type { SqlMigration } from '../../migration-types.js';

// Keyed by the device, so "one subscription per device" is the primary key. ON DELETE CASCADE as a
// second guard: deleteDevices removes the row itself, as it does every row naming a device.
export const migration0007: SqlMigration = {
  version: 7,
  name: 'push-subscriptions',
  up: `
    CREATE TABLE push_subscriptions (
      device_pk INTEGER PRIMARY KEY REFERENCES devices(pk) ON DELETE CASCADE,
      endpoint TEXT NOT NULL,
      p256dh BLOB NOT NULL,
      auth BLOB NOT NULL,
      created_at INTEGER NOT NULL,
      last_push_at INTEGER NOT NULL DEFAULT 0,
      window_start INTEGER NOT NULL DEFAULT 0,
      window_count INTEGER NOT NULL DEFAULT 0
    );
  `,
};

/**
 * @module storage/sqlite/migrations/0009-group-calls
 * Group calls' records (storage/domains/group-calls.ts), kept in the store instead of one node's
 * memory so that every node of a cluster arranges the same room for a group.
 */
import type { SqlMigration } from '../../migration-types.js';

// One row per group with a call going on; `record` is the service's JSON document. No foreign
// key: a record outlives nothing but its call, and the sweep ends calls of groups that went.
export const migration0009: SqlMigration = {
  version: 9,
  name: 'group-calls',
  up: 'CREATE TABLE group_calls (group_id BLOB PRIMARY KEY, record TEXT NOT NULL, updated_at INTEGER NOT NULL);',
};

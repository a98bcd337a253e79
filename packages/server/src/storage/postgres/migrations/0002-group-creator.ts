/**
 * @module storage/postgres/migrations/0002-group-creator
 * Remembers which device created each group, so the creator may retry createGroup.
 */
import type { SqlMigration } from '../../migration-types.js';

// Groups created before this migration keep a NULL creator: nobody can prove
// they made them, so a retry of those gets GROUP_EXISTS as before.
export const migration0002: SqlMigration = {
  version: 2,
  name: 'group-creator',
  up: 'ALTER TABLE groups ADD COLUMN creator_pk BIGINT REFERENCES devices(pk);',
};

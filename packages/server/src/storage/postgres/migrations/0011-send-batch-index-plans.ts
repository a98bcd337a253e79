/**
 * @module storage/postgres/migrations/0011-send-batch-index-plans
 * send_batch's statements plan with index scans only (`enable_seqscan = off`, for the function's
 * calls alone). Its plans are generic, kept per connection (0010), and made for its arrays'
 * default estimate of 10 elements: while a table is small, a sequential scan looked as cheap as the
 * index, so the function scanned `devices`, `accounts`, `group_members` and `sent_ids` whole at
 * every call. Each send updates its recipients' rows in `devices` (their next seq), so until
 * vacuum came by, every scan also walked the dead versions those updates left: after 19,200 sends
 * to 20 groups a lone send took 3.90 ms by the function against 1.64 by the statements (planned for
 * each batch, they used the indexes), and with this 0.64 ms (`bench/pg-batch.mjs`, docs/BENCHMARKS.md).
 * An index scan of a small table costs about what a sequential one does, so nothing is lost while
 * tables are small, and nothing is left to the moment the plans were made. The statements'
 * text is unchanged (0010's), so this is the setting alone.
 */
import type { SqlMigration } from '../../migration-types.js';

export const migration0011: SqlMigration = {
  version: 11,
  name: 'send-batch-index-plans',
  up: `
ALTER FUNCTION send_batch(text[], text[], bytea[], bytea[], int[], bytea[], bigint[], bigint[], bigint[]) SET enable_seqscan = off;
`,
};

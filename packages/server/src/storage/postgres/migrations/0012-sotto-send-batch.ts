/**
 * @module storage/postgres/migrations/0012-sotto-send-batch
 * `sotto_send_batch`: 0010's send_batch (with 0011's setting) made cheaper in two ways, under a
 * name of Sotto's own. The old function stays, unchanged, for the nodes of the version before
 * while a deployment upgrades (docs/OPERATIONS.md); nodes of this version no longer call it.
 *
 * - **The byte strings arrive packed.** A `bytea[]` parameter travels as text, every byte hex
 *   escaped, and the server parses it character by character: 2.4 ms for 256 payloads of 200 bytes,
 *   against 0.4 ms for the same bytes as one `bytea` (sent in binary). So the group ids, message
 *   ids and payloads each arrive as one `bytea` and the end of each element in it (`int[]`), and
 *   are unpacked into the arrays 0010's statements read, under 0010's names: its statements are
 *   unchanged.
 * - **The claim is one pass, not a join.** 0010 learnt which message ids it claimed by joining the
 *   sends it meant to claim with the rows the claim returned; both are common table expressions,
 *   estimated at one row each in the function's generic plans, so the planner joined them as a
 *   nested loop, the batch's size squared (that statement: 13.9 ms of a 512-send call, 4.2 with
 *   this). Now both lists come back as arrays in one order, (sender, message id), and a loop walks
 *   them side by side: the claimed rows are some of the sends, in the same order, so a send was
 *   claimed exactly when it is the next claimed row.
 *
 * The text is 0010's with those parts swapped (each swap must find its text exactly once, or this
 * module refuses to load), so what changed is what is written here.
 */
import type { SqlMigration } from '../../migration-types.js';
import { migration0010 } from './0010-send-batch-function.js';

/**
 * A packed list unpacked: element i is the bytes after ends[i-1] up to ends[i], the first starting
 * at 0. A statement of the function's own (its plan kept as its others are): as a SQL function it
 * was planned again at every call, 0.2 ms a batch for the three lists.
 */
const unpack = (bytes: string, ends: string) =>
  `ARRAY(SELECT substring(${bytes} FROM coalesce(${ends}[i - 1], 0) + 1 FOR ${ends}[i] - coalesce(${ends}[i - 1], 0)) FROM generate_subscripts(${ends}, 1) AS i ORDER BY i)`;

const SWAPS: ReadonlyArray<readonly [find: string, replacement: string]> = [
  [
    `CREATE FUNCTION send_batch(
  p_usernames text[], p_device_ids text[], p_group_ids bytea[], p_message_ids bytea[], p_kinds int[],
  p_payloads bytea[], p_epochs bigint[], p_now bigint[], p_expires bigint[]
)`,
    `CREATE FUNCTION sotto_send_batch(
  p_usernames text[], p_device_ids text[], p_group_id_bytes bytea, p_group_id_ends int[], p_message_id_bytes bytea,
  p_message_id_ends int[], p_kinds int[], p_payload_bytes bytea, p_payload_ends int[], p_epochs bigint[], p_now bigint[], p_expires bigint[]
)`,
  ],
  [
    'SET plan_cache_mode = force_generic_plan\n',
    "SET plan_cache_mode = force_generic_plan\n-- 0011's: index scans only (migrations/0011-send-batch-index-plans.ts).\nSET enable_seqscan = off\n",
  ],
  [
    'DECLARE\n',
    `DECLARE
  -- The packed lists, unpacked under the names 0010's statements use.
  p_group_ids bytea[] := ${unpack('p_group_id_bytes', 'p_group_id_ends')};
  p_message_ids bytea[] := ${unpack('p_message_id_bytes', 'p_message_id_ends')};
  p_payloads bytea[] := ${unpack('p_payload_bytes', 'p_payload_ends')};
`,
  ],
  [
    '  v_ord bigint;\n',
    `  v_first_ords bigint[];
  v_first_senders bigint[];
  v_first_ids bytea[];
  v_claimed_senders bigint[];
  v_claimed_ids bytea[];
  v_at int;
  v_next int;
`,
  ],
  [
    `  SELECT array_agg(f.ord) INTO v_fresh FROM firsts f JOIN claimed c ON c.sender_pk = f.sender_pk AND c.message_id = f.message_id;
  v_fresh := coalesce(v_fresh, '{}');
  -- Whether each send is one stored now, by its place (an array lookup, not a search per send).
  v_is_fresh := array_fill(false, ARRAY[v_n]);
  FOREACH v_ord IN ARRAY v_fresh LOOP
    v_is_fresh[v_ord] := true;
  END LOOP;
`,
    `  SELECT f.ords, f.senders, f.ids, c.senders, c.ids INTO v_first_ords, v_first_senders, v_first_ids, v_claimed_senders, v_claimed_ids
  FROM (SELECT coalesce(array_agg(ord ORDER BY sender_pk, message_id), '{}') AS ords,
               coalesce(array_agg(sender_pk ORDER BY sender_pk, message_id), '{}') AS senders,
               coalesce(array_agg(message_id ORDER BY sender_pk, message_id), '{}') AS ids FROM firsts) f,
       (SELECT coalesce(array_agg(sender_pk ORDER BY sender_pk, message_id), '{}') AS senders,
               coalesce(array_agg(message_id ORDER BY sender_pk, message_id), '{}') AS ids FROM claimed) c;
  -- The claimed rows are some of the firsts (each (sender, id) once), sorted alike: a first was
  -- claimed when it is the next claimed row. Past the last one the subscripts are NULL: not claimed.
  -- Whether each send is one stored now is kept by its place (an array lookup, not a search per send).
  v_is_fresh := array_fill(false, ARRAY[v_n]);
  v_fresh := '{}';
  v_next := 1;
  FOR v_at IN 1 .. cardinality(v_first_ords) LOOP
    IF v_first_senders[v_at] = v_claimed_senders[v_next] AND v_first_ids[v_at] = v_claimed_ids[v_next] THEN
      v_is_fresh[v_first_ords[v_at]] := true;
      v_fresh[v_next] := v_first_ords[v_at];
      v_next := v_next + 1;
    END IF;
  END LOOP;
  IF v_next <> cardinality(v_claimed_senders) + 1 THEN
    RAISE EXCEPTION 'sotto_send_batch: % message ids claimed, % matched to their sends', cardinality(v_claimed_senders), v_next - 1
      USING ERRCODE = 'XX000'; -- internal_error: a bug, not the caller's input
  END IF;
`,
  ],
];

/** `text` with `find` (present exactly once) replaced by `replacement`. */
function swapOnce(text: string, [find, replacement]: readonly [string, string]): string {
  const at = text.indexOf(find);
  if (at < 0 || text.indexOf(find, at + 1) >= 0) throw new Error(`migration 0012: 0010's text no longer holds ${JSON.stringify(find.slice(0, 60))} exactly once.`);
  return text.slice(0, at) + replacement + text.slice(at + find.length);
}

export const migration0012: SqlMigration = {
  version: 12,
  name: 'sotto-send-batch',
  up: SWAPS.reduce(swapOnce, migration0010.up),
};

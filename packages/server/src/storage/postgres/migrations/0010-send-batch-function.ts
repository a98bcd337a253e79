/**
 * @module storage/postgres/migrations/0010-send-batch-function
 * A batch of sends as one server-side function, so a batch costs one round trip instead of seven
 * (BEGIN, the groups' locks, senders and members, the message ids, the devices' locks, the mail,
 * COMMIT): at light load those round trips, not the commit's flush, were most of a hop on
 * PostgreSQL (docs/BENCHMARKS.md). The statements are the set-based ones sendBatch ran from Node,
 * in the same order, so a batch of 256 costs no more statements than a batch of one; each runs
 * with a fresh snapshot (READ COMMITTED in a VOLATILE function), so members are read after the
 * groups' locks as before. The rules are group-rules.ts's, spelled in SQL: an unknown group, then
 * an unknown sender, then a sender not in the group is refused, alone; the first send of a
 * (sender, message id) is stored, any other is a duplicate answered with the first one's time.
 *
 * Returns one row per send, in order: `code` ('ok', 'unknown_group', 'unknown_device',
 * 'not_a_member'), `duplicate`, `stored_at`, and the recipients (names and device ids, in device
 * order) the send was stored for, with `seqs`, the mailbox seq each one's copy got, so the node
 * can publish the entry whole on the bus (services/mail-notifier.ts). The three come from the rows
 * the mail statement wrote: a recipient device deleted meanwhile is left out of all three alike.
 */
import type { SqlMigration } from '../../migration-types.js';

export const migration0010: SqlMigration = {
  version: 10,
  name: 'send-batch-function',
  up: `
CREATE FUNCTION send_batch(
  p_usernames text[], p_device_ids text[], p_group_ids bytea[], p_message_ids bytea[], p_kinds int[],
  p_payloads bytea[], p_epochs bigint[], p_now bigint[], p_expires bigint[]
) RETURNS TABLE (ord bigint, code text, duplicate boolean, stored_at bigint, usernames text[], device_ids text[], seqs bigint[])
LANGUAGE plpgsql VOLATILE
-- Its statements' plans are made once per connection, not at every call: with custom plans the
-- planning was most of a lone send's time (2.5 ms a call at p50 here, 1.5 ms with this).
SET plan_cache_mode = force_generic_plan
-- Its tables are the schema's it was made in, whatever the caller's search_path.
SET search_path FROM CURRENT
AS $fn$
-- The result's column names (ord, code, ...) are also names of columns below: those are meant.
#variable_conflict use_column
DECLARE
  v_sender_pks bigint[];
  v_codes text[];
  v_counts int[];
  v_fresh bigint[];
  v_stored bigint[];
  v_target_pks bigint[];
  v_target_ords bigint[];
  v_written_pks bigint[];
  v_written_ords bigint[];
  v_written_seqs bigint[];
  v_is_fresh boolean[];
  v_locked bytea[];
  v_ord bigint;
  v_n int := coalesce(array_length(p_group_ids, 1), 0);
BEGIN
  IF v_n = 0 THEN
    RETURN;
  END IF;
  -- FOR SHARE: sends run side by side, but not across a commit. In one order, as commits lock one group each.
  -- The groups that exist are the ones locked here: one created after this statement began is
  -- unknown to this batch, as it is to the statements' way (a later read would see it unlocked).
  SELECT coalesce(array_agg(l.group_id), '{}') INTO v_locked
  FROM (SELECT group_id FROM groups WHERE group_id = ANY(p_group_ids) ORDER BY group_id FOR SHARE) l;

  -- Each send's sender, verdict and number of recipients, read after the locks.
  SELECT array_agg(x.sender_pk ORDER BY x.ord), array_agg(x.code ORDER BY x.ord), array_agg(x.recipients ORDER BY x.ord)
    INTO v_sender_pks, v_codes, v_counts
  FROM (
    SELECT w.ord, d.pk AS sender_pk,
      CASE WHEN NOT (w.group_id = ANY(v_locked)) THEN 'unknown_group'
           WHEN d.pk IS NULL THEN 'unknown_device'
           WHEN NOT coalesce(m.member, false) THEN 'not_a_member'
           ELSE 'ok' END AS code,
      coalesce(m.recipients, 0) AS recipients
    FROM unnest(p_usernames, p_device_ids, p_group_ids) WITH ORDINALITY AS w(username, device_id, group_id, ord)
    LEFT JOIN accounts a ON a.username = w.username
    LEFT JOIN devices d ON d.account_id = a.id AND d.device_id = w.device_id
    LEFT JOIN LATERAL (
      SELECT bool_or(gm.device_pk = d.pk) AS member, (count(*) FILTER (WHERE gm.device_pk <> d.pk))::int AS recipients
      FROM group_members gm WHERE gm.group_id = w.group_id
    ) m ON true
  ) x;

  -- The message ids: the first send of each (sender, id) that is new is stored.
  WITH wanted AS (
    SELECT w.ord, v_sender_pks[w.ord] AS sender_pk, w.message_id, p_now[w.ord] AS now, v_counts[w.ord] AS recipients
    FROM unnest(p_message_ids) WITH ORDINALITY AS w(message_id, ord)
    WHERE v_codes[w.ord] = 'ok'
  ), firsts AS (
    SELECT DISTINCT ON (sender_pk, message_id) ord, sender_pk, message_id, now, recipients FROM wanted ORDER BY sender_pk, message_id, ord
  ), claimed AS (
    INSERT INTO sent_ids (sender_pk, message_id, stored_at, recipients)
    SELECT sender_pk, message_id, now, recipients FROM firsts ORDER BY ord
    ON CONFLICT DO NOTHING RETURNING sender_pk, message_id
  )
  SELECT array_agg(f.ord) INTO v_fresh FROM firsts f JOIN claimed c ON c.sender_pk = f.sender_pk AND c.message_id = f.message_id;
  v_fresh := coalesce(v_fresh, '{}');
  -- Whether each send is one stored now, by its place (an array lookup, not a search per send).
  v_is_fresh := array_fill(false, ARRAY[v_n]);
  FOREACH v_ord IN ARRAY v_fresh LOOP
    v_is_fresh[v_ord] := true;
  END LOOP;

  -- Duplicates are answered with the time their first send was stored.
  SELECT array_agg(coalesce(s.stored_at, p_now[w.ord]) ORDER BY w.ord) INTO v_stored
  FROM unnest(p_message_ids) WITH ORDINALITY AS w(message_id, ord)
  LEFT JOIN sent_ids s ON NOT v_is_fresh[w.ord] AND v_codes[w.ord] = 'ok' AND s.sender_pk = v_sender_pks[w.ord] AND s.message_id = w.message_id;

  -- The fresh sends' recipients, read once: (device, send) in device order, then send order.
  SELECT array_agg(t.pk ORDER BY t.pk, t.ord), array_agg(t.ord ORDER BY t.pk, t.ord) INTO v_target_pks, v_target_ords
  FROM (
    SELECT gm.device_pk AS pk, f.ord FROM unnest(v_fresh) AS f(ord)
    JOIN group_members gm ON gm.group_id = p_group_ids[f.ord] AND gm.device_pk <> v_sender_pks[f.ord]
  ) t;
  v_target_pks := coalesce(v_target_pks, '{}');
  v_target_ords := coalesce(v_target_ords, '{}');

  -- Every recipient device's row lock, in one statement in pk order (as commits and fan-outs take them).
  PERFORM 1 FROM devices WHERE pk = ANY(v_target_pks) ORDER BY pk FOR NO KEY UPDATE;

  -- The mail: a device's rows take the seqs after its counter's old value, in send order. The rows
  -- written (device, send, seq) are kept together for the answer: a device deleted since its
  -- membership was read has no counter to bump and gets no row, so the answer must not pair the
  -- targets read above with the seqs written here.
  WITH targets AS (
    SELECT t.pk, t.ord, row_number() OVER (PARTITION BY t.pk ORDER BY t.ord) AS nth FROM unnest(v_target_pks, v_target_ords) AS t(pk, ord)
  ), counts AS (
    SELECT pk, count(*)::int AS n FROM targets GROUP BY pk
  ), bumped AS (
    UPDATE devices d SET next_seq = d.next_seq + c.n FROM counts c WHERE d.pk = c.pk
    RETURNING d.pk, d.next_seq - c.n AS before
  ), numbered AS (
    SELECT t.pk, t.ord, b.before + t.nth AS seq FROM targets t JOIN bumped b ON b.pk = t.pk
  ), stored AS (
    INSERT INTO mailbox (device_pk, seq, kind, sender_username, sender_device_id, group_id, message_id, payload, epoch, stored_at, expires_at)
    SELECT n.pk, n.seq, p_kinds[n.ord], p_usernames[n.ord], p_device_ids[n.ord], p_group_ids[n.ord], p_message_ids[n.ord], p_payloads[n.ord],
           p_epochs[n.ord], p_now[n.ord], NULLIF(p_expires[n.ord], 0)
    FROM numbered n
  )
  SELECT coalesce(array_agg(n.pk ORDER BY n.pk, n.ord), '{}'), coalesce(array_agg(n.ord ORDER BY n.pk, n.ord), '{}'),
         coalesce(array_agg(n.seq ORDER BY n.pk, n.ord), '{}')
    INTO v_written_pks, v_written_ords, v_written_seqs FROM numbered n;

  RETURN QUERY
  SELECT w.ord::bigint, v_codes[w.ord], v_codes[w.ord] = 'ok' AND NOT v_is_fresh[w.ord], v_stored[w.ord],
    coalesce(r.usernames, '{}'), coalesce(r.device_ids, '{}'), coalesce(r.seqs, '{}')
  FROM generate_series(1, v_n) AS w(ord)
  LEFT JOIN (
    SELECT t.ord, array_agg(a.username ORDER BY t.pk) AS usernames, array_agg(d.device_id ORDER BY t.pk) AS device_ids,
      array_agg(t.seq ORDER BY t.pk) AS seqs
    FROM unnest(v_written_pks, v_written_ords, v_written_seqs) AS t(pk, ord, seq) JOIN devices d ON d.pk = t.pk JOIN accounts a ON a.id = d.account_id
    GROUP BY t.ord
  ) r ON r.ord = w.ord
  ORDER BY w.ord;
END
$fn$;
`,
};

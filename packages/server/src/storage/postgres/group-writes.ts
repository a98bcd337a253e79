/**
 * @module storage/postgres/group-writes
 * PostgresStore's group methods, each run inside the store's transaction. The rules they follow
 * are storage/group-rules.ts's, shared with SQLite; this file reads the facts and executes plans.
 * The group row is the lock that orders them across nodes: commits, leaves and creation retries
 * take it FOR UPDATE / FOR SHARE, so "one commit per epoch" holds however many servers share the
 * database, and a send sees one membership, never half of a commit.
 */
import { ErrorCode } from '@sotto/protocol';
import { ServerError, type NewCommit, type NewGroup } from '../store.js';
import type { GroupRecord, MailItem, StoredMail } from '../types.js';
import { planCommit, planCreationRetry, planGroupCreation, planLeave, readAdmins, requireGroupSender, writeAdmins } from '../group-rules.js';
import { address, claimMessageIds, deviceRow, mailTo, memberRows, storeMail, type DeviceRow } from './queries.js';
import { prepared, type Sql } from './transaction.js';

interface GroupRow {
  epoch: string;
  creator_pk: string | null;
  created_at: string;
  admins: string | null;
}

async function lockGroup(sql: Sql, groupId: Uint8Array, lock: 'FOR SHARE' | 'FOR UPDATE'): Promise<GroupRow | undefined> {
  const result = await sql.query<GroupRow>(`SELECT epoch, creator_pk, created_at, admins FROM groups WHERE group_id = $1 ${lock}`, [groupId]);
  return result.rows[0];
}

/** A group's epoch and members in device order, or undefined for an unknown id. */
export async function getGroup(sql: Sql, groupId: Uint8Array): Promise<GroupRecord | undefined> {
  const { rows } = await sql.query<{ epoch: string; admins: string | null; username: string | null; device_id: string | null }>(
    `SELECT g.epoch, g.admins, a.username, d.device_id
     FROM groups g
     LEFT JOIN group_members m ON m.group_id = g.group_id
     LEFT JOIN devices d ON d.pk = m.device_pk
     LEFT JOIN accounts a ON a.id = d.account_id
     WHERE g.group_id = $1 ORDER BY d.pk`,
    [groupId],
  );
  if (rows.length === 0) return undefined;
  const members = rows.flatMap((r) => (r.username !== null && r.device_id !== null ? [{ username: r.username, deviceId: r.device_id }] : []));
  return { groupId, epoch: BigInt(rows[0]!.epoch), members, admins: readAdmins(rows[0]!.admins) ?? [] };
}

async function deviceRowsOf(sql: Sql, devices: NewGroup['members']): Promise<(DeviceRow | undefined)[]> {
  const rows: (DeviceRow | undefined)[] = [];
  for (const device of devices) rows.push(await deviceRow(sql, device));
  return rows;
}

export async function createGroup(sql: Sql, group: NewGroup): Promise<StoredMail> {
  const existing = await lockGroup(sql, group.groupId, 'FOR SHARE');
  if (existing) return retriedGroup(sql, existing, group);
  const plan = planGroupCreation(group, await deviceRow(sql, group.creator), await deviceRowsOf(sql, group.members));
  // Waits for a concurrent creation of the same id; if that one committed, this is its retry or a clash.
  const inserted = await sql.query(
    'INSERT INTO groups (group_id, epoch, created_at, creator_pk, admins) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (group_id) DO NOTHING',
    [group.groupId, group.epoch, group.now, plan.creator.pk, writeAdmins(plan.admins)],
  );
  if (inserted.rowCount !== 1) {
    const raced = await lockGroup(sql, group.groupId, 'FOR SHARE');
    if (!raced) throw new ServerError(ErrorCode.GROUP_EXISTS);
    return retriedGroup(sql, raced, group);
  }
  await sql.query('INSERT INTO group_members (group_id, device_pk) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING', [
    group.groupId,
    plan.members.map((row) => row.pk),
  ]);
  return mailTo(sql, plan.welcome.devices, plan.welcome.item, group.now);
}

async function retriedGroup(sql: Sql, existing: GroupRow, group: NewGroup): Promise<StoredMail> {
  const retry = planCreationRetry(
    { epoch: BigInt(existing.epoch), creatorPk: existing.creator_pk, createdAt: Number(existing.created_at) },
    group,
    await deviceRow(sql, group.creator),
    await deviceRowsOf(sql, group.members),
    await memberRows(sql, group.groupId),
  );
  return { storedAt: retry.storedAt, recipients: retry.welcomed.map(address), duplicate: true };
}

export async function applyCommit(sql: Sql, commit: NewCommit): Promise<StoredMail & { epoch: bigint }> {
  // A second commit for this group, on any node, waits here and then sees the new epoch.
  const group = await lockGroup(sql, commit.groupId, 'FOR UPDATE');
  const senderPk = requireGroupSender(group !== undefined, (await deviceRow(sql, commit.sender))?.pk);
  const plan = planCommit(commit, {
    currentEpoch: BigInt(group!.epoch),
    senderPk,
    storedBefore: (await claimMessageIds(sql, [{ senderPk, messageId: commit.commit.messageId, now: commit.now, recipients: 0 }]))[0],
    members: await memberRows(sql, commit.groupId),
    removed: await deviceRowsOf(sql, commit.removed),
    added: await deviceRowsOf(sql, commit.added),
    admins: readAdmins(group!.admins),
  });
  if (plan.duplicate) return { storedAt: plan.storedAt, duplicate: true, recipients: [], epoch: plan.epoch };
  await sql.query('UPDATE groups SET epoch = $1 WHERE group_id = $2', [plan.nextEpoch, commit.groupId]);
  if (plan.admins) await sql.query('UPDATE groups SET admins = $1 WHERE group_id = $2', [writeAdmins(plan.admins), commit.groupId]);
  await sql.query('DELETE FROM group_members WHERE group_id = $1 AND device_pk = ANY($2::bigint[])', [commit.groupId, plan.remove.map((row) => row.pk)]);
  await sql.query('INSERT INTO group_members (group_id, device_pk) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING', [
    commit.groupId,
    plan.add.map((row) => row.pk),
  ]);
  // One storeMail call for every delivery, so all device locks are taken in one ordered statement.
  const recipients = await storeMail(sql, plan.deliveries, commit.now);
  return { storedAt: commit.now, duplicate: false, recipients, epoch: plan.nextEpoch };
}

export interface BatchedSend {
  readonly item: MailItem;
  readonly now: number;
}

/** Each send's own outcome: a refused send (an unknown group, not a member) fails alone. */
export type SendOutcome = { readonly ok: true; readonly mail: StoredMail } | { readonly ok: false; readonly error: ServerError };

/**
 * Stores a batch of sends in one statement, a transaction of its own: the function
 * `sotto_send_batch` (migrations/0012-sotto-send-batch.ts, 0010's rules with the byte strings
 * packed), whose rules are group-rules.ts's spelled in SQL. Every refusal is known before the first
 * write, so a refused send leaves nothing behind and the others go on. One round trip for the whole
 * batch, where running its statements from Node takes seven: for batches of up to
 * FUNCTION_BATCH_MAX sends (send-batch-statements.ts takes larger ones).
 */
export async function sendBatchByFunction(sql: Sql, sends: readonly BatchedSend[]): Promise<SendOutcome[]> {
  const { rows } = await sql.query<{ ord: string; code: string; duplicate: boolean; stored_at: string; usernames: string[]; device_ids: string[]; seqs: string[] }>(prepared(
    'sotto_send_batch',
    'SELECT ord, code, duplicate, stored_at, usernames, device_ids, seqs FROM sotto_send_batch($1::text[], $2::text[], $3::bytea, $4::int[], $5::bytea, $6::int[], $7::int[], $8::bytea, $9::int[], $10::bigint[], $11::bigint[], $12::bigint[]) ORDER BY ord',
    [
      sends.map((s) => s.item.sender.username),
      sends.map((s) => s.item.sender.deviceId),
      ...packed(sends.map((s) => s.item.groupId)),
      ...packed(sends.map((s) => s.item.messageId)),
      sends.map((s) => s.item.kind),
      ...packed(sends.map((s) => s.item.payload)),
      sends.map((s) => s.item.epoch),
      sends.map((s) => s.now),
      sends.map((s) => s.item.expiresAt ?? 0),
    ],
  ));
  if (rows.length !== sends.length || rows.some((row, i) => Number(row.ord) !== i + 1)) throw new ServerError(ErrorCode.INTERNAL, `sotto_send_batch answered ${rows.length} rows for ${sends.length} sends.`);
  return rows.map((row): SendOutcome => {
    const refusal = REFUSALS[row.code];
    if (refusal !== undefined) return { ok: false, error: new ServerError(refusal) };
    if (row.code !== 'ok') throw new ServerError(ErrorCode.INTERNAL, `sotto_send_batch gave an unknown verdict for a send.`);
    if (row.duplicate) return { ok: true, mail: { storedAt: Number(row.stored_at), duplicate: true, recipients: [] } };
    const recipients = row.usernames.map((username, i) => ({ username, deviceId: row.device_ids[i]! }));
    return { ok: true, mail: { storedAt: Number(row.stored_at), duplicate: false, recipients, seqs: row.seqs.map(BigInt) } };
  });
}

/**
 * A list of byte strings as the function takes it: all of them in one Buffer (sent in binary) and
 * where each ends in it. As a bytea[] they would travel hex escaped and be parsed character by
 * character, most of a large batch's cost outside the function (migrations/0012-sotto-send-batch.ts).
 */
export function packed(parts: readonly Uint8Array[]): [bytes: Buffer, ends: number[]] {
  let end = 0;
  const ends = parts.map((part) => (end += part.length));
  return [Buffer.concat(parts), ends];
}

/** The refusals sotto_send_batch reports, as group-rules.ts's requireGroupSender and planGroupSend throw them. */
const REFUSALS: Readonly<Record<string, ErrorCode>> = {
  unknown_group: ErrorCode.UNKNOWN_GROUP,
  unknown_device: ErrorCode.UNKNOWN_DEVICE,
  not_a_member: ErrorCode.NOT_A_MEMBER,
};

export async function leaveGroup(sql: Sql, item: MailItem, now: number): Promise<StoredMail> {
  const exists = (await lockGroup(sql, item.groupId, 'FOR UPDATE')) !== undefined;
  const senderPk = requireGroupSender(exists, exists ? (await deviceRow(sql, item.sender))?.pk : undefined);
  const recipients = planLeave(await memberRows(sql, item.groupId), senderPk);
  await sql.query('DELETE FROM group_members WHERE group_id = $1 AND device_pk = $2', [item.groupId, senderPk]);
  return mailTo(sql, recipients, item, now);
}

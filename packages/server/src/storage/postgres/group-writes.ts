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
import { planCommit, planCreationRetry, planGroupCreation, planGroupSend, planLeave, readAdmins, requireGroupSender, writeAdmins } from '../group-rules.js';
import { address, claimMessageIds, deviceRow, hex, mailTo, memberRows, storeMail, storeMailEach, type DeviceRow } from './queries.js';
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
 * Stores a batch of sends in the open transaction, in order, in five statements whatever its
 * size: the groups' locks, the senders and members, the message ids, then storeMailEach's two. The rules are group-rules.ts's, as for one send; every refusal is known
 * before the first write, so a refused send leaves nothing behind and the others go on.
 */
export async function sendBatch(sql: Sql, sends: readonly BatchedSend[]): Promise<SendOutcome[]> {
  const groupIds = unique(sends.map((s) => s.item.groupId), hex);
  // FOR SHARE: sends run side by side, but not across a commit. In one order, as commits lock one group each.
  const locked = await sql.query<{ group_id: Buffer }>(
    prepared('send_lock_groups', 'SELECT group_id FROM groups WHERE group_id = ANY($1::bytea[]) ORDER BY group_id FOR SHARE', [groupIds]),
  );
  const existing = new Set(locked.rows.map((row) => hex(row.group_id)));
  const { senders, members } = await sendersAndMembers(sql, sends.map((s) => s.item.sender), groupIds.filter((id) => existing.has(hex(id))));
  const planned = sends.map((send): { ok: false; error: ServerError } | { ok: true; senderPk: string; recipients: readonly DeviceRow[] } => {
    try {
      const key = hex(send.item.groupId);
      const senderPk = requireGroupSender(existing.has(key), senders.get(addressKey(send.item.sender))?.pk);
      return { ok: true, senderPk, recipients: planGroupSend(members.get(key) ?? [], senderPk) };
    } catch (error) {
      if (error instanceof ServerError) return { ok: false, error };
      throw error;
    }
  });
  const previous = await claimMessageIds(sql, sends.flatMap((send, i) => {
    const plan = planned[i]!;
    return plan.ok ? [{ senderPk: plan.senderPk, messageId: send.item.messageId, now: send.now, recipients: plan.recipients.length }] : [];
  }));
  const deliveries: { index: number; devices: readonly DeviceRow[]; item: MailItem; storedAt: number }[] = [];
  const outcomes: (SendOutcome | undefined)[] = sends.map((send, i) => {
    const plan = planned[i]!;
    if (!plan.ok) return plan;
    const storedBefore = previous.shift();
    if (storedBefore !== undefined) return { ok: true, mail: { storedAt: storedBefore, duplicate: true, recipients: [] } };
    deliveries.push({ index: i, devices: plan.recipients, item: send.item, storedAt: send.now });
    return undefined;
  });
  const recipients = await storeMailEach(sql, deliveries, 0);
  deliveries.forEach(({ index, storedAt }, k) => {
    outcomes[index] = { ok: true, mail: { storedAt, duplicate: false, recipients: recipients[k]! } };
  });
  return outcomes as SendOutcome[];
}

const addressKey = (device: { username: string; deviceId: string }): string => `${device.username}\n${device.deviceId}`;

function unique<T>(values: readonly T[], key: (value: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const value of values) if (!seen.has(key(value))) seen.set(key(value), value);
  return [...seen.values()];
}

/**
 * The senders' device rows and each group's members in device order, in one statement (read after
 * the groups' locks, so a commit of one of these groups is either wholly before or wholly after).
 */
async function sendersAndMembers(
  sql: Sql,
  devices: readonly MailItem['sender'][],
  groupIds: readonly Uint8Array[],
): Promise<{ senders: Map<string, DeviceRow>; members: Map<string, DeviceRow[]> }> {
  const wanted = unique(devices, addressKey);
  const { rows } = await sql.query<DeviceRow & { group_id: Buffer | null }>(prepared(
    'send_senders_and_members',
    `SELECT NULL::bytea AS group_id, d.pk, a.username, d.device_id, d.identity_key, d.created_at
     FROM unnest($1::text[], $2::text[]) AS w(username, device_id)
     JOIN accounts a ON a.username = w.username JOIN devices d ON d.account_id = a.id AND d.device_id = w.device_id
     UNION ALL
     SELECT m.group_id, d.pk, a.username, d.device_id, d.identity_key, d.created_at
     FROM group_members m JOIN devices d ON d.pk = m.device_pk JOIN accounts a ON a.id = d.account_id
     WHERE m.group_id = ANY($3::bytea[])
     ORDER BY pk`,
    [wanted.map((d) => d.username), wanted.map((d) => d.deviceId), groupIds],
  ));
  const senders = new Map<string, DeviceRow>();
  const members = new Map<string, DeviceRow[]>();
  for (const { group_id: groupId, ...row } of rows) {
    if (groupId === null) {
      senders.set(addressKey({ username: row.username, deviceId: row.device_id }), row);
      continue;
    }
    const key = hex(groupId);
    const list = members.get(key);
    if (list) list.push(row);
    else members.set(key, [row]);
  }
  return { senders, members };
}


export async function leaveGroup(sql: Sql, item: MailItem, now: number): Promise<StoredMail> {
  const exists = (await lockGroup(sql, item.groupId, 'FOR UPDATE')) !== undefined;
  const senderPk = requireGroupSender(exists, exists ? (await deviceRow(sql, item.sender))?.pk : undefined);
  const recipients = planLeave(await memberRows(sql, item.groupId), senderPk);
  await sql.query('DELETE FROM group_members WHERE group_id = $1 AND device_pk = $2', [item.groupId, senderPk]);
  return mailTo(sql, recipients, item, now);
}

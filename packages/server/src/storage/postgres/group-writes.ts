/**
 * @module storage/postgres/group-writes
 * PostgresStore's group methods, each run inside the store's transaction.
 * The group row is the lock that orders them across nodes: commits, leaves
 * and creation retries take it FOR UPDATE / FOR SHARE, so "one commit per
 * epoch" holds however many servers share the database, and a send sees one
 * membership, never half of a commit.
 */
import { ErrorCode } from '@sotto/protocol';
import { ServerError, StaleEpochError, type NewCommit, type NewGroup } from '../store.js';
import type { MailItem, StoredMail } from '../types.js';
import {
  address,
  claimMessageId,
  deviceRow,
  mailTo,
  memberRows,
  requireDevice,
  storeMail,
  uniqueDevices,
  type DeviceRow,
} from './queries.js';
import type { Sql } from './transaction.js';

interface GroupRow {
  epoch: string;
  creator_pk: string | null;
  created_at: string;
}

async function lockGroup(sql: Sql, groupId: Uint8Array, lock: 'FOR SHARE' | 'FOR UPDATE'): Promise<GroupRow | undefined> {
  const result = await sql.query<GroupRow>(`SELECT epoch, creator_pk, created_at FROM groups WHERE group_id = $1 ${lock}`, [groupId]);
  return result.rows[0];
}

export async function createGroup(sql: Sql, group: NewGroup): Promise<StoredMail> {
  const existing = await lockGroup(sql, group.groupId, 'FOR SHARE');
  if (existing) return retriedGroup(sql, existing, group);
  const creator = await requireDevice(sql, group.creator);
  const members: DeviceRow[] = [];
  for (const member of group.members) members.push(await requireDevice(sql, member));
  // Waits for a concurrent creation of the same id; if that one committed, this is its retry or a clash.
  const inserted = await sql.query(
    'INSERT INTO groups (group_id, epoch, created_at, creator_pk) VALUES ($1, $2, $3, $4) ON CONFLICT (group_id) DO NOTHING',
    [group.groupId, group.epoch, group.now, creator.pk],
  );
  if (inserted.rowCount !== 1) {
    const raced = await lockGroup(sql, group.groupId, 'FOR SHARE');
    if (!raced) throw new ServerError(ErrorCode.GROUP_EXISTS);
    return retriedGroup(sql, raced, group);
  }
  await sql.query('INSERT INTO group_members (group_id, device_pk) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING', [
    group.groupId,
    uniqueDevices([creator, ...members]).map((row) => row.pk),
  ]);
  return mailTo(sql, uniqueDevices(members).filter((row) => row.pk !== creator.pk), group.welcome, group.now);
}

/**
 * The creator's retry of a createGroup that was stored (same creator device,
 * epoch and members) gets the original result; anything else is a clash.
 */
async function retriedGroup(sql: Sql, existing: GroupRow, group: NewGroup): Promise<StoredMail> {
  const clash = new ServerError(ErrorCode.GROUP_EXISTS);
  const creator = await deviceRow(sql, group.creator);
  if (!creator || existing.creator_pk !== creator.pk || BigInt(existing.epoch) !== group.epoch) throw clash;
  const asked: DeviceRow[] = [];
  for (const member of group.members) {
    const row = await deviceRow(sql, member);
    if (!row) throw clash;
    asked.push(row);
  }
  const stored = new Set((await memberRows(sql, group.groupId)).map((row) => row.pk));
  const wanted = new Set(uniqueDevices([creator, ...asked]).map((row) => row.pk));
  if (stored.size !== wanted.size || [...wanted].some((pk) => !stored.has(pk))) throw clash;
  const recipients = uniqueDevices(asked).filter((row) => row.pk !== creator.pk).map(address);
  return { storedAt: Number(existing.created_at), recipients, duplicate: true };
}

export async function applyCommit(sql: Sql, commit: NewCommit): Promise<StoredMail & { epoch: bigint }> {
  // A second commit for this group, on any node, waits here and then sees the new epoch.
  const group = await lockGroup(sql, commit.groupId, 'FOR UPDATE');
  if (!group) throw new ServerError(ErrorCode.UNKNOWN_GROUP);
  const epoch = BigInt(group.epoch);
  const sender = await requireDevice(sql, commit.sender);
  const previous = await claimMessageId(sql, sender.pk, commit.commit.messageId, commit.now, 0);
  if (previous !== undefined) return { storedAt: previous, duplicate: true, recipients: [], epoch };
  const members = await memberRows(sql, commit.groupId);
  if (!members.some((m) => m.pk === sender.pk)) throw new ServerError(ErrorCode.NOT_A_MEMBER);
  if (epoch !== commit.epoch) throw new StaleEpochError(epoch);
  const nextEpoch = commit.epoch + 1n;
  await sql.query('UPDATE groups SET epoch = $1 WHERE group_id = $2', [nextEpoch, commit.groupId]);
  const removed: string[] = [];
  for (const device of commit.removed) removed.push((await requireDevice(sql, device)).pk);
  const added: DeviceRow[] = [];
  for (const device of commit.added) added.push(await requireDevice(sql, device));
  await sql.query('DELETE FROM group_members WHERE group_id = $1 AND device_pk = ANY($2::bigint[])', [commit.groupId, removed]);
  await sql.query('INSERT INTO group_members (group_id, device_pk) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING', [
    commit.groupId,
    added.map((row) => row.pk),
  ]);
  // One storeMail call for both items, so all device locks are taken in one ordered statement.
  const recipients = await storeMail(
    sql,
    [
      // Everyone who was a member (removed ones too, so they learn it) except the committer.
      { devices: members.filter((m) => m.pk !== sender.pk), item: { ...commit.commit, epoch: commit.epoch } },
      ...(commit.welcome ? [{ devices: added, item: { ...commit.welcome, epoch: nextEpoch } }] : []),
    ],
    commit.now,
  );
  return { storedAt: commit.now, duplicate: false, recipients, epoch: nextEpoch };
}

export async function sendToGroup(sql: Sql, item: MailItem, now: number): Promise<StoredMail> {
  // FOR SHARE: sends run side by side, but not across a commit.
  if (!(await lockGroup(sql, item.groupId, 'FOR SHARE'))) throw new ServerError(ErrorCode.UNKNOWN_GROUP);
  const sender = await requireDevice(sql, item.sender);
  const members = await memberRows(sql, item.groupId);
  if (!members.some((m) => m.pk === sender.pk)) throw new ServerError(ErrorCode.NOT_A_MEMBER);
  const recipients = members.filter((m) => m.pk !== sender.pk);
  const previous = await claimMessageId(sql, sender.pk, item.messageId, now, recipients.length);
  if (previous !== undefined) return { storedAt: previous, duplicate: true, recipients: [] };
  return mailTo(sql, recipients, item, now);
}

export async function leaveGroup(sql: Sql, item: MailItem, now: number): Promise<StoredMail> {
  if (!(await lockGroup(sql, item.groupId, 'FOR UPDATE'))) throw new ServerError(ErrorCode.UNKNOWN_GROUP);
  const sender = await requireDevice(sql, item.sender);
  const members = await memberRows(sql, item.groupId);
  if (!members.some((m) => m.pk === sender.pk)) throw new ServerError(ErrorCode.NOT_A_MEMBER);
  await sql.query('DELETE FROM group_members WHERE group_id = $1 AND device_pk = $2', [item.groupId, sender.pk]);
  return mailTo(sql, members.filter((m) => m.pk !== sender.pk), item, now);
}

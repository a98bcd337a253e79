/**
 * @module storage/sqlite/group-writes
 * SqliteStore's groups-and-routing methods, each run inside the store's group commit. The rules
 * they follow are storage/group-rules.ts's, shared with PostgreSQL; this file reads the facts and
 * executes plans. Every membership write drops the group from the routing cache.
 */
import type { NewCommit, NewGroup } from '../store.js';
import type { GroupRecord, MailItem, StoredMail } from '../types.js';
import { planCommit, planCreationRetry, planGroupCreation, planGroupSend, planLeave, readAdmins, requireGroupSender, writeAdmins } from '../group-rules.js';
import { deviceAddress, type SqliteRows } from './rows.js';

export function getGroup(rows: SqliteRows, groupId: Uint8Array): GroupRecord | undefined {
  const row = rows.sql.prepare('SELECT epoch, admins FROM groups WHERE group_id = ?').get(groupId) as { epoch: number; admins: string | null } | undefined;
  if (!row) return undefined;
  return { groupId, epoch: BigInt(row.epoch), members: rows.memberRows(groupId).map(deviceAddress), admins: readAdmins(row.admins) ?? [] };
}

export function createGroup(rows: SqliteRows, group: NewGroup): StoredMail {
  const existing = rows.sql.prepare('SELECT epoch, creator_pk, created_at FROM groups WHERE group_id = ?').get(group.groupId) as
    | { epoch: number; creator_pk: number | null; created_at: number }
    | undefined;
  if (existing) {
    const retry = planCreationRetry(
      { epoch: BigInt(existing.epoch), creatorPk: existing.creator_pk, createdAt: existing.created_at },
      group,
      rows.deviceRow(group.creator),
      group.members.map((m) => rows.deviceRow(m)),
      rows.memberRows(group.groupId),
    );
    return { storedAt: retry.storedAt, recipients: retry.welcomed.map(deviceAddress), duplicate: true };
  }
  const plan = planGroupCreation(group, rows.deviceRow(group.creator), group.members.map((m) => rows.deviceRow(m)));
  rows.routing.dropGroup(group.groupId);
  rows.sql
    .prepare('INSERT INTO groups (group_id, epoch, created_at, creator_pk, admins) VALUES (?, ?, ?, ?, ?)')
    .run(group.groupId, Number(group.epoch), group.now, plan.creator.pk, writeAdmins(plan.admins));
  const addMember = rows.sql.prepare('INSERT OR IGNORE INTO group_members (group_id, device_pk) VALUES (?, ?)');
  for (const row of plan.members) addMember.run(group.groupId, row.pk);
  return rows.mailToDevices(plan.welcome.devices, plan.welcome.item, group.now);
}

export function applyCommit(rows: SqliteRows, commit: NewCommit): StoredMail & { epoch: bigint } {
  const group = rows.sql.prepare('SELECT epoch, admins FROM groups WHERE group_id = ?').get(commit.groupId) as { epoch: number; admins: string | null } | undefined;
  const senderPk = requireGroupSender(group !== undefined, rows.devicePk(commit.sender));
  const plan = planCommit(commit, {
    currentEpoch: BigInt(group!.epoch),
    senderPk,
    storedBefore: rows.claimMessageId(senderPk, commit.commit.messageId, commit.now, 0)?.storedAt,
    members: rows.memberRows(commit.groupId),
    removed: commit.removed.map((d) => rows.cachedDevice(d)),
    added: commit.added.map((d) => rows.deviceRow(d)),
    admins: readAdmins(group!.admins),
  });
  if (plan.duplicate) return { storedAt: plan.storedAt, duplicate: true, recipients: [], epoch: plan.epoch };
  rows.routing.dropGroup(commit.groupId);
  rows.sql.prepare('UPDATE groups SET epoch = ? WHERE group_id = ?').run(Number(plan.nextEpoch), commit.groupId);
  if (plan.admins) rows.sql.prepare('UPDATE groups SET admins = ? WHERE group_id = ?').run(writeAdmins(plan.admins), commit.groupId);
  const remove = rows.sql.prepare('DELETE FROM group_members WHERE group_id = ? AND device_pk = ?');
  for (const row of plan.remove) remove.run(commit.groupId, row.pk);
  const add = rows.sql.prepare('INSERT OR IGNORE INTO group_members (group_id, device_pk) VALUES (?, ?)');
  for (const row of plan.add) add.run(commit.groupId, row.pk);
  const recipients = plan.deliveries.flatMap((delivery) => rows.mailToDevices(delivery.devices, delivery.item, commit.now).recipients);
  return { storedAt: commit.now, duplicate: false, recipients, epoch: plan.nextEpoch };
}

export function sendToGroup(rows: SqliteRows, item: MailItem, now: number): StoredMail {
  const members = rows.groupMembers(item.groupId);
  const senderPk = requireGroupSender(members !== undefined, rows.devicePk(item.sender));
  const recipients = planGroupSend(members!, senderPk);
  const previous = rows.claimMessageId(senderPk, item.messageId, now, recipients.length);
  if (previous) return previous;
  return rows.mailToDevices(recipients, item, now);
}

export function leaveGroup(rows: SqliteRows, item: MailItem, now: number): StoredMail {
  const exists = rows.sql.prepare('SELECT 1 FROM groups WHERE group_id = ?').get(item.groupId) !== undefined;
  const senderPk = requireGroupSender(exists, rows.devicePk(item.sender));
  const recipients = planLeave(rows.memberRows(item.groupId), senderPk);
  rows.routing.dropGroup(item.groupId);
  rows.sql.prepare('DELETE FROM group_members WHERE group_id = ? AND device_pk = ?').run(item.groupId, senderPk);
  return rows.mailToDevices(recipients, item, now);
}

/**
 * @module storage/postgres/send-batch-statements
 * A large batch of sends, as five set-based statements run from Node in one transaction. For a
 * batch of more than FUNCTION_BATCH_MAX sends this is faster than the server-side function
 * (send_batch, migrations/0010-send-batch-function.ts): PostgreSQL plans each statement for the
 * batch at hand, where the function keeps plans made for any size, which a lone send needs and a
 * larger batch pays for (`node bench/pg-batch.mjs`: 8 sends 2.26 ms this way, 4.28 by the
 * function; 256 sends 13.3 against 27.2 ms). The rules are group-rules.ts's; send-batch.test.ts shows both ways give the same
 * outcomes and the same mailboxes.
 */
import { ServerError } from '../store.js';
import type { MailItem } from '../types.js';
import { planGroupSend, requireGroupSender } from '../group-rules.js';
import type { BatchedSend, SendOutcome } from './group-writes.js';
import { claimMessageIds, hex, storeMailEach, type DeviceRow } from './queries.js';
import { prepared, type Sql } from './transaction.js';

/**
 * Stores a batch of sends in the open transaction, in order, in five statements whatever its
 * size: the groups' locks, the senders and members, the message ids, then storeMailEach's two
 * (with BEGIN and COMMIT, seven round trips). The rules are group-rules.ts's, as for one send; every refusal is known
 * before the first write, so a refused send leaves nothing behind and the others go on.
 */
export async function sendBatchByStatements(sql: Sql, sends: readonly BatchedSend[]): Promise<SendOutcome[]> {
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
  const copies = await storeMailEach(sql, deliveries, 0);
  deliveries.forEach(({ index, storedAt }, k) => {
    const { recipients, seqs } = copies[k]!;
    outcomes[index] = { ok: true, mail: { storedAt, duplicate: false, recipients, seqs } };
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

/**
 * @module storage/sqlite/rows
 * The row-level steps every SQLite domain module shares, inside the store's
 * group commit: account and device look-ups (device rows through the routing
 * cache), group members, writing mail to devices (staged for the mailbox
 * tails), and claiming a (sender, message id) pair.
 */
import { ErrorCode } from '@sotto/protocol';
import { ServerError } from '../store.js';
import type { DeviceAddress, DeviceRecord, MailboxEntry, MailItem, StoredMail } from '../types.js';
import type { RoutingCache, DeviceKey, DeviceRow } from './routing-cache.js';
import type { StagedMail } from './staged-mail.js';
import type { Statements } from './statements.js';

export const bytes = (buffer: Uint8Array): Uint8Array => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
export const deviceAddress = (row: DeviceKey): DeviceAddress => ({ username: row.username, deviceId: row.device_id });

export class SqliteRows {
  constructor(
    readonly sql: Statements,
    readonly routing: RoutingCache,
    private readonly staged: StagedMail,
  ) {}

  accountId(username: string): number | undefined {
    const row = this.sql.prepare('SELECT id FROM accounts WHERE username = ?').get(username) as { id: number } | undefined;
    return row?.id;
  }

  requireAccountId(username: string): number {
    const id = this.accountId(username);
    if (id === undefined) throw new ServerError(ErrorCode.UNKNOWN_ACCOUNT);
    return id;
  }

  deviceRow(device: DeviceAddress): DeviceRow | undefined {
    return this.sql
      .prepare(
        `SELECT d.pk, a.username, d.device_id, d.identity_key, d.created_at
         FROM devices d JOIN accounts a ON a.id = d.account_id
         WHERE a.username = ? AND d.device_id = ?`,
      )
      .get(device.username, device.deviceId) as DeviceRow | undefined;
  }

  /** The device's row, from the routing cache. */
  cachedDevice(device: DeviceAddress): DeviceRow | undefined {
    return this.routing.device(device, () => this.deviceRow(device));
  }

  devicePk(device: DeviceAddress): number | undefined {
    return this.cachedDevice(device)?.pk;
  }

  requireDevicePk(device: DeviceAddress): number {
    const pk = this.devicePk(device);
    if (pk === undefined) throw new ServerError(ErrorCode.UNKNOWN_DEVICE);
    return pk;
  }

  deviceRows(username: string): DeviceRow[] {
    return this.sql
      .prepare(
        `SELECT d.pk, a.username, d.device_id, d.identity_key, d.created_at
         FROM devices d JOIN accounts a ON a.id = d.account_id
         WHERE a.username = ? ORDER BY d.pk`,
      )
      .all(username) as DeviceRow[];
  }

  toDevice(row: DeviceRow): DeviceRecord {
    return { username: row.username, deviceId: row.device_id, identityKey: bytes(row.identity_key), createdAt: row.created_at };
  }

  insertMail(devicePk: number, item: MailItem, now: number): void {
    const { lastInsertRowid } = this.sql
      .prepare(
        `INSERT INTO mailbox (device_pk, kind, sender_username, sender_device_id, group_id, message_id, payload, epoch, stored_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(devicePk, item.kind, item.sender.username, item.sender.deviceId, item.groupId, item.messageId, item.payload, Number(item.epoch), now, item.expiresAt || null);
    // A literal, not `{ ...item, seq, storedAt }`: V8 (Node 20) builds a spread followed by more
    // properties on a slow path, ~3.5 us against ~15 ns, once per recipient device.
    const entry: MailboxEntry = {
      seq: BigInt(lastInsertRowid),
      kind: item.kind,
      sender: item.sender,
      groupId: item.groupId,
      messageId: item.messageId,
      payload: item.payload,
      epoch: item.epoch,
      storedAt: now,
      expiresAt: item.expiresAt ?? 0,
    };
    this.staged.added(devicePk, entry);
  }

  mailToDevices(rows: readonly DeviceKey[], item: MailItem, now: number): StoredMail {
    for (const row of rows) this.insertMail(row.pk, item, now);
    return { storedAt: now, duplicate: false, recipients: rows.map((r) => ({ username: r.username, deviceId: r.device_id })) };
  }

  memberRows(groupId: Uint8Array): DeviceRow[] {
    return this.sql
      .prepare(
        `SELECT d.pk, a.username, d.device_id, d.identity_key, d.created_at
         FROM group_members m JOIN devices d ON d.pk = m.device_pk JOIN accounts a ON a.id = d.account_id
         WHERE m.group_id = ? ORDER BY d.pk`,
      )
      .all(groupId) as DeviceRow[];
  }

  /** An existing group's members, from the routing cache; undefined when there is no such group. */
  groupMembers(groupId: Uint8Array): readonly DeviceKey[] | undefined {
    return this.routing.members(groupId, () => (this.sql.prepare('SELECT 1 FROM groups WHERE group_id = ?').get(groupId) ? this.memberRows(groupId) : undefined));
  }

  /** Returns the earlier result if (sender, messageId) was stored before, else records it. */
  claimMessageId(senderPk: number, messageId: Uint8Array, now: number, recipients: number): StoredMail | undefined {
    // Insert first: a new id (nearly every send) then costs one statement, not a look-up and an insert.
    const claimed = this.sql
      .prepare('INSERT INTO sent_ids (sender_pk, message_id, stored_at, recipients) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING')
      .run(senderPk, messageId, now, recipients);
    if (claimed.changes === 1) return undefined;
    const seen = this.sql.prepare('SELECT stored_at FROM sent_ids WHERE sender_pk = ? AND message_id = ?').get(senderPk, messageId) as { stored_at: number };
    return { storedAt: seen.stored_at, duplicate: true, recipients: [] };
  }
}

/**
 * @module storage/sqlite/routing-cache
 * What every message's write and every login looks up and almost never changes: which row a
 * device is (with its identity key), and which devices a group has. Read from SQLite for each message, the two lookups cost more than the
 * mailbox insert itself. Only this process writes group membership (operator commands open the
 * database too, but change neither), so entries stay true until SqliteStore drops them: a group's
 * when a write changes its members, and all of them when a group transaction fails to commit (a
 * rolled-back transaction may have been read). Device rows are never deleted and their keys never
 * reused while committed, so a device's row number, once committed, stays right.
 */
import { LRUCache } from 'lru-cache';
import { deviceKey, type DeviceAddress } from '../types.js';

/** The columns a message's routing needs. */
export interface DeviceKey {
  readonly pk: number;
  readonly username: string;
  readonly device_id: string;
}

/** A device's row: its key and its public identity key, which never change. */
export interface DeviceRow extends DeviceKey {
  readonly identity_key: Uint8Array;
  readonly created_at: number;
}

/** Enough for every device of a busy node's recent senders and recipients; each entry is ~150 bytes. */
const DEVICE_SLOTS = 10_000;
/** Groups with traffic; an entry holds the group's members (up to 1,000 for the largest). */
const GROUP_SLOTS = 4_096;

export class RoutingCache {
  private readonly devices = new LRUCache<string, DeviceRow>({ max: DEVICE_SLOTS });
  private readonly groups = new LRUCache<string, readonly DeviceKey[]>({ max: GROUP_SLOTS });

  device(address: DeviceAddress, load: () => DeviceRow | undefined): DeviceRow | undefined {
    const key = deviceKey(address);
    let row = this.devices.get(key);
    if (row === undefined) {
      row = load();
      if (row !== undefined) this.devices.set(key, row);
    }
    return row;
  }

  /** The members of an existing group; undefined (and not kept) when `load` finds no group. */
  members(groupId: Uint8Array, load: () => readonly DeviceKey[] | undefined): readonly DeviceKey[] | undefined {
    const key = groupKey(groupId);
    let members = this.groups.get(key);
    if (members === undefined) {
      members = load();
      if (members !== undefined) this.groups.set(key, members.map(({ pk, username, device_id }) => ({ pk, username, device_id })));
    }
    return members;
  }

  /** A write is changing the group's members. */
  dropGroup(groupId: Uint8Array): void {
    this.groups.delete(groupKey(groupId));
  }

  clear(): void {
    this.devices.clear();
    this.groups.clear();
  }
}

function groupKey(groupId: Uint8Array): string {
  return Buffer.from(groupId.buffer, groupId.byteOffset, groupId.byteLength).toString('base64');
}

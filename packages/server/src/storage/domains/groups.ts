/**
 * @module storage/domains/groups
 * The groups-and-routing part of the storage contract: which devices a group's
 * messages go to, one commit per epoch, idempotent sends. The rules each write
 * follows are decided once, in storage/group-rules.ts.
 */
import type { DeviceAddress, GroupRecord, MailItem, StoredMail } from '../types.js';

export interface NewGroup {
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  readonly creator: DeviceAddress;
  readonly members: readonly DeviceAddress[];
  readonly welcome: MailItem;
  readonly now: number;
  /** A named group's first admins (its creator's account); absent or empty: a group without admins. */
  readonly admins?: readonly string[];
}

export interface NewCommit {
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  readonly sender: DeviceAddress;
  readonly added: readonly DeviceAddress[];
  readonly removed: readonly DeviceAddress[];
  /** Sent to every member after the change that is not in `added` (removed members included). */
  readonly commit: MailItem;
  /** Sent to `added`. */
  readonly welcome?: MailItem;
  readonly now: number;
  /** The group's admins after this commit, when it changes them; absent or empty: unchanged. */
  readonly admins?: readonly string[];
}

export interface GroupReader {
  getGroup(groupId: Uint8Array): Promise<GroupRecord | undefined>;
}

export interface GroupWriter {
  /**
   * Creates the group and sends the welcome. Idempotent for its creator: if
   * the group exists, was created by the same device and still has the same
   * epoch and members, returns the original result (its time and welcome
   * recipients, so the notifier wakes them again) with `duplicate: true` and
   * stores nothing, so a client that crashed after the server accepted can
   * retry. Anyone else, or a group that has moved on, gets GROUP_EXISTS.
   */
  createGroup(group: NewGroup): Promise<StoredMail>;
  /**
   * Compare-and-set on the epoch: throws StaleEpochError unless `epoch` is current, and
   * NOT_GROUP_ADMIN (storing nothing) when the group's admin rule refuses it (group-rules.ts).
   */
  applyCommit(commit: NewCommit): Promise<StoredMail & { epoch: bigint }>;
  /** Stores `item` for every member device except the sender; idempotent per (sender, messageId). */
  sendToGroup(item: MailItem, now: number): Promise<StoredMail>;
  /** Removes `device` from the group's routing and tells the others (MEMBER_LEFT with `item.payload`). */
  leaveGroup(item: MailItem, now: number): Promise<StoredMail>;
}

export interface GroupStore extends GroupReader, GroupWriter {}

/**
 * @module storage/store
 * The storage contract. Every method is one atomic transaction, so the same
 * contract maps onto SQLite and PostgreSQL; invariants that must hold under
 * concurrency (one commit per epoch, one claim per key package, idempotent
 * sends, durable-before-ack) live here, checked by storage/contract.ts.
 * Split into a readable and a writable half as Signal-Desktop's sql/Interface.
 */
import type { ContactAction } from '@sotto/protocol';
// Re-exported so backends one folder down name the contract's errors without reaching two levels up.
export { ConfigError, ServerError, StaleEpochError, StorageUnavailableError } from '../errors.js';
import type {
  AccountRecord,
  ClaimedPackage,
  ContactRecord,
  DeviceAddress,
  DeviceRecord,
  GroupRecord,
  MailboxEntry,
  MailItem,
  StoredMail,
} from './types.js';

/** How a contact request came about. */
export interface ContactRequestOptions {
  readonly call?: boolean;
}

export interface StoreReader {
  getDevice(device: DeviceAddress): Promise<DeviceRecord | undefined>;
  listDevices(username: string): Promise<DeviceRecord[]>;
  listAccounts(): Promise<AccountRecord[]>;
  getSetting(key: string): Promise<string | undefined>;
  getContact(owner: string, peer: string): Promise<ContactRecord | undefined>;
  listContacts(owner: string): Promise<ContactRecord[]>;
  countKeyPackages(device: DeviceAddress): Promise<number>;
  getGroup(groupId: Uint8Array): Promise<GroupRecord | undefined>;
  /** Mailbox entries of `device` with seq > `afterSeq`, oldest first. */
  readMailbox(device: DeviceAddress, afterSeq: bigint, limit: number): Promise<MailboxEntry[]>;
  countMailbox(device: DeviceAddress): Promise<number>;
}

export interface NewAccount {
  readonly username: string;
  readonly deviceId: string;
  readonly identityKey: Uint8Array;
  /** Required and consumed when the server is invite-only. */
  readonly inviteCode?: string;
  readonly requireInvite: boolean;
  readonly now: number;
}

export interface NewGroup {
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  readonly creator: DeviceAddress;
  readonly members: readonly DeviceAddress[];
  readonly welcome: MailItem;
  readonly now: number;
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
}

export interface StoreWriter {
  /** Creates account and first device; throws USERNAME_TAKEN or INVITE_REQUIRED. */
  createAccount(account: NewAccount): Promise<void>;
  setSetting(key: string, value: string): Promise<void>;
  createInvite(code: string, now: number, expiresAt: number): Promise<void>;
  addKeyPackages(device: DeviceAddress, packages: readonly Uint8Array[], lastResort: Uint8Array | undefined): Promise<number>;
  /** Takes one package per device of `username`, one-time ones first, atomically. */
  claimKeyPackages(username: string): Promise<ClaimedPackage[]>;
  /**
   * Records a contact request from `from` to `to` and queues it in `to`'s
   * mailboxes. Returns the mail result (recipients empty when nothing was sent).
   * With `call`, the request is a stranger's call attempt, delivered as CALL_REQUEST.
   */
  putContactRequest(from: DeviceAddress, to: string, text: string, now: number, options?: ContactRequestOptions): Promise<StoredMail>;
  /** Applies `owner`'s answer to `peer`'s request; notifies `peer` on accept/decline. */
  respondToContact(owner: DeviceAddress, peer: string, action: ContactAction, now: number): Promise<StoredMail>;
  /**
   * Creates the group and sends the welcome. Idempotent for its creator: if
   * the group exists, was created by the same device and still has the same
   * epoch and members, returns the original result (its time and welcome
   * recipients, so the notifier wakes them again) with `duplicate: true` and
   * stores nothing, so a client that crashed after the server accepted can
   * retry. Anyone else, or a group that has moved on, gets GROUP_EXISTS.
   */
  createGroup(group: NewGroup): Promise<StoredMail>;
  /** Compare-and-set on the epoch: throws StaleEpochError unless `epoch` is current. */
  applyCommit(commit: NewCommit): Promise<StoredMail & { epoch: bigint }>;
  /** Stores `item` for every member device except the sender; idempotent per (sender, messageId). */
  sendToGroup(item: MailItem, now: number): Promise<StoredMail>;
  /** Removes `device` from the group's routing and tells the others (MEMBER_LEFT with `item.payload`). */
  leaveGroup(item: MailItem, now: number): Promise<StoredMail>;
  /** Deletes acknowledged entries; returns how many were deleted. */
  ackMailbox(device: DeviceAddress, seqs: readonly bigint[]): Promise<number>;
  /** Deletes mailbox entries and idempotency keys stored before `before`. */
  expire(before: number): Promise<{ mailbox: number }>;
}

export interface Store extends StoreReader, StoreWriter {
  readonly kind: string;
  close(): Promise<void>;
}

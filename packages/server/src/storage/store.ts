/**
 * @module storage/store
 * The storage contract. Every method is one atomic transaction, so the same
 * contract maps onto SQLite and PostgreSQL; invariants that must hold under
 * concurrency (one commit per epoch, one claim per key package, idempotent
 * sends, durable-before-ack) live here, checked by storage/contract.ts.
 * Split into a readable and a writable half as Signal-Desktop's sql/Interface.
 */
import type { ContactAction } from '@sotto/protocol';
import type { RateLimiter } from '../rate-limits/rate-limiter.js';
// Re-exported so backends one folder down name the contract's errors without reaching two levels up.
export { ConfigError, DatabaseRefusedError, ServerError, StaleEpochError, StorageUnavailableError } from '../errors.js';
export type { DatabaseProblem } from '../errors.js';
import type {
  AccountRecord,
  AnomalyRecord,
  AnomalyTally,
  AuditEntry,
  AuditRecord,
  ClaimedPackage,
  IncidentRecord,
  IncidentStatus,
  LockdownRecord,
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
  /**
   * SHA-256 of the link token the requester presented. A live link of `to` with this hash is used
   * up in the same transaction, the contact is marked viaLink, and the request is delivered as
   * LINKED_CONTACT_REQUEST (a call request stays CALL_REQUEST). When `to` is in lockdown and the
   * two are not accepted contacts, a request without a live link throws LINK_REQUIRED and counts
   * one refusal on `to`'s lockdown record, which is committed even though the request is refused.
   * A presented token that matches no live link also throws LINK_REQUIRED, lockdown or not.
   */
  readonly linkTokenHash?: Uint8Array;
}

/** Which anomaly tallies to sum. */
export interface AnomalyFilter {
  readonly sender?: string;
  readonly reporter?: string;
  readonly target?: string;
  /** Only records at or after this time (ms). */
  readonly since: number;
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
  getAccount(username: string): Promise<AccountRecord | undefined>;
  /** Usernames of restricted accounts, sorted. */
  listRestricted(): Promise<string[]>;
  /** Anomalies matching every given field of `filter`, summed per (reporter, sender, target, kind). */
  tallyAnomalies(filter: AnomalyFilter): Promise<AnomalyTally[]>;
  getIncident(id: string): Promise<IncidentRecord | undefined>;
  /** Newest first; all statuses when `status` is absent. */
  listIncidents(status?: IncidentStatus, limit?: number): Promise<IncidentRecord[]>;
  /** Newest first. */
  listAudit(limit: number): Promise<AuditRecord[]>;
  /** Off (and 0 refused) for an account that never turned it on; UNKNOWN_ACCOUNT for no account. */
  getLockdown(username: string): Promise<LockdownRecord>;
  /**
   * Whether `sender` has reached `member` in a way the server saw: `member` holds a contact row for
   * `sender` (any state), or the two accounts share a group. Reports from strangers about members
   * who never reached them carry no weight.
   */
  hasReached(sender: string, member: string): Promise<boolean>;
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
  /** Stores `item` once for every device of the account `to` (server-authored mail: threat notices). */
  putSystemMail(to: string, item: MailItem, now: number): Promise<StoredMail>;
  recordAnomalies(records: readonly AnomalyRecord[]): Promise<void>;
  /** Inserts or replaces the incident with the same id. */
  saveIncident(incident: IncidentRecord): Promise<void>;
  /** Throws UNKNOWN_ACCOUNT when there is no such account. */
  setRestricted(username: string, restricted: boolean): Promise<void>;
  appendAudit(entry: AuditEntry): Promise<void>;
  /** Turning it on resets the refused count; turning it off keeps the count. Throws UNKNOWN_ACCOUNT. */
  setLockdown(username: string, enabled: boolean): Promise<LockdownRecord>;
  /** Keeps a contact link token's hash for `username` until `expiresAt`; single use. */
  createContactLink(username: string, tokenHash: Uint8Array, expiresAt: number): Promise<void>;
  /** Deletes acknowledged entries; returns how many were deleted. */
  ackMailbox(device: DeviceAddress, seqs: readonly bigint[]): Promise<number>;
  /**
   * Deletes mailbox entries and idempotency keys stored before `before`, anomaly records before
   * `before` too, and contact links that expired before `now` (default: `before`).
   */
  expire(before: number, now?: number): Promise<{ mailbox: number }>;
}

export interface Store extends StoreReader, StoreWriter {
  readonly kind: string;
  /**
   * True when writes take effect in the order their methods were called, whatever their timing
   * (SQLite: one queue, one connection). Then a connection may start its next send before the last
   * one is durable and its messages still reach every mailbox in order. PostgreSQL runs writes on a
   * pool of connections, so a later call can commit first: there a send waits for the one before.
   */
  readonly writesInCallOrder: boolean;
  /**
   * The rate limiter whose state every node using this store shares: PostgreSQL keeps it in a
   * table; SQLite (one node) in process memory, since a write per request would cost an fsync.
   */
  rateLimiter(): RateLimiter;
  close(): Promise<void>;
}

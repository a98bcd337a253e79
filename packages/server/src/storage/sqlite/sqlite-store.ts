/**
 * @module storage/sqlite/sqlite-store
 * The embedded SQLite backend (better-sqlite3, WAL). Every writing contract
 * method runs in a group commit (group-commit.ts): the writes of one event-loop
 * turn share a transaction and its fsync, each in its own savepoint, and none
 * resolves before that transaction committed with the configured fsync policy,
 * so the caller still acknowledges only what is durable.
 * The store holds the connection, the group commit and the memory beside the
 * tables (routing cache, mailbox tails, settings), and forgets that memory when
 * another process commits; each domain's statements live beside it, one module
 * each: account-queries.ts, settings-queries.ts, contact-queries.ts,
 * key-package-queries.ts, group-writes.ts, mailbox-queries.ts,
 * lockdown-queries.ts, defence-queries.ts, device-queries.ts, blob-queries.ts, push-queries.ts, over the row
 * steps they share in rows.ts.
 */
import type Database from 'better-sqlite3';
import { ContactAction } from '@sotto/protocol';
import {
  ServerError,
  StorageUnavailableError,
  type AnomalyFilter,
  type BlobRecord,
  type GroupCallChange,
  type GroupCallRecordEntry,
  type ClaimScope,
  type ContactRequestOptions,
  type LinkMail,
  type NewDeviceList,
  type NewLinkedDevice,
  type StoredDeviceList,
  type UsedDeviceLink,
  type NewAccount,
  type NewCommit,
  type NewGroup,
  type NewUpload,
  type PushPacing,
  type PushSubscriptionRecord,
  type Store,
  type VapidKeyPair,
} from '../store.js';
import { settleContactRequest } from '../contact-rules.js';
import { MemoryRateLimiter } from '../../rate-limits/memory-rate-limiter.js';
import type { RateLimiter } from '../../rate-limits/rate-limiter.js';
import type {
  AccountRecord,
  AnomalyRecord,
  AnomalyTally,
  AuditEntry,
  AuditRecord,
  ClaimedPackage,
  ContactRecord,
  DeviceAddress,
  DeviceRecord,
  GroupRecord,
  IncidentRecord,
  IncidentStatus,
  LockdownRecord,
  MailboxEntry,
  MailItem,
  StoredMail,
} from '../types.js';
import { checkGroupCallRecord, groupCallKey } from '../group-call-rules.js';
import { KeyedQueue } from '../keyed-queue.js';
import { GroupCommit } from './group-commit.js';
import { RoutingCache } from './routing-cache.js';
import { MailboxTails } from './mailbox-tails.js';
import { StagedMail } from './staged-mail.js';
import { openSqliteDatabase } from './open-database.js';
import { cachedStatements, type Statements } from './statements.js';
import * as accounts from './account-queries.js';
import * as blobs from './blob-queries.js';
import * as defences from './defence-queries.js';
import * as devices from './device-queries.js';
import * as lockdown from './lockdown-queries.js';
import * as contacts from './contact-queries.js';
import * as groupCalls from './group-call-queries.js';
import * as groups from './group-writes.js';
import * as keyPackages from './key-package-queries.js';
import * as mailboxes from './mailbox-queries.js';
import * as push from './push-queries.js';
import * as settings from './settings-queries.js';
import { SqliteRows } from './rows.js';

export interface SqliteStoreOptions {
  /** File path, or ':memory:'. */
  readonly path: string;
  /** 'FULL' survives power loss; 'NORMAL' survives a process crash only. */
  readonly synchronous?: 'FULL' | 'NORMAL';
}

/** How often another process's commits are looked for (see noticeOtherWriters). */
const OTHER_WRITERS_CHECK_MS = 1;

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly writesInCallOrder = true;
  private readonly db: Database.Database;
  private readonly sql: Statements;
  private readonly writes: GroupCommit;
  private readonly rows: SqliteRows;
  private readonly routing = new RoutingCache();
  private readonly tails = new MailboxTails();
  private readonly staged = new StagedMail(this.tails, () => this.forgetCaches());
  /** Settings by key (undefined: no such setting); operators change them from another process. */
  private readonly settings: settings.SettingsMemory = new Map();
  /** SQLite's count of other connections' commits when the memory above was last known to be true. */
  private dataVersion = 0;
  private dataVersionCheckedAt = Number.NEGATIVE_INFINITY;
  private limiter: MemoryRateLimiter | undefined;
  /** One change at a time per group call record: one node uses this store, so this queue is the lock. */
  private readonly groupCallQueue = new KeyedQueue();
  /** What deleting a device must also clear (device-queries.ts). */
  private readonly deviceMemory: devices.DeviceMemory = { staged: this.staged, forget: () => this.forgetCaches() };

  constructor(options: SqliteStoreOptions) {
    // Refusals (another program's file, a newer Sotto's, a directory, no permission, ...) carry the path and the cause.
    this.db = openSqliteDatabase(options.path, { synchronous: options.synchronous ?? 'FULL' });
    try {
      this.sql = cachedStatements(this.db);
      this.rows = new SqliteRows(this.sql, this.routing, this.staged);
      this.writes = new GroupCommit(this.db, (error) => (error instanceof ServerError ? error : new StorageUnavailableError(error)), this.staged);
      this.dataVersion = this.readDataVersion();
    } catch (cause) {
      throw new StorageUnavailableError(cause);
    }
  }

  async close(): Promise<void> {
    this.writes.flush();
    this.db.close();
  }

  /** One node only, so the limits live in this process: a database write per request would cost an fsync. */
  rateLimiter(): RateLimiter {
    this.limiter ??= new MemoryRateLimiter();
    return this.limiter;
  }

  // ---- helpers ----

  private run<T>(fn: () => T): Promise<T> {
    return this.writes.run(fn);
  }

  // ---- reads ----

  async getDevice(device: DeviceAddress): Promise<DeviceRecord | undefined> {
    const row = this.rows.cachedDevice(device);
    return row && this.rows.toDevice(row);
  }

  async listDevices(username: string): Promise<DeviceRecord[]> {
    return this.rows.deviceRows(username).map((row) => this.rows.toDevice(row));
  }

  async isDeviceListed(device: DeviceAddress): Promise<boolean> {
    return devices.isDeviceListed(this.rows, device);
  }

  async listedDevices(username: string): Promise<DeviceRecord[]> {
    return devices.listedDevices(this.rows, username);
  }

  async newestDeviceListVersion(username: string): Promise<bigint> {
    return devices.newestDeviceListVersion(this.rows, username);
  }

  async deviceLists(username: string, afterVersion: bigint, max: number): Promise<StoredDeviceList[]> {
    return devices.deviceLists(this.rows, username, afterVersion, max);
  }

  async linkedDevice(linkId: Uint8Array): Promise<{ creator: DeviceAddress; device: DeviceAddress } | undefined> {
    return devices.linkedDevice(this.rows, linkId);
  }

  async listAccounts(): Promise<AccountRecord[]> {
    return accounts.listAccounts(this.sql);
  }

  async getAccount(username: string): Promise<AccountRecord | undefined> {
    return accounts.getAccount(this.sql, username);
  }

  async listRestricted(): Promise<string[]> {
    return defences.listRestricted(this.sql);
  }

  async tallyAnomalies(filter: AnomalyFilter): Promise<AnomalyTally[]> {
    return defences.tallyAnomalies(this.sql, filter);
  }

  async getIncident(id: string): Promise<IncidentRecord | undefined> {
    return defences.getIncident(this.sql, id);
  }

  async listIncidents(status?: IncidentStatus, limit?: number): Promise<IncidentRecord[]> {
    return defences.listIncidents(this.sql, status, limit);
  }

  async listAudit(limit: number): Promise<AuditRecord[]> {
    return defences.listAudit(this.sql, limit);
  }

  async getLockdown(username: string): Promise<LockdownRecord> {
    return lockdown.getLockdown(this.sql, username);
  }

  async hasReached(sender: string, member: string): Promise<boolean> {
    return contacts.hasReached(this.sql, sender, member);
  }

  async getSetting(key: string): Promise<string | undefined> {
    this.noticeOtherWriters();
    return settings.getSetting(this.sql, this.settings, key);
  }

  async getContact(owner: string, peer: string): Promise<ContactRecord | undefined> {
    return contacts.getContact(this.sql, owner, peer);
  }

  async listContacts(owner: string): Promise<ContactRecord[]> {
    return contacts.listContacts(this.sql, owner);
  }

  async countKeyPackages(device: DeviceAddress): Promise<number> {
    return keyPackages.countKeyPackages(this.rows, device);
  }

  async getGroup(groupId: Uint8Array): Promise<GroupRecord | undefined> {
    return groups.getGroup(this.rows, groupId);
  }

  async readMailbox(device: DeviceAddress, afterSeq: bigint, limit: number): Promise<MailboxEntry[]> {
    const pk = this.rows.devicePk(device);
    if (pk === undefined) return [];
    this.noticeOtherWriters();
    return mailboxes.readMailbox(this.sql, this.tails, pk, afterSeq, limit);
  }

  async countMailbox(device: DeviceAddress): Promise<number> {
    const pk = this.rows.deviceRow(device)?.pk;
    if (pk === undefined) return 0;
    return mailboxes.countMailbox(this.sql, pk);
  }

  private readDataVersion(): number {
    return this.sql.prepare('PRAGMA data_version').pluck().get() as number;
  }

  /**
   * What this store keeps in memory is true only while it is the database's one writer. Another
   * connection's commit (an operator command: settings, restrictions, audit) bumps SQLite's
   * data_version, and then the memory is dropped and read again from the tables. Asking costs as
   * much as a small query (each statement opens a read transaction, ~3 us), so it is asked at
   * most once per OTHER_WRITERS_CHECK_MS: memory lags another process's commit by at most that,
   * as a read made that much earlier would.
   */
  private noticeOtherWriters(): void {
    const now = performance.now();
    if (now - this.dataVersionCheckedAt < OTHER_WRITERS_CHECK_MS) return;
    this.dataVersionCheckedAt = now;
    const version = this.readDataVersion();
    if (version === this.dataVersion) return;
    this.forgetCaches();
    this.dataVersion = version;
  }

  private forgetCaches(): void {
    this.tails.clear();
    this.routing.clear();
    this.settings.clear();
  }

  // ---- writes ----

  createAccount(account: NewAccount): Promise<void> {
    return this.run(() => accounts.createAccount(this.rows, account));
  }

  setSetting(key: string, value: string): Promise<void> {
    return this.run(() => settings.setSetting(this.sql, this.settings, key, value));
  }

  createInvite(code: string, now: number, expiresAt: number): Promise<void> {
    return this.run(() => accounts.createInvite(this.sql, code, now, expiresAt));
  }

  addKeyPackages(device: DeviceAddress, packages: readonly Uint8Array[], lastResort: Uint8Array | undefined, replace = false): Promise<number> {
    return this.run(() => keyPackages.addKeyPackages(this.rows, device, packages, lastResort, replace));
  }

  claimKeyPackages(username: string, scope?: ClaimScope): Promise<ClaimedPackage[]> {
    return this.run(() => keyPackages.claimKeyPackages(this.rows, username, scope));
  }

  putContactRequest(from: DeviceAddress, to: string, text: string, now: number, options: ContactRequestOptions = {}): Promise<StoredMail> {
    return this.run(() => contacts.putContactRequest(this.rows, from, to, text, now, options)).then(settleContactRequest);
  }

  respondToContact(owner: DeviceAddress, peer: string, action: ContactAction, now: number): Promise<StoredMail> {
    return this.run(() => contacts.respondToContact(this.rows, owner, peer, action, now));
  }

  createGroup(group: NewGroup): Promise<StoredMail> {
    return this.run(() => groups.createGroup(this.rows, group));
  }

  applyCommit(commit: NewCommit): Promise<StoredMail & { epoch: bigint }> {
    return this.run(() => groups.applyCommit(this.rows, commit));
  }

  sendToGroup(item: MailItem, now: number): Promise<StoredMail> {
    return this.run(() => groups.sendToGroup(this.rows, item, now));
  }

  leaveGroup(item: MailItem, now: number): Promise<StoredMail> {
    return this.run(() => groups.leaveGroup(this.rows, item, now));
  }

  putSystemMail(to: string, item: MailItem, now: number): Promise<StoredMail> {
    return this.run(() => mailboxes.putSystemMail(this.rows, to, item, now));
  }

  recordAnomalies(records: readonly AnomalyRecord[]): Promise<void> {
    return this.run(() => defences.recordAnomalies(this.sql, records));
  }

  saveIncident(incident: IncidentRecord): Promise<void> {
    return this.run(() => defences.saveIncident(this.sql, incident));
  }

  setRestricted(username: string, restricted: boolean): Promise<void> {
    return this.run(() => defences.setRestricted(this.sql, username, restricted));
  }

  appendAudit(entry: AuditEntry): Promise<void> {
    return this.run(() => defences.appendAudit(this.sql, entry));
  }

  setLockdown(username: string, enabled: boolean): Promise<LockdownRecord> {
    return this.run(() => lockdown.setLockdown(this.sql, username, enabled));
  }

  createContactLink(username: string, tokenHash: Uint8Array, expiresAt: number): Promise<void> {
    return this.run(() => lockdown.createContactLink(this.sql, this.rows.requireAccountId(username), tokenHash, expiresAt));
  }

  ackMailbox(device: DeviceAddress, seqs: readonly bigint[]): Promise<number> {
    return this.run(() => mailboxes.ackMailbox(this.rows, this.staged, device, seqs));
  }

  expireMail(now: number, limit: number): Promise<number> {
    return this.run(() => mailboxes.expireMail(this.rows, this.staged, now, limit));
  }

  expire(before: number, now = before): Promise<{ mailbox: number }> {
    return this.run(() => {
      const swept = mailboxes.expire(this.sql, this.tails, before, now);
      devices.expireDeviceLinks(this.rows, this.deviceMemory, now);
      return swept;
    });
  }

  createDeviceLink(creator: DeviceAddress, linkId: Uint8Array, expiresAt: number, now: number): Promise<void> {
    return this.run(() => devices.createDeviceLink(this.rows, creator, linkId, expiresAt, now));
  }

  useDeviceLink(linkId: Uint8Array, device: NewLinkedDevice, request: LinkMail, now: number): Promise<UsedDeviceLink> {
    return this.run(() => devices.useDeviceLink(this.rows, linkId, device, request, now));
  }

  publishDeviceList(list: NewDeviceList): Promise<DeviceAddress[]> {
    return this.run(() => devices.publishDeviceList(this.rows, this.deviceMemory, list));
  }

  deliverLinkBundle(creator: DeviceAddress, linkId: Uint8Array, bundle: LinkMail, now: number): Promise<StoredMail> {
    return this.run(() => devices.deliverLinkBundle(this.rows, creator, linkId, bundle, now));
  }

  async getBlob(blobId: Uint8Array): Promise<BlobRecord | undefined> {
    return blobs.getBlob(this.rows, blobId);
  }

  async blobUsage(username: string, now: number): Promise<number> {
    return blobs.blobUsage(this.rows, username, now);
  }

  async expiredBlobs(now: number, completedBefore: number, max: number): Promise<Uint8Array[]> {
    return blobs.expiredBlobs(this.rows, now, completedBefore, max);
  }

  createUpload(upload: NewUpload): Promise<void> {
    return this.run(() => blobs.createUpload(this.rows, upload));
  }

  advanceBlob(blobId: Uint8Array, from: number, to: number, now: number): Promise<BlobRecord | undefined> {
    return this.run(() => blobs.advanceBlob(this.rows, blobId, from, to, now));
  }

  deleteBlobs(blobIds: readonly Uint8Array[]): Promise<number> {
    return this.run(() => blobs.deleteBlobs(this.rows, blobIds));
  }

  blobTokenKey(candidate: Uint8Array): Promise<Uint8Array> {
    return this.run(() => {
      const key = blobs.blobTokenKey(this.rows, candidate);
      this.settings.clear();
      return key;
    });
  }

  async getPushSubscription(device: DeviceAddress): Promise<PushSubscriptionRecord | undefined> {
    return push.getPushSubscription(this.rows, device);
  }

  setPushSubscription(device: DeviceAddress, subscription: PushSubscriptionRecord, now: number): Promise<void> {
    return this.run(() => push.setPushSubscription(this.rows, device, subscription, now));
  }

  deletePushSubscription(device: DeviceAddress, endpoint?: string): Promise<boolean> {
    return this.run(() => push.deletePushSubscription(this.rows, device, endpoint));
  }

  claimPush(device: DeviceAddress, now: number, pacing: PushPacing): Promise<PushSubscriptionRecord | undefined> {
    return this.run(() => push.claimPush(this.rows, device, now, pacing));
  }

  vapidKeyPair(candidate: VapidKeyPair): Promise<VapidKeyPair> {
    return this.run(() => {
      const keys = push.vapidKeyPair(this.rows, candidate);
      this.settings.clear();
      return keys;
    });
  }

  async listGroupCalls(): Promise<GroupCallRecordEntry[]> {
    return groupCalls.listGroupCalls(this.rows);
  }

  changeGroupCall<T>(groupId: Uint8Array, change: (record: string | undefined) => Promise<GroupCallChange<T>>): Promise<T> {
    return this.groupCallQueue.run(groupCallKey(groupId), async () => {
      const { record, result } = await change(groupCalls.getGroupCall(this.rows, groupId));
      checkGroupCallRecord(record);
      await this.run(() => groupCalls.putGroupCall(this.rows, groupId, record, Date.now()));
      return result;
    });
  }
}

/**
 * @module storage/postgres/postgres-store
 * The PostgreSQL backend, for several server nodes sharing one database.
 * Each contract method is one READ COMMITTED transaction made safe across
 * nodes by explicit row locks: the group row for membership and epochs, the
 * device row for mailbox seqs, SKIP LOCKED for key package claims. The store
 * holds the pool and decides which methods run in a transaction; each domain's
 * statements live beside it, one module each (account-queries.ts,
 * settings-queries.ts, contact-queries.ts, key-package-queries.ts,
 * group-writes.ts (sends batched by send-batcher.ts), mailbox-queries.ts, lockdown-queries.ts,
 * defence-queries.ts, device-queries.ts, blob-queries.ts, push-queries.ts), the shared rate
 * limiter in postgres-rate-limiter.ts, the blobs' bytes in blobs/postgres-blob-bytes.ts.
 */
import type pg from 'pg';
import { ContactAction } from '@sotto/protocol';
import {
  DatabaseRefusedError,
  type AnomalyFilter,
  type BlobRecord,
  type GroupCallChange,
  type GroupCallRecordEntry,
  type ClaimScope,
  type ContactRequestOptions,
  type LinkMail,
  type NewAccount,
  type NewCommit,
  type NewDeviceList,
  type NewGroup,
  type NewLinkedDevice,
  type NewUpload,
  type PushPacing,
  type PushSubscriptionRecord,
  type Store,
  type StoredDeviceList,
  type VapidKeyPair,
  type UsedDeviceLink,
} from '../store.js';
import { settleContactRequest } from '../contact-rules.js';
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
import { createPool, parsePostgresUrl, PostgresUnavailableError, reasonOf } from './connection.js';
import * as accounts from './account-queries.js';
import * as blobs from './blob-queries.js';
import * as contacts from './contact-queries.js';
import * as defences from './defence-queries.js';
import * as devices from './device-queries.js';
import * as lockdown from './lockdown-queries.js';
import { listGroupCalls, PostgresGroupCalls } from './group-call-queries.js';
import * as groups from './group-writes.js';
import * as keyPackages from './key-package-queries.js';
import * as mailboxes from './mailbox-queries.js';
import * as push from './push-queries.js';
import * as settings from './settings-queries.js';
import { PostgresRateLimiter } from './postgres-rate-limiter.js';
import { AckBatcher } from './ack-batcher.js';
import { SendBatcher } from './send-batcher.js';
import { PostgresBlobBytes } from '../../blobs/postgres-blob-bytes.js';
import { migratePostgres, requireSchemaName } from './migrations/migration.js';
import { deviceRow, deviceRows, toDevice } from './queries.js';
import { autocommit, inTransaction, type Sql } from './transaction.js';

export interface PostgresStoreOptions {
  /** Schema holding the tables; created when missing. Default: the URL's `?schema=`, else `public`. */
  readonly schema?: string;
  /** Pool size per server process (default 10). */
  readonly maxConnections?: number;
  /** How long to wait for a connection before failing (default 5000 ms). */
  readonly connectTimeoutMs?: number;
  /** Told when an idle pooled connection fails (the pool replaces it). */
  readonly onIdleError?: (error: Error) => void;
  /** How long a group call change waits for another node's change of the same group (default 10 s). */
  readonly groupCallLockTimeoutMs?: number;
  /** Told, once connected, of each setting of the database that will hurt this node (autovacuumWarning). */
  readonly onDatabaseWarning?: (warning: string) => void;
}

/**
 * Why a database without autovacuum is a problem for Sotto, or nothing when it runs. Every message
 * acknowledged deletes a mailbox row and every send updates its recipients' device rows, so dead
 * rows pile up with the traffic; without vacuum only page pruning reclaims some of them, and reads
 * of those tables walk the rest (docs/OPERATIONS.md). Autovacuum needs `track_counts` too; both
 * are on by PostgreSQL's default.
 */
export function autovacuumWarning(autovacuum: string, trackCounts: string): string | undefined {
  if (autovacuum === 'on' && trackCounts === 'on') return undefined;
  const off = autovacuum === 'on' ? 'track_counts is off, so autovacuum never runs' : 'autovacuum is off';
  return `PostgreSQL ${off}: the mailbox and device rows each message leaves dead are not vacuumed, and reads of those tables slow down as they pile up; turn it on (ALTER SYSTEM SET ${autovacuum === 'on' ? 'track_counts' : 'autovacuum'} = on; SELECT pg_reload_conf();) or run VACUUM on a schedule`;
}

/** The database's autovacuum warning, if any; the check is advice, so a failure of it is none. */
async function databaseWarning(client: pg.PoolClient): Promise<string | undefined> {
  try {
    const { rows } = await client.query<{ autovacuum: string; track_counts: string }>("SELECT current_setting('autovacuum') AS autovacuum, current_setting('track_counts') AS track_counts");
    return autovacuumWarning(rows[0]!.autovacuum, rows[0]!.track_counts);
  } catch {
    return undefined;
  }
}

export class PostgresStore implements Store {
  readonly kind = 'postgres';
  /** Sends go through one SendBatcher: each batch commits before the next begins. */
  readonly writesInCallOrder = true;
  private closing: Promise<void> | undefined;
  /** For methods that are one statement, reads and writes alike: a statement is a transaction of its own. */
  private readonly autocommit: Sql;
  private limiter: PostgresRateLimiter | undefined;
  private readonly sends: SendBatcher;
  private readonly acks: AckBatcher;
  private readonly groupCalls: PostgresGroupCalls;

  private constructor(
    private readonly pool: pg.Pool,
    /** The schema the tables live in. */
    readonly schema: string,
    maxConnections: number,
    groupCallLockTimeoutMs: number | undefined,
  ) {
    this.autocommit = autocommit(pool);
    this.sends = new SendBatcher(pool);
    this.acks = new AckBatcher(pool);
    this.groupCalls = new PostgresGroupCalls(pool, schema, maxConnections, groupCallLockTimeoutMs);
  }

  /**
   * Connects, checks the database answers, and applies pending migrations.
   * Rejects with a StorageUnavailableError naming host and port when it cannot,
   * and a DatabaseRefusedError naming the schema too when the schema is another
   * program's or a newer Sotto's.
   */
  static async connect(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const target = parsePostgresUrl(url);
    const schema = requireSchemaName(options.schema ?? target.schema ?? 'public');
    const maxConnections = options.maxConnections ?? 10;
    const pool = createPool(target, {
      schema,
      maxConnections,
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      onIdleError: options.onIdleError ?? (() => undefined),
    });
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (cause) {
      await pool.end().catch(() => undefined);
      throw new PostgresUnavailableError(`cannot reach PostgreSQL at ${target.where}: ${reasonOf(cause)}`, cause);
    }
    try {
      await migratePostgres(client, schema);
    } catch (cause) {
      client.release(true);
      await pool.end().catch(() => undefined);
      if (cause instanceof DatabaseRefusedError) throw cause.at(`PostgreSQL at ${target.where}, schema ${schema},`);
      throw new PostgresUnavailableError(`cannot migrate PostgreSQL at ${target.where} (schema ${schema}): ${reasonOf(cause)}`, cause);
    }
    const warning = await databaseWarning(client);
    client.release();
    if (warning !== undefined) options.onDatabaseWarning?.(warning);
    return new PostgresStore(pool, schema, maxConnections, options.groupCallLockTimeoutMs);
  }

  close(): Promise<void> {
    // Sends and acks already asked for are committed (or refused) before the pool goes.
    this.closing ??= Promise.all([this.sends.idle(), this.acks.idle()]).then(() => this.pool.end());
    return this.closing;
  }

  /** Shared by every node on this database, so a cluster throttles as one node does. */
  rateLimiter(): RateLimiter {
    this.limiter ??= new PostgresRateLimiter(this.pool);
    return this.limiter;
  }

  /** The blobs' bytes, in this database, so every node serves every blob. Closed with the store. */
  blobBytes(): PostgresBlobBytes {
    return new PostgresBlobBytes(this.pool);
  }

  private tx<T>(body: (sql: Sql) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, body);
  }

  // ---- reads: each one statement, atomic on its own ----

  async getDevice(device: DeviceAddress): Promise<DeviceRecord | undefined> {
    const row = await deviceRow(this.autocommit, device);
    return row && toDevice(row);
  }

  async listDevices(username: string): Promise<DeviceRecord[]> {
    return (await deviceRows(this.autocommit, username)).map(toDevice);
  }

  listAccounts(): Promise<AccountRecord[]> {
    return accounts.listAccounts(this.autocommit);
  }

  getAccount(username: string): Promise<AccountRecord | undefined> {
    return accounts.getAccount(this.autocommit, username);
  }

  listRestricted(): Promise<string[]> {
    return defences.listRestricted(this.autocommit);
  }

  tallyAnomalies(filter: AnomalyFilter): Promise<AnomalyTally[]> {
    return defences.tallyAnomalies(this.autocommit, filter);
  }

  getIncident(id: string): Promise<IncidentRecord | undefined> {
    return defences.getIncident(this.autocommit, id);
  }

  listIncidents(status?: IncidentStatus, limit?: number): Promise<IncidentRecord[]> {
    return defences.listIncidents(this.autocommit, status, limit);
  }

  listAudit(limit: number): Promise<AuditRecord[]> {
    return defences.listAudit(this.autocommit, limit);
  }

  getLockdown(username: string): Promise<LockdownRecord> {
    return lockdown.getLockdown(this.autocommit, username);
  }

  hasReached(sender: string, member: string): Promise<boolean> {
    return contacts.hasReached(this.autocommit, sender, member);
  }

  getSetting(key: string): Promise<string | undefined> {
    return settings.getSetting(this.autocommit, key);
  }

  async getContact(owner: string, peer: string): Promise<ContactRecord | undefined> {
    return (await contacts.findContacts(this.autocommit, 'o.username = $1 AND p.username = $2', [owner, peer]))[0];
  }

  async listContacts(owner: string): Promise<ContactRecord[]> {
    return contacts.findContacts(this.autocommit, 'o.username = $1', [owner]);
  }

  countKeyPackages(device: DeviceAddress): Promise<number> {
    return keyPackages.countKeyPackages(this.autocommit, device);
  }

  getGroup(groupId: Uint8Array): Promise<GroupRecord | undefined> {
    return groups.getGroup(this.autocommit, groupId);
  }

  readMailbox(device: DeviceAddress, afterSeq: bigint, limit: number): Promise<MailboxEntry[]> {
    return mailboxes.readMailbox(this.autocommit, device, afterSeq, limit);
  }

  countMailbox(device: DeviceAddress): Promise<number> {
    return mailboxes.countMailbox(this.autocommit, device);
  }

  // ---- writes ----

  createAccount(account: NewAccount): Promise<void> {
    return this.tx((sql) => accounts.createAccount(sql, account));
  }

  setSetting(key: string, value: string): Promise<void> {
    return this.tx((sql) => settings.setSetting(sql, key, value));
  }

  createInvite(code: string, now: number, expiresAt: number): Promise<void> {
    return this.tx((sql) => accounts.createInvite(sql, code, now, expiresAt));
  }

  addKeyPackages(device: DeviceAddress, packages: readonly Uint8Array[], lastResort: Uint8Array | undefined, replace = false): Promise<number> {
    return this.tx((sql) => keyPackages.addKeyPackages(sql, device, packages, lastResort, replace));
  }

  claimKeyPackages(username: string, scope?: ClaimScope): Promise<ClaimedPackage[]> {
    return this.tx((sql) => keyPackages.claimKeyPackages(sql, username, scope));
  }

  async putContactRequest(from: DeviceAddress, to: string, text: string, now: number, options: ContactRequestOptions = {}): Promise<StoredMail> {
    return settleContactRequest(await this.tx((sql) => contacts.putContactRequest(sql, from, to, text, now, options)));
  }

  respondToContact(owner: DeviceAddress, peer: string, action: ContactAction, now: number): Promise<StoredMail> {
    return this.tx((sql) => contacts.respondToContact(sql, owner, peer, action, now));
  }

  createGroup(group: NewGroup): Promise<StoredMail> {
    return this.tx((sql) => groups.createGroup(sql, group));
  }

  applyCommit(commit: NewCommit): Promise<StoredMail & { epoch: bigint }> {
    return this.tx((sql) => groups.applyCommit(sql, commit));
  }

  sendToGroup(item: MailItem, now: number): Promise<StoredMail> {
    return this.sends.send(item, now);
  }

  leaveGroup(item: MailItem, now: number): Promise<StoredMail> {
    return this.tx((sql) => groups.leaveGroup(sql, item, now));
  }

  putSystemMail(to: string, item: MailItem, now: number): Promise<StoredMail> {
    return this.tx((sql) => mailboxes.putSystemMail(sql, to, item, now));
  }

  recordAnomalies(records: readonly AnomalyRecord[]): Promise<void> {
    return defences.recordAnomalies(this.autocommit, records);
  }

  saveIncident(incident: IncidentRecord): Promise<void> {
    return defences.saveIncident(this.autocommit, incident);
  }

  setRestricted(username: string, restricted: boolean): Promise<void> {
    return defences.setRestricted(this.autocommit, username, restricted);
  }

  appendAudit(entry: AuditEntry): Promise<void> {
    return defences.appendAudit(this.autocommit, entry);
  }

  setLockdown(username: string, enabled: boolean): Promise<LockdownRecord> {
    return lockdown.setLockdown(this.autocommit, username, enabled);
  }

  createContactLink(username: string, tokenHash: Uint8Array, expiresAt: number): Promise<void> {
    return this.tx((sql) => lockdown.createContactLink(sql, username, tokenHash, expiresAt));
  }

  /** Gathered with other devices' acks into one statement (ack-batcher.ts); nothing to delete, no round trip. */
  ackMailbox(device: DeviceAddress, seqs: readonly bigint[]): Promise<number> {
    return this.acks.ack(device, seqs);
  }

  expireMail(now: number, limit: number): Promise<number> {
    return mailboxes.expireMail(this.autocommit, now, limit);
  }

  expire(before: number, now = before): Promise<{ mailbox: number }> {
    return this.tx(async (sql) => {
      const swept = await mailboxes.expire(sql, before, now);
      await devices.expireDeviceLinks(sql, now);
      return swept;
    });
  }

  async isDeviceListed(device: DeviceAddress): Promise<boolean> {
    return devices.isDeviceListed(this.autocommit, device);
  }

  async listedDevices(username: string): Promise<DeviceRecord[]> {
    return devices.listedDevices(this.autocommit, username);
  }

  async newestDeviceListVersion(username: string): Promise<bigint> {
    return devices.newestDeviceListVersion(this.autocommit, username);
  }

  async deviceLists(username: string, afterVersion: bigint, max: number): Promise<StoredDeviceList[]> {
    return devices.deviceLists(this.autocommit, username, afterVersion, max);
  }

  async linkedDevice(linkId: Uint8Array): Promise<{ creator: DeviceAddress; device: DeviceAddress } | undefined> {
    return devices.linkedDevice(this.autocommit, linkId);
  }

  createDeviceLink(creator: DeviceAddress, linkId: Uint8Array, expiresAt: number, now: number): Promise<void> {
    return this.tx((sql) => devices.createDeviceLink(sql, creator, linkId, expiresAt, now));
  }

  useDeviceLink(linkId: Uint8Array, device: NewLinkedDevice, request: LinkMail, now: number): Promise<UsedDeviceLink> {
    return this.tx((sql) => devices.useDeviceLink(sql, linkId, device, request, now));
  }

  publishDeviceList(list: NewDeviceList): Promise<DeviceAddress[]> {
    return this.tx((sql) => devices.publishDeviceList(sql, list));
  }

  deliverLinkBundle(creator: DeviceAddress, linkId: Uint8Array, bundle: LinkMail, now: number): Promise<StoredMail> {
    return this.tx((sql) => devices.deliverLinkBundle(sql, creator, linkId, bundle, now));
  }

  getBlob(blobId: Uint8Array): Promise<BlobRecord | undefined> {
    return blobs.getBlob(this.autocommit, blobId);
  }

  blobUsage(username: string, now: number): Promise<number> {
    return blobs.blobUsage(this.autocommit, username, now);
  }

  expiredBlobs(now: number, completedBefore: number, max: number): Promise<Uint8Array[]> {
    return blobs.expiredBlobs(this.autocommit, now, completedBefore, max);
  }

  createUpload(upload: NewUpload): Promise<void> {
    return this.tx((sql) => blobs.createUpload(sql, upload));
  }

  advanceBlob(blobId: Uint8Array, from: number, to: number, now: number): Promise<BlobRecord | undefined> {
    return blobs.advanceBlob(this.autocommit, blobId, from, to, now);
  }

  deleteBlobs(blobIds: readonly Uint8Array[]): Promise<number> {
    return blobs.deleteBlobs(this.autocommit, blobIds);
  }

  blobTokenKey(candidate: Uint8Array): Promise<Uint8Array> {
    return blobs.blobTokenKey(this.autocommit, candidate);
  }

  getPushSubscription(device: DeviceAddress): Promise<PushSubscriptionRecord | undefined> {
    return push.getPushSubscription(this.autocommit, device);
  }

  setPushSubscription(device: DeviceAddress, subscription: PushSubscriptionRecord, now: number): Promise<void> {
    return this.tx((sql) => push.setPushSubscription(sql, device, subscription, now));
  }

  deletePushSubscription(device: DeviceAddress, endpoint?: string): Promise<boolean> {
    return push.deletePushSubscription(this.autocommit, device, endpoint);
  }

  claimPush(device: DeviceAddress, now: number, pacing: PushPacing): Promise<PushSubscriptionRecord | undefined> {
    return this.tx((sql) => push.claimPush(sql, device, now, pacing));
  }

  vapidKeyPair(candidate: VapidKeyPair): Promise<VapidKeyPair> {
    return push.vapidKeyPair(this.autocommit, candidate);
  }

  listGroupCalls(): Promise<GroupCallRecordEntry[]> {
    return listGroupCalls(this.autocommit);
  }

  changeGroupCall<T>(groupId: Uint8Array, change: (record: string | undefined) => Promise<GroupCallChange<T>>): Promise<T> {
    return this.groupCalls.change(groupId, change);
  }
}

/**
 * @module storage/sqlite/sqlite-store
 * The embedded SQLite backend (better-sqlite3, WAL). Every writing contract
 * method runs in a group commit (group-commit.ts): the writes of one event-loop
 * turn share a transaction and its fsync, each in its own savepoint, and none
 * resolves before that transaction committed with the configured fsync policy,
 * so the caller still acknowledges only what is durable.
 * The defences' statements live in defence-queries.ts.
 */
import type Database from 'better-sqlite3';
import { ContactAction, ContactState, ErrorCode } from '@sotto/protocol';
import {
  ServerError,
  StaleEpochError,
  StorageUnavailableError,
  type AnomalyFilter,
  type ContactRequestOptions,
  type NewAccount,
  type NewCommit,
  type NewGroup,
  type Store,
} from '../store.js';
import {
  planContactRequest,
  planContactResponse,
  refuseContactRequest,
  settleContactRequest,
  type ContactOutcome,
  type ContactRequestFacts,
  type ContactWrite,
} from '../contact-rules.js';
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
import { GroupCommit } from './group-commit.js';
import { RoutingCache, type DeviceKey, type DeviceRow } from './routing-cache.js';
import { MailboxTails } from './mailbox-tails.js';
import { StagedMail } from './staged-mail.js';
import { openSqliteDatabase } from './open-database.js';
import { cachedStatements, type Statements } from './statements.js';
import * as defences from './defence-queries.js';

export interface SqliteStoreOptions {
  /** File path, or ':memory:'. */
  readonly path: string;
  /** 'FULL' survives power loss; 'NORMAL' survives a process crash only. */
  readonly synchronous?: 'FULL' | 'NORMAL';
}

interface MailRow {
  seq: number;
  kind: number;
  sender_username: string;
  sender_device_id: string;
  group_id: Buffer;
  message_id: Buffer;
  payload: Buffer;
  epoch: number;
  stored_at: number;
}

interface ContactRow {
  owner: string;
  peer: string;
  state: number;
  text: string;
  updated_at: number;
  via_link: number;
}

const CONTACT_COLUMNS = 'o.username AS owner, p.username AS peer, c.state, c.text, c.updated_at, c.via_link';

const toContact = (row: ContactRow): ContactRecord => ({
  owner: row.owner,
  peer: row.peer,
  state: row.state,
  text: row.text,
  updatedAt: row.updated_at,
  viaLink: row.via_link === 1,
});

const ACCOUNT_COLUMNS = 'a.username, a.created_at, a.restricted, count(d.pk) AS devices';

interface AccountRow {
  username: string;
  created_at: number;
  restricted: number;
  devices: number;
}

const toAccount = (r: AccountRow): AccountRecord => ({ username: r.username, createdAt: r.created_at, devices: r.devices, restricted: r.restricted === 1 });

/** How often another process's commits are looked for (see noticeOtherWriters). */
const OTHER_WRITERS_CHECK_MS = 1;
/** Setting keys remembered at most. */
const MAX_CACHED_SETTINGS = 64;

const bytes = (buffer: Uint8Array): Uint8Array => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly writesInCallOrder = true;
  private readonly db: Database.Database;
  private readonly sql: Statements;
  private readonly writes: GroupCommit;
  private readonly routing = new RoutingCache();
  private readonly tails = new MailboxTails();
  private readonly staged = new StagedMail(this.tails, () => this.forgetCaches());
  /** Settings by key (undefined: no such setting); operators change them from another process. */
  private readonly settings = new Map<string, string | undefined>();
  /** SQLite's count of other connections' commits when the memory above was last known to be true. */
  private dataVersion = 0;
  private dataVersionCheckedAt = Number.NEGATIVE_INFINITY;
  private limiter: MemoryRateLimiter | undefined;

  constructor(options: SqliteStoreOptions) {
    // Refusals (another program's file, a newer Sotto's, a directory, no permission, ...) carry the path and the cause.
    this.db = openSqliteDatabase(options.path, { synchronous: options.synchronous ?? 'FULL' });
    try {
      this.sql = cachedStatements(this.db);
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

  private accountId(username: string): number | undefined {
    const row = this.sql.prepare('SELECT id FROM accounts WHERE username = ?').get(username) as { id: number } | undefined;
    return row?.id;
  }

  private requireAccountId(username: string): number {
    const id = this.accountId(username);
    if (id === undefined) throw new ServerError(ErrorCode.UNKNOWN_ACCOUNT);
    return id;
  }

  private deviceRow(device: DeviceAddress): DeviceRow | undefined {
    return this.sql
      .prepare(
        `SELECT d.pk, a.username, d.device_id, d.identity_key, d.created_at
         FROM devices d JOIN accounts a ON a.id = d.account_id
         WHERE a.username = ? AND d.device_id = ?`,
      )
      .get(device.username, device.deviceId) as DeviceRow | undefined;
  }

  /** The device's row, from the routing cache. */
  private cachedDevice(device: DeviceAddress): DeviceRow | undefined {
    return this.routing.device(device, () => this.deviceRow(device));
  }

  private devicePk(device: DeviceAddress): number | undefined {
    return this.cachedDevice(device)?.pk;
  }

  private requireDevicePk(device: DeviceAddress): number {
    const pk = this.devicePk(device);
    if (pk === undefined) throw new ServerError(ErrorCode.UNKNOWN_DEVICE);
    return pk;
  }

  private deviceRows(username: string): DeviceRow[] {
    return this.sql
      .prepare(
        `SELECT d.pk, a.username, d.device_id, d.identity_key, d.created_at
         FROM devices d JOIN accounts a ON a.id = d.account_id
         WHERE a.username = ? ORDER BY d.pk`,
      )
      .all(username) as DeviceRow[];
  }

  private toDevice(row: DeviceRow): DeviceRecord {
    return { username: row.username, deviceId: row.device_id, identityKey: bytes(row.identity_key), createdAt: row.created_at };
  }

  private insertMail(devicePk: number, item: MailItem, now: number): void {
    const { lastInsertRowid } = this.sql
      .prepare(
        `INSERT INTO mailbox (device_pk, kind, sender_username, sender_device_id, group_id, message_id, payload, epoch, stored_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(devicePk, item.kind, item.sender.username, item.sender.deviceId, item.groupId, item.messageId, item.payload, Number(item.epoch), now);
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
    };
    this.staged.added(devicePk, entry);
  }

  private mailToDevices(rows: readonly DeviceKey[], item: MailItem, now: number): StoredMail {
    for (const row of rows) this.insertMail(row.pk, item, now);
    return { storedAt: now, duplicate: false, recipients: rows.map((r) => ({ username: r.username, deviceId: r.device_id })) };
  }

  private memberRows(groupId: Uint8Array): DeviceRow[] {
    return this.sql
      .prepare(
        `SELECT d.pk, a.username, d.device_id, d.identity_key, d.created_at
         FROM group_members m JOIN devices d ON d.pk = m.device_pk JOIN accounts a ON a.id = d.account_id
         WHERE m.group_id = ? ORDER BY d.pk`,
      )
      .all(groupId) as DeviceRow[];
  }

  /** An existing group's members, from the routing cache; undefined when there is no such group. */
  private groupMembers(groupId: Uint8Array): readonly DeviceKey[] | undefined {
    return this.routing.members(groupId, () => (this.sql.prepare('SELECT 1 FROM groups WHERE group_id = ?').get(groupId) ? this.memberRows(groupId) : undefined));
  }

  private contactRow(ownerId: number, peerId: number): { state: ContactState; via_link: number } | undefined {
    return this.sql.prepare('SELECT state, via_link FROM contacts WHERE owner_id = ? AND peer_id = ?').get(ownerId, peerId) as
      | { state: number; via_link: number }
      | undefined;
  }

  private contactState(ownerId: number, peerId: number): ContactState | undefined {
    return this.contactRow(ownerId, peerId)?.state;
  }

  /** Writes the plan's rows, `mine` being `actorId`'s view of `otherId`. */
  private writeContacts(writes: readonly ContactWrite[], actorId: number, otherId: number, now: number): void {
    // A write without viaLink keeps the row's flag (NULL leaves it, and a new row starts false).
    const upsert = this.sql.prepare(
      `INSERT INTO contacts (owner_id, peer_id, state, text, updated_at, via_link) VALUES (@owner, @peer, @state, @text, @now, coalesce(@via, 0))
       ON CONFLICT (owner_id, peer_id) DO UPDATE SET state = excluded.state, text = excluded.text, updated_at = excluded.updated_at,
         via_link = coalesce(@via, contacts.via_link)`,
    );
    for (const w of writes) {
      const [owner, peer] = w.side === 'mine' ? [actorId, otherId] : [otherId, actorId];
      upsert.run({ owner, peer, state: w.state, text: w.text, now, via: w.viaLink === undefined ? null : w.viaLink ? 1 : 0 });
    }
  }

  /** Returns the earlier result if (sender, messageId) was stored before, else records it. */
  private claimMessageId(senderPk: number, messageId: Uint8Array, now: number, recipients: number): StoredMail | undefined {
    // Insert first: a new id (nearly every send) then costs one statement, not a look-up and an insert.
    const claimed = this.sql
      .prepare('INSERT INTO sent_ids (sender_pk, message_id, stored_at, recipients) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING')
      .run(senderPk, messageId, now, recipients);
    if (claimed.changes === 1) return undefined;
    const seen = this.sql.prepare('SELECT stored_at FROM sent_ids WHERE sender_pk = ? AND message_id = ?').get(senderPk, messageId) as { stored_at: number };
    return { storedAt: seen.stored_at, duplicate: true, recipients: [] };
  }

  // ---- reads ----

  async getDevice(device: DeviceAddress): Promise<DeviceRecord | undefined> {
    const row = this.cachedDevice(device);
    return row && this.toDevice(row);
  }

  async listDevices(username: string): Promise<DeviceRecord[]> {
    return this.deviceRows(username).map((row) => this.toDevice(row));
  }

  async listAccounts(): Promise<AccountRecord[]> {
    const rows = this.sql
      .prepare(`SELECT ${ACCOUNT_COLUMNS} FROM accounts a LEFT JOIN devices d ON d.account_id = a.id GROUP BY a.id ORDER BY a.username`)
      .all() as AccountRow[];
    return rows.map(toAccount);
  }

  async getAccount(username: string): Promise<AccountRecord | undefined> {
    const row = this.sql
      .prepare(`SELECT ${ACCOUNT_COLUMNS} FROM accounts a LEFT JOIN devices d ON d.account_id = a.id WHERE a.username = ? GROUP BY a.id`)
      .get(username) as AccountRow | undefined;
    return row && toAccount(row);
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
    return defences.getLockdown(this.sql, username);
  }

  async hasReached(sender: string, member: string): Promise<boolean> {
    return defences.hasReached(this.sql, sender, member);
  }

  async getSetting(key: string): Promise<string | undefined> {
    this.noticeOtherWriters();
    if (this.settings.has(key)) return this.settings.get(key);
    const row = this.sql.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    // Few keys exist (the services' constants); the bound guards against a caller that makes them up.
    if (this.settings.size >= MAX_CACHED_SETTINGS) this.settings.clear();
    this.settings.set(key, row?.value);
    return row?.value;
  }

  async getContact(owner: string, peer: string): Promise<ContactRecord | undefined> {
    const row = this.sql
      .prepare(
        `SELECT ${CONTACT_COLUMNS}
         FROM contacts c JOIN accounts o ON o.id = c.owner_id JOIN accounts p ON p.id = c.peer_id
         WHERE o.username = ? AND p.username = ?`,
      )
      .get(owner, peer) as ContactRow | undefined;
    return row && toContact(row);
  }

  async listContacts(owner: string): Promise<ContactRecord[]> {
    const rows = this.sql
      .prepare(
        `SELECT ${CONTACT_COLUMNS}
         FROM contacts c JOIN accounts o ON o.id = c.owner_id JOIN accounts p ON p.id = c.peer_id
         WHERE o.username = ? ORDER BY p.username`,
      )
      .all(owner) as ContactRow[];
    return rows.map(toContact);
  }

  async countKeyPackages(device: DeviceAddress): Promise<number> {
    const pk = this.devicePk(device);
    if (pk === undefined) return 0;
    return (this.sql.prepare('SELECT count(*) AS n FROM key_packages WHERE device_pk = ? AND last_resort = 0').get(pk) as { n: number }).n;
  }

  async getGroup(groupId: Uint8Array): Promise<GroupRecord | undefined> {
    const row = this.sql.prepare('SELECT epoch FROM groups WHERE group_id = ?').get(groupId) as { epoch: number } | undefined;
    if (!row) return undefined;
    const members = this.memberRows(groupId).map((r) => ({ username: r.username, deviceId: r.device_id }));
    return { groupId, epoch: BigInt(row.epoch), members };
  }

  async readMailbox(device: DeviceAddress, afterSeq: bigint, limit: number): Promise<MailboxEntry[]> {
    const pk = this.devicePk(device);
    if (pk === undefined) return [];
    this.noticeOtherWriters();
    const remembered = this.tails.read(pk, afterSeq, limit);
    if (remembered) return remembered;
    // A bare `LIMIT ?` makes SQLite re-prepare the statement at every step (it plans with the bound
    // value); an expression does not.
    const rows = this.sql
      .prepare('SELECT * FROM mailbox WHERE device_pk = ? AND seq > ? ORDER BY seq LIMIT CAST(? AS INTEGER)')
      .all(pk, Number(afterSeq), limit) as MailRow[];
    if (rows.length < limit) this.tails.caughtUp(pk, rows.length > 0 ? BigInt(rows[rows.length - 1]!.seq) : afterSeq);
    return rows.map((row) => ({
      seq: BigInt(row.seq),
      kind: row.kind,
      sender: { username: row.sender_username, deviceId: row.sender_device_id },
      groupId: bytes(row.group_id),
      messageId: bytes(row.message_id),
      payload: bytes(row.payload),
      epoch: BigInt(row.epoch),
      storedAt: row.stored_at,
    }));
  }

  async countMailbox(device: DeviceAddress): Promise<number> {
    const pk = this.deviceRow(device)?.pk;
    if (pk === undefined) return 0;
    return (this.sql.prepare('SELECT count(*) AS n FROM mailbox WHERE device_pk = ?').get(pk) as { n: number }).n;
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
    return this.run(() => {
      if (this.accountId(account.username) !== undefined) throw new ServerError(ErrorCode.USERNAME_TAKEN);
      let invite: { code: string } | undefined;
      if (account.requireInvite) {
        invite = this.sql
          .prepare('SELECT code FROM invites WHERE code = ? AND used_by IS NULL AND expires_at > ?')
          .get(account.inviteCode ?? '', account.now) as { code: string } | undefined;
        if (!invite) throw new ServerError(ErrorCode.INVITE_REQUIRED, 'This server needs a valid, unused invite code to register.');
      }
      const id = Number(this.sql.prepare('INSERT INTO accounts (username, created_at) VALUES (?, ?)').run(account.username, account.now).lastInsertRowid);
      this.sql
        .prepare('INSERT INTO devices (account_id, device_id, identity_key, created_at) VALUES (?, ?, ?, ?)')
        .run(id, account.deviceId, account.identityKey, account.now);
      if (invite) this.sql.prepare('UPDATE invites SET used_by = ? WHERE code = ?').run(id, invite.code);
    });
  }

  setSetting(key: string, value: string): Promise<void> {
    return this.run(() => {
      this.sql.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
      // Dropped when written, after any read queued before it; read again after the commit.
      this.settings.delete(key);
    });
  }

  createInvite(code: string, now: number, expiresAt: number): Promise<void> {
    return this.run(() => {
      this.sql.prepare('INSERT INTO invites (code, created_at, expires_at) VALUES (?, ?, ?)').run(code, now, expiresAt);
    });
  }

  addKeyPackages(device: DeviceAddress, packages: readonly Uint8Array[], lastResort: Uint8Array | undefined): Promise<number> {
    return this.run(() => {
      const pk = this.requireDevicePk(device);
      const insert = this.sql.prepare('INSERT INTO key_packages (device_pk, data, last_resort) VALUES (?, ?, ?)');
      for (const keyPackage of packages) insert.run(pk, keyPackage, 0);
      if (lastResort) {
        this.sql.prepare('DELETE FROM key_packages WHERE device_pk = ? AND last_resort = 1').run(pk);
        insert.run(pk, lastResort, 1);
      }
      return (this.sql.prepare('SELECT count(*) AS n FROM key_packages WHERE device_pk = ? AND last_resort = 0').get(pk) as { n: number }).n;
    });
  }

  claimKeyPackages(username: string): Promise<ClaimedPackage[]> {
    return this.run(() => {
      this.requireAccountId(username);
      const claimed: ClaimedPackage[] = [];
      for (const row of this.deviceRows(username)) {
        const keyPackage = this.sql
          .prepare('SELECT id, data, last_resort FROM key_packages WHERE device_pk = ? ORDER BY last_resort, id LIMIT 1')
          .get(row.pk) as { id: number; data: Buffer; last_resort: number } | undefined;
        if (!keyPackage) continue;
        if (!keyPackage.last_resort) this.sql.prepare('DELETE FROM key_packages WHERE id = ?').run(keyPackage.id);
        const remaining = (this.sql.prepare('SELECT count(*) AS n FROM key_packages WHERE device_pk = ? AND last_resort = 0').get(row.pk) as { n: number }).n;
        claimed.push({ device: this.toDevice(row), keyPackage: bytes(keyPackage.data), lastResort: keyPackage.last_resort === 1, remaining });
      }
      return claimed;
    });
  }

  putContactRequest(from: DeviceAddress, to: string, text: string, now: number, options: ContactRequestOptions = {}): Promise<StoredMail> {
    return this.run((): ContactOutcome => {
      const fromId = this.requireAccountId(from.username);
      const toId = this.requireAccountId(to);
      const theirs = this.contactRow(toId, fromId);
      const token = options.linkTokenHash;
      const facts: ContactRequestFacts = {
        mine: this.contactState(fromId, toId),
        theirs: theirs?.state,
        theirsViaLink: theirs?.via_link === 1,
        // A valid link is used up whatever follows, so a blocked requester cannot tell from a reuse.
        link: token !== undefined && token.length > 0 ? defences.useContactLink(this.sql, toId, token, now) : 'none',
        lockdown: defences.inLockdown(this.sql, toId),
      };
      const refusal = refuseContactRequest(facts);
      if (refusal) {
        // Nothing else was written; the count commits with this transaction, then the refusal is thrown.
        if (refusal.counted) defences.countRefusal(this.sql, toId);
        return { refused: refusal.error };
      }
      const plan = planContactRequest(from, text, options.call === true, facts.link === 'used', facts);
      this.writeContacts(plan.writes, fromId, toId, now);
      if (!plan.mail) return { stored: { storedAt: now, duplicate: plan.duplicate, recipients: [] } };
      return { stored: this.mailToDevices(this.deviceRows(to), plan.mail, now) };
    }).then(settleContactRequest);
  }

  respondToContact(owner: DeviceAddress, peer: string, action: ContactAction, now: number): Promise<StoredMail> {
    return this.run(() => {
      const ownerId = this.requireAccountId(owner.username);
      const peerId = this.requireAccountId(peer);
      const plan = planContactResponse(owner, action, this.contactState(ownerId, peerId));
      this.writeContacts(plan.writes, ownerId, peerId, now);
      if (!plan.mail) return { storedAt: now, duplicate: plan.duplicate, recipients: [] };
      return this.mailToDevices(this.deviceRows(peer), plan.mail, now);
    });
  }

  createGroup(group: NewGroup): Promise<StoredMail> {
    return this.run(() => {
      const existing = this.sql.prepare('SELECT epoch, creator_pk, created_at FROM groups WHERE group_id = ?').get(group.groupId) as
        | { epoch: number; creator_pk: number | null; created_at: number }
        | undefined;
      if (existing) return this.retriedGroup(existing, group);
      this.routing.dropGroup(group.groupId);
      const creatorPk = this.requireDevicePk(group.creator);
      const memberPks = group.members.map((m) => this.requireDevicePk(m));
      this.sql
        .prepare('INSERT INTO groups (group_id, epoch, created_at, creator_pk) VALUES (?, ?, ?, ?)')
        .run(group.groupId, Number(group.epoch), group.now, creatorPk);
      const addMember = this.sql.prepare('INSERT OR IGNORE INTO group_members (group_id, device_pk) VALUES (?, ?)');
      addMember.run(group.groupId, creatorPk);
      for (const pk of memberPks) addMember.run(group.groupId, pk);
      const rows = group.members.map((m) => this.deviceRow(m)!).filter((r) => r.pk !== creatorPk);
      return this.mailToDevices(rows, group.welcome, group.now);
    });
  }

  /**
   * The creator's retry of a createGroup that was stored (same creator device,
   * epoch and members) gets the original result; anything else is a clash.
   */
  private retriedGroup(existing: { epoch: number; creator_pk: number | null; created_at: number }, group: NewGroup): StoredMail {
    const clash = new ServerError(ErrorCode.GROUP_EXISTS);
    const creator = this.deviceRow(group.creator);
    if (!creator || existing.creator_pk !== creator.pk || BigInt(existing.epoch) !== group.epoch) throw clash;
    const asked = group.members.map((m) => this.deviceRow(m));
    if (asked.some((row) => row === undefined)) throw clash;
    const rows = asked as DeviceRow[];
    const stored = new Set(this.memberRows(group.groupId).map((row) => row.pk));
    const wanted = new Set([creator.pk, ...rows.map((row) => row.pk)]);
    if (stored.size !== wanted.size || [...wanted].some((pk) => !stored.has(pk))) throw clash;
    const recipients = rows.filter((row) => row.pk !== creator.pk).map((r) => ({ username: r.username, deviceId: r.device_id }));
    return { storedAt: existing.created_at, recipients, duplicate: true };
  }

  applyCommit(commit: NewCommit): Promise<StoredMail & { epoch: bigint }> {
    return this.run(() => {
      const group = this.sql.prepare('SELECT epoch FROM groups WHERE group_id = ?').get(commit.groupId) as { epoch: number } | undefined;
      if (!group) throw new ServerError(ErrorCode.UNKNOWN_GROUP);
      const senderPk = this.requireDevicePk(commit.sender);
      const previous = this.claimMessageId(senderPk, commit.commit.messageId, commit.now, 0);
      if (previous) return { ...previous, epoch: BigInt(group.epoch) };
      const members = this.memberRows(commit.groupId);
      if (!members.some((m) => m.pk === senderPk)) throw new ServerError(ErrorCode.NOT_A_MEMBER);
      if (BigInt(group.epoch) !== commit.epoch) throw new StaleEpochError(BigInt(group.epoch));
      const nextEpoch = commit.epoch + 1n;
      this.routing.dropGroup(commit.groupId);
      this.sql.prepare('UPDATE groups SET epoch = ? WHERE group_id = ?').run(Number(nextEpoch), commit.groupId);
      const removedPks = new Set(commit.removed.map((d) => this.requireDevicePk(d)));
      const addedRows = commit.added.map((d) => {
        const row = this.deviceRow(d);
        if (!row) throw new ServerError(ErrorCode.UNKNOWN_DEVICE);
        return row;
      });
      const remove = this.sql.prepare('DELETE FROM group_members WHERE group_id = ? AND device_pk = ?');
      for (const pk of removedPks) remove.run(commit.groupId, pk);
      const add = this.sql.prepare('INSERT OR IGNORE INTO group_members (group_id, device_pk) VALUES (?, ?)');
      for (const row of addedRows) add.run(commit.groupId, row.pk);
      // Everyone who was a member (removed ones too, so they learn it) except the committer.
      const commitRecipients = members.filter((m) => m.pk !== senderPk);
      const toMembers = this.mailToDevices(commitRecipients, { ...commit.commit, epoch: commit.epoch }, commit.now);
      const toAdded = commit.welcome ? this.mailToDevices(addedRows, { ...commit.welcome, epoch: nextEpoch }, commit.now) : undefined;
      return {
        storedAt: commit.now,
        duplicate: false,
        recipients: [...toMembers.recipients, ...(toAdded?.recipients ?? [])],
        epoch: nextEpoch,
      };
    });
  }

  sendToGroup(item: MailItem, now: number): Promise<StoredMail> {
    return this.run(() => {
      const members = this.groupMembers(item.groupId);
      if (!members) throw new ServerError(ErrorCode.UNKNOWN_GROUP);
      const senderPk = this.requireDevicePk(item.sender);
      if (!members.some((m) => m.pk === senderPk)) throw new ServerError(ErrorCode.NOT_A_MEMBER);
      const recipients = members.filter((m) => m.pk !== senderPk);
      const previous = this.claimMessageId(senderPk, item.messageId, now, recipients.length);
      if (previous) return previous;
      return this.mailToDevices(recipients, item, now);
    });
  }

  leaveGroup(item: MailItem, now: number): Promise<StoredMail> {
    return this.run(() => {
      if (!this.sql.prepare('SELECT 1 FROM groups WHERE group_id = ?').get(item.groupId)) throw new ServerError(ErrorCode.UNKNOWN_GROUP);
      const senderPk = this.requireDevicePk(item.sender);
      const members = this.memberRows(item.groupId);
      if (!members.some((m) => m.pk === senderPk)) throw new ServerError(ErrorCode.NOT_A_MEMBER);
      this.routing.dropGroup(item.groupId);
      this.sql.prepare('DELETE FROM group_members WHERE group_id = ? AND device_pk = ?').run(item.groupId, senderPk);
      return this.mailToDevices(members.filter((m) => m.pk !== senderPk), item, now);
    });
  }

  putSystemMail(to: string, item: MailItem, now: number): Promise<StoredMail> {
    return this.run(() => {
      this.requireAccountId(to);
      return this.mailToDevices(this.deviceRows(to), item, now);
    });
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
    return this.run(() => defences.setLockdown(this.sql, username, enabled));
  }

  createContactLink(username: string, tokenHash: Uint8Array, expiresAt: number): Promise<void> {
    return this.run(() => defences.createContactLink(this.sql, this.requireAccountId(username), tokenHash, expiresAt));
  }

  ackMailbox(device: DeviceAddress, seqs: readonly bigint[]): Promise<number> {
    return this.run(() => {
      const pk = this.devicePk(device);
      if (pk === undefined) return 0;
      const remove = this.sql.prepare('DELETE FROM mailbox WHERE device_pk = ? AND seq = ?');
      let deleted = 0;
      for (const seq of seqs) deleted += remove.run(pk, Number(seq)).changes;
      this.staged.deleted(pk, seqs);
      return deleted;
    });
  }

  expire(before: number, now = before): Promise<{ mailbox: number }> {
    return this.run(() => {
      // Entries leave the table here that the tails would still hand out.
      this.tails.clear();
      const mailbox = this.sql.prepare('DELETE FROM mailbox WHERE stored_at < ?').run(before).changes;
      this.sql.prepare('DELETE FROM sent_ids WHERE stored_at < ?').run(before);
      this.sql.prepare('DELETE FROM invites WHERE expires_at < ? AND used_by IS NULL').run(before);
      defences.expireDefences(this.sql, before, now);
      return { mailbox };
    });
  }
}

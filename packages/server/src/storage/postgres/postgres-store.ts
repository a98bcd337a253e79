/**
 * @module storage/postgres/postgres-store
 * The PostgreSQL backend, for several server nodes sharing one database.
 * Each contract method is one READ COMMITTED transaction made safe across
 * nodes by explicit row locks: the group row for membership and epochs, the
 * device row for mailbox seqs, SKIP LOCKED for key package claims. Group
 * writes live in group-writes.ts, the defences' statements in
 * defence-queries.ts, the shared rate limiter in postgres-rate-limiter.ts.
 */
import type pg from 'pg';
import { ContactAction, ErrorCode } from '@sotto/protocol';
import { DatabaseRefusedError, ServerError, type AnomalyFilter, type ContactRequestOptions, type NewAccount, type NewCommit, type NewGroup, type Store } from '../store.js';
import {
  planContactRequest,
  planContactResponse,
  refuseContactRequest,
  settleContactRequest,
  type ContactOutcome,
  type ContactRequestFacts,
} from '../contact-rules.js';
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
import * as defences from './defence-queries.js';
import * as groups from './group-writes.js';
import { PostgresRateLimiter } from './postgres-rate-limiter.js';
import { migratePostgres, requireSchemaName } from './migrations/migration.js';
import {
  accountId,
  bytes,
  contactRow,
  contactState,
  deviceRow,
  deviceRows,
  devicePkOf,
  lockAccountPair,
  mailTo,
  requireAccountId,
  requireDevice,
  toDevice,
  toMailboxEntry,
  writeContacts,
  type MailRow,
} from './queries.js';
import { autocommit, inTransaction, pgCode, type Sql } from './transaction.js';

export interface PostgresStoreOptions {
  /** Schema holding the tables; created when missing. Default: the URL's `?schema=`, else `public`. */
  readonly schema?: string;
  /** Pool size per server process (default 10). */
  readonly maxConnections?: number;
  /** How long to wait for a connection before failing (default 5000 ms). */
  readonly connectTimeoutMs?: number;
  /** Told when an idle pooled connection fails (the pool replaces it). */
  readonly onIdleError?: (error: Error) => void;
}

const UNIQUE_VIOLATION = '23505';

const ACCOUNT_QUERY = `SELECT a.username, a.created_at, a.restricted, count(d.pk)::int AS devices
  FROM accounts a LEFT JOIN devices d ON d.account_id = a.id`;

interface AccountRow {
  username: string;
  created_at: string;
  restricted: boolean;
  devices: number;
}

const toAccount = (r: AccountRow): AccountRecord => ({ username: r.username, createdAt: Number(r.created_at), devices: r.devices, restricted: r.restricted });

export class PostgresStore implements Store {
  readonly kind = 'postgres';
  readonly writesInCallOrder = false;
  private closing: Promise<void> | undefined;
  /** For methods that are one statement, reads and writes alike: a statement is a transaction of its own. */
  private readonly autocommit: Sql;
  private limiter: PostgresRateLimiter | undefined;

  private constructor(
    private readonly pool: pg.Pool,
    /** The schema the tables live in. */
    readonly schema: string,
  ) {
    this.autocommit = autocommit(pool);
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
    const pool = createPool(target, {
      schema,
      maxConnections: options.maxConnections ?? 10,
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
    client.release();
    return new PostgresStore(pool, schema);
  }

  close(): Promise<void> {
    this.closing ??= this.pool.end();
    return this.closing;
  }

  /** Shared by every node on this database, so a cluster throttles as one node does. */
  rateLimiter(): RateLimiter {
    this.limiter ??= new PostgresRateLimiter(this.pool);
    return this.limiter;
  }

  private tx<T>(body: (sql: Sql) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, body);
  }

  private async rows<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]> {
    return (await this.autocommit.query<R>(text, values)).rows;
  }

  // ---- reads: each one statement, atomic on its own ----

  async getDevice(device: DeviceAddress): Promise<DeviceRecord | undefined> {
    const row = await deviceRow(this.autocommit, device);
    return row && toDevice(row);
  }

  async listDevices(username: string): Promise<DeviceRecord[]> {
    return (await deviceRows(this.autocommit, username)).map(toDevice);
  }

  async listAccounts(): Promise<AccountRecord[]> {
    return (await this.rows<AccountRow>(`${ACCOUNT_QUERY} GROUP BY a.id ORDER BY a.username`)).map(toAccount);
  }

  async getAccount(username: string): Promise<AccountRecord | undefined> {
    const row = (await this.rows<AccountRow>(`${ACCOUNT_QUERY} WHERE a.username = $1 GROUP BY a.id`, [username]))[0];
    return row && toAccount(row);
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
    return defences.getLockdown(this.autocommit, username);
  }

  hasReached(sender: string, member: string): Promise<boolean> {
    return defences.hasReached(this.autocommit, sender, member);
  }

  async getSetting(key: string): Promise<string | undefined> {
    return (await this.rows<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]))[0]?.value;
  }

  async getContact(owner: string, peer: string): Promise<ContactRecord | undefined> {
    return (await this.contacts('o.username = $1 AND p.username = $2', [owner, peer]))[0];
  }

  async listContacts(owner: string): Promise<ContactRecord[]> {
    return this.contacts('o.username = $1', [owner]);
  }

  private async contacts(where: string, values: unknown[]): Promise<ContactRecord[]> {
    const rows = await this.rows<{ owner: string; peer: string; state: number; text: string; updated_at: string; via_link: boolean }>(
      `SELECT o.username AS owner, p.username AS peer, c.state, c.text, c.updated_at, c.via_link
       FROM contacts c JOIN accounts o ON o.id = c.owner_id JOIN accounts p ON p.id = c.peer_id
       WHERE ${where} ORDER BY p.username`,
      values,
    );
    return rows.map((row) => ({
      owner: row.owner,
      peer: row.peer,
      state: row.state,
      text: row.text,
      updatedAt: Number(row.updated_at),
      viaLink: row.via_link,
    }));
  }

  async countKeyPackages(device: DeviceAddress): Promise<number> {
    const rows = await this.rows<{ n: number }>(
      `SELECT count(*)::int AS n FROM key_packages WHERE device_pk = ${devicePkOf(1)} AND NOT last_resort`,
      [device.username, device.deviceId],
    );
    return rows[0]?.n ?? 0;
  }

  async getGroup(groupId: Uint8Array): Promise<GroupRecord | undefined> {
    const rows = await this.rows<{ epoch: string; username: string | null; device_id: string | null }>(
      `SELECT g.epoch, a.username, d.device_id
       FROM groups g
       LEFT JOIN group_members m ON m.group_id = g.group_id
       LEFT JOIN devices d ON d.pk = m.device_pk
       LEFT JOIN accounts a ON a.id = d.account_id
       WHERE g.group_id = $1 ORDER BY d.pk`,
      [groupId],
    );
    if (rows.length === 0) return undefined;
    const members = rows.flatMap((r) => (r.username !== null && r.device_id !== null ? [{ username: r.username, deviceId: r.device_id }] : []));
    return { groupId, epoch: BigInt(rows[0]!.epoch), members };
  }

  async readMailbox(device: DeviceAddress, afterSeq: bigint, limit: number): Promise<MailboxEntry[]> {
    const rows = await this.rows<MailRow>(
      `SELECT seq, kind, sender_username, sender_device_id, group_id, message_id, payload, epoch, stored_at
       FROM mailbox WHERE device_pk = ${devicePkOf(1)} AND seq > $3 ORDER BY seq LIMIT $4`,
      [device.username, device.deviceId, afterSeq, limit],
    );
    return rows.map(toMailboxEntry);
  }

  async countMailbox(device: DeviceAddress): Promise<number> {
    const rows = await this.rows<{ n: number }>(`SELECT count(*)::int AS n FROM mailbox WHERE device_pk = ${devicePkOf(1)}`, [
      device.username,
      device.deviceId,
    ]);
    return rows[0]?.n ?? 0;
  }

  // ---- writes ----

  createAccount(account: NewAccount): Promise<void> {
    return this.tx(async (sql) => {
      if ((await accountId(sql, account.username)) !== undefined) throw new ServerError(ErrorCode.USERNAME_TAKEN);
      let invite: string | undefined;
      if (account.requireInvite) {
        // FOR UPDATE: a second registration with the same code waits, then finds it used.
        const found = await sql.query<{ code: string }>(
          'SELECT code FROM invites WHERE code = $1 AND used_by IS NULL AND expires_at > $2 FOR UPDATE',
          [account.inviteCode ?? '', account.now],
        );
        invite = found.rows[0]?.code;
        if (invite === undefined) throw new ServerError(ErrorCode.INVITE_REQUIRED, 'This server needs a valid, unused invite code to register.');
      }
      let id: string | undefined;
      try {
        // A registration racing on another node commits between our check and here: that is still USERNAME_TAKEN.
        const inserted = await sql.query<{ id: string }>(
          'INSERT INTO accounts (username, created_at) VALUES ($1, $2) ON CONFLICT (username) DO NOTHING RETURNING id',
          [account.username, account.now],
        );
        id = inserted.rows[0]?.id;
      } catch (error) {
        if (pgCode(error) !== UNIQUE_VIOLATION) throw error;
      }
      if (id === undefined) throw new ServerError(ErrorCode.USERNAME_TAKEN);
      await sql.query('INSERT INTO devices (account_id, device_id, identity_key, created_at) VALUES ($1, $2, $3, $4)', [
        id,
        account.deviceId,
        account.identityKey,
        account.now,
      ]);
      if (invite !== undefined) await sql.query('UPDATE invites SET used_by = $1 WHERE code = $2', [id, invite]);
    });
  }

  setSetting(key: string, value: string): Promise<void> {
    return this.tx(async (sql) => {
      await sql.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
    });
  }

  createInvite(code: string, now: number, expiresAt: number): Promise<void> {
    return this.tx(async (sql) => {
      await sql.query('INSERT INTO invites (code, created_at, expires_at) VALUES ($1, $2, $3)', [code, now, expiresAt]);
    });
  }

  addKeyPackages(device: DeviceAddress, packages: readonly Uint8Array[], lastResort: Uint8Array | undefined): Promise<number> {
    return this.tx(async (sql) => {
      const { pk } = await requireDevice(sql, device);
      // Serializes uploads per device, so two concurrent last-resort replacements leave exactly one.
      await sql.query('SELECT pk FROM devices WHERE pk = $1 FOR NO KEY UPDATE', [pk]);
      if (packages.length > 0) {
        await sql.query('INSERT INTO key_packages (device_pk, data, last_resort) SELECT $1, unnest($2::bytea[]), FALSE', [pk, [...packages]]);
      }
      if (lastResort) {
        await sql.query('DELETE FROM key_packages WHERE device_pk = $1 AND last_resort', [pk]);
        await sql.query('INSERT INTO key_packages (device_pk, data, last_resort) VALUES ($1, $2, TRUE)', [pk, lastResort]);
      }
      return this.remainingKeyPackages(sql, pk);
    });
  }

  private async remainingKeyPackages(sql: Sql, pk: string): Promise<number> {
    const result = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM key_packages WHERE device_pk = $1 AND NOT last_resort', [pk]);
    return result.rows[0]?.n ?? 0;
  }

  claimKeyPackages(username: string): Promise<ClaimedPackage[]> {
    return this.tx(async (sql) => {
      await requireAccountId(sql, username);
      const claimed: ClaimedPackage[] = [];
      for (const row of await deviceRows(sql, username)) {
        // SKIP LOCKED: concurrent claimers each take a different row instead of queueing on the same one,
        // and a row being deleted by another claimer is never handed out again.
        const taken = await sql.query<{ data: Buffer }>(
          `DELETE FROM key_packages WHERE id = (
             SELECT id FROM key_packages WHERE device_pk = $1 AND NOT last_resort ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
           ) RETURNING data`,
          [row.pk],
        );
        let data = taken.rows[0]?.data;
        const lastResort = data === undefined;
        if (lastResort) {
          const reused = await sql.query<{ data: Buffer }>(
            'SELECT data FROM key_packages WHERE device_pk = $1 AND last_resort ORDER BY id DESC LIMIT 1',
            [row.pk],
          );
          data = reused.rows[0]?.data;
        }
        if (data === undefined) continue;
        claimed.push({ device: toDevice(row), keyPackage: bytes(data), lastResort, remaining: await this.remainingKeyPackages(sql, row.pk) });
      }
      return claimed;
    });
  }

  async putContactRequest(from: DeviceAddress, to: string, text: string, now: number, options: ContactRequestOptions = {}): Promise<StoredMail> {
    const outcome = await this.tx(async (sql): Promise<ContactOutcome> => {
      const fromId = await requireAccountId(sql, from.username);
      const toId = await requireAccountId(sql, to);
      // Also orders this request against setLockdown and another use of the same link.
      await lockAccountPair(sql, fromId, toId);
      const theirs = await contactRow(sql, toId, fromId);
      const token = options.linkTokenHash;
      const facts: ContactRequestFacts = {
        mine: await contactState(sql, fromId, toId),
        theirs: theirs?.state,
        theirsViaLink: theirs?.via_link === true,
        // A valid link is used up whatever follows, so a blocked requester cannot tell from a reuse.
        link: token !== undefined && token.length > 0 ? await defences.useContactLink(sql, toId, token, now) : 'none',
        lockdown: await defences.inLockdown(sql, toId),
      };
      const refusal = refuseContactRequest(facts);
      if (refusal) {
        // Nothing else was written; the count commits with this transaction, then the refusal is thrown.
        if (refusal.counted) await defences.countRefusal(sql, toId);
        return { refused: refusal.error };
      }
      const plan = planContactRequest(from, text, options.call === true, facts.link === 'used', facts);
      await writeContacts(sql, plan.writes, fromId, toId, now);
      if (!plan.mail) return { stored: { storedAt: now, duplicate: plan.duplicate, recipients: [] } };
      return { stored: await mailTo(sql, await deviceRows(sql, to), plan.mail, now) };
    });
    return settleContactRequest(outcome);
  }

  respondToContact(owner: DeviceAddress, peer: string, action: ContactAction, now: number): Promise<StoredMail> {
    return this.tx(async (sql) => {
      const ownerId = await requireAccountId(sql, owner.username);
      const peerId = await requireAccountId(sql, peer);
      await lockAccountPair(sql, ownerId, peerId);
      const plan = planContactResponse(owner, action, await contactState(sql, ownerId, peerId));
      await writeContacts(sql, plan.writes, ownerId, peerId, now);
      if (!plan.mail) return { storedAt: now, duplicate: plan.duplicate, recipients: [] };
      return mailTo(sql, await deviceRows(sql, peer), plan.mail, now);
    });
  }

  createGroup(group: NewGroup): Promise<StoredMail> {
    return this.tx((sql) => groups.createGroup(sql, group));
  }

  applyCommit(commit: NewCommit): Promise<StoredMail & { epoch: bigint }> {
    return this.tx((sql) => groups.applyCommit(sql, commit));
  }

  sendToGroup(item: MailItem, now: number): Promise<StoredMail> {
    return this.tx((sql) => groups.sendToGroup(sql, item, now));
  }

  leaveGroup(item: MailItem, now: number): Promise<StoredMail> {
    return this.tx((sql) => groups.leaveGroup(sql, item, now));
  }

  putSystemMail(to: string, item: MailItem, now: number): Promise<StoredMail> {
    return this.tx(async (sql) => {
      await requireAccountId(sql, to);
      return mailTo(sql, await deviceRows(sql, to), item, now);
    });
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
    return defences.setLockdown(this.autocommit, username, enabled);
  }

  createContactLink(username: string, tokenHash: Uint8Array, expiresAt: number): Promise<void> {
    return this.tx((sql) => defences.createContactLink(sql, username, tokenHash, expiresAt));
  }

  async ackMailbox(device: DeviceAddress, seqs: readonly bigint[]): Promise<number> {
    if (seqs.length === 0) return 0;
    return this.tx(async (sql) => {
      const result = await sql.query(`DELETE FROM mailbox WHERE device_pk = ${devicePkOf(1)} AND seq = ANY($3::bigint[])`, [
        device.username,
        device.deviceId,
        [...seqs],
      ]);
      return result.rowCount ?? 0;
    });
  }

  expire(before: number, now = before): Promise<{ mailbox: number }> {
    return this.tx(async (sql) => {
      const mailbox = (await sql.query('DELETE FROM mailbox WHERE stored_at < $1', [before])).rowCount ?? 0;
      await sql.query('DELETE FROM sent_ids WHERE stored_at < $1', [before]);
      await sql.query('DELETE FROM invites WHERE expires_at < $1 AND used_by IS NULL', [before]);
      await defences.expireDefences(sql, before, now);
      return { mailbox };
    });
  }
}

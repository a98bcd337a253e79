/** @module admin */
// Operator commands that work on the database directly (`sotto admin ...`
// on the server's machine), alongside a running server: SQLite in WAL mode
// lets both open it. Every command that changes something is written to the
// audit log under the operator's name.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock, type Clock } from './clock.js';
import { DATABASE_FILE } from './config.js';
import { ConfigError } from './errors.js';
import { createLogger } from './logger.js';
import type { SignedAdvisory } from '@sotto/protocol';
import { AccountsService } from './services/accounts.js';
import { AdvisoryService } from './services/advisories.js';
import { IncidentDesk } from './services/incidents.js';
import { Restrictions } from './services/restrictions.js';
import { SqliteStore } from './storage/sqlite/sqlite-store.js';
import { requireDataDirectory } from './storage/sqlite/data-directory.js';
import { PostgresStore } from './storage/postgres/postgres-store.js';
import type { Store } from './storage/store.js';
import type { AccountRecord, AuditRecord, IncidentRecord, IncidentStatus } from './storage/types.js';

export const DEFAULT_INVITE_TTL_DAYS = 7;

export interface Admin {
  /** A new single-use invite code. */
  createInvite(ttlDays?: number): Promise<string>;
  /** Clients below this version are refused with UPDATE_REQUIRED; '' removes the minimum. */
  setMinVersion(version: string): Promise<void>;
  getMinVersion(): Promise<string | undefined>;
  /** Turns invite-only registration on or off (the server's inviteOnly config, when set, wins). */
  setInviteOnly(on: boolean): Promise<void>;
  listUsers(): Promise<AccountRecord[]>;
  /** Sets the operator's Ed25519 advisory key (32 bytes); drops advisories signed with an earlier one. */
  setAdvisoryKey(publicKey: Uint8Array): Promise<void>;
  getAdvisoryKey(): Promise<Uint8Array>;
  /** Keeps a signed advisory after checking its signature against the advisory key; devices get it at once or at their next hello. */
  publishAdvisory(signed: SignedAdvisory): Promise<void>;
  listAdvisories(): Promise<readonly SignedAdvisory[]>;
  /** Newest first; every status when `status` is absent. */
  listIncidents(status?: IncidentStatus): Promise<IncidentRecord[]>;
  getIncident(id: string): Promise<IncidentRecord | undefined>;
  /** The operator's verdict on an open incident: lift restores its subjects, uphold keeps them restricted. */
  resolveIncident(id: string, verdict: 'lifted' | 'upheld', note: string): Promise<IncidentRecord>;
  setRestricted(username: string, restricted: boolean, reason: string): Promise<void>;
  listAudit(limit?: number): Promise<AuditRecord[]>;
  close(): Promise<void>;
}

export interface AdminOptions {
  readonly now?: Clock;
  /** PostgreSQL URL; absent: SQLite in the data directory. */
  readonly db?: string;
  /** The operator's name in the audit log (default: the OS user). */
  readonly actor?: string;
}

/** Opens the server's database for operator commands: PostgreSQL when `options.db` is set, else SQLite in `dataDir`. */
export async function openAdmin(dataDir: string, options: AdminOptions = {}): Promise<Admin> {
  let store: Store;
  if (options.db) {
    store = await PostgresStore.connect(options.db);
  } else {
    requireDataDirectory(dataDir);
    const path = join(dataDir, DATABASE_FILE);
    // Refuse rather than create: an invite written to a fresh database in a mistyped directory would never work.
    if (!existsSync(path)) throw new ConfigError(`No Sotto database at ${path}; check the data directory or start the server once.`);
    store = new SqliteStore({ path });
  }
  const now = options.now ?? systemClock;
  const actor = options.actor ?? 'operator';
  const accounts = new AccountsService(store, { inviteOnly: false, now });
  const advisories = new AdvisoryService(store);
  const desk = new IncidentDesk(store, new Restrictions(store, now), { now, log: createLogger('admin', { level: 'silent' }) });
  const audit = (action: string, target: string, detail: string) => store.appendAudit({ at: now(), actor, action, target, detail });
  return {
    async createInvite(ttlDays = DEFAULT_INVITE_TTL_DAYS) {
      const code = await accounts.createInvite(ttlDays);
      // The code itself is a credential: the log says one was made, not which.
      await audit('invite.create', '', `valid ${ttlDays} day(s)`);
      return code;
    },
    async setMinVersion(version) {
      await accounts.setMinClientVersion(version);
      await audit('min-version.set', '', version || '(none)');
    },
    getMinVersion: async () => (await accounts.minClientVersion()) || undefined,
    async setInviteOnly(on) {
      await accounts.setInviteOnly(on);
      await audit('invite-only.set', '', on ? 'on' : 'off');
    },
    listUsers: () => accounts.listAccounts(),
    async setAdvisoryKey(publicKey) {
      await advisories.setKey(publicKey);
      // Entries never hold keys, not even public ones: the action and the time are the record.
      await audit('advisory.key', '', `new key (${publicKey.byteLength} bytes)`);
    },
    async publishAdvisory(signed) {
      await advisories.publish(signed);
      await audit('advisory.publish', '', `${signed.advisory.byteLength} bytes`);
    },
    listAdvisories: async () => (await advisories.current()).advisories,
    getAdvisoryKey: async () => (await advisories.current()).key,
    listIncidents: (status) => store.listIncidents(status, 200),
    getIncident: (id) => store.getIncident(id),
    resolveIncident: (id, verdict, note) => desk.resolve(id, verdict, note, actor),
    setRestricted: (username, restricted, reason) => desk.setRestricted(username, restricted, actor, reason),
    listAudit: (limit = 100) => store.listAudit(limit),
    close: () => store.close(),
  };
}

/** @module admin */
// Operator commands that work on the database directly (`sotto admin ...`
// on the server's machine), alongside a running server: SQLite in WAL mode
// lets both open it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock, type Clock } from './clock.js';
import { DATABASE_FILE } from './config.js';
import { ConfigError } from './errors.js';
import type { SignedAdvisory } from '@sotto/protocol';
import { AccountsService } from './services/accounts.js';
import { AdvisoryService } from './services/advisories.js';
import { SqliteStore } from './storage/sqlite/sqlite-store.js';
import { PostgresStore } from './storage/postgres/postgres-store.js';
import type { Store } from './storage/store.js';
import type { AccountRecord } from './storage/types.js';

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
  close(): Promise<void>;
}

/** Opens the server's database for operator commands: PostgreSQL when `options.db` is set, else SQLite in `dataDir`. */
export async function openAdmin(dataDir: string, options: { now?: Clock; db?: string } = {}): Promise<Admin> {
  let store: Store;
  if (options.db) {
    store = await PostgresStore.connect(options.db);
  } else {
    const path = join(dataDir, DATABASE_FILE);
    // Refuse rather than create: an invite written to a fresh database in a mistyped directory would never work.
    if (!existsSync(path)) throw new ConfigError(`No Sotto database at ${path}; check the data directory or start the server once.`);
    store = new SqliteStore({ path });
  }
  const accounts = new AccountsService(store, { inviteOnly: false, now: options.now ?? systemClock });
  const advisories = new AdvisoryService(store);
  return {
    createInvite: (ttlDays = DEFAULT_INVITE_TTL_DAYS) => accounts.createInvite(ttlDays),
    setMinVersion: (version) => accounts.setMinClientVersion(version),
    getMinVersion: async () => (await accounts.minClientVersion()) || undefined,
    setInviteOnly: (on) => accounts.setInviteOnly(on),
    listUsers: () => accounts.listAccounts(),
    setAdvisoryKey: (publicKey) => advisories.setKey(publicKey),
    publishAdvisory: (signed) => advisories.publish(signed),
    listAdvisories: async () => (await advisories.current()).advisories,
    getAdvisoryKey: async () => (await advisories.current()).key,
    close: () => store.close(),
  };
}

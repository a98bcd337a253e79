/**
 * @module storage/sqlite/account-queries
 * SqliteStore's accounts-and-devices statements: account lists, registration
 * (the account, its first device and the invite it uses up, in one write) and
 * invites. Device look-ups live in rows.ts, behind the routing cache.
 */
import { ErrorCode } from '@sotto/protocol';
import { ServerError, type NewAccount } from '../store.js';
import type { AccountRecord } from '../types.js';
import type { SqliteRows } from './rows.js';
import type { Statements } from './statements.js';

const ACCOUNT_COLUMNS = 'a.username, a.created_at, a.restricted, count(d.pk) AS devices';

interface AccountRow {
  username: string;
  created_at: number;
  restricted: number;
  devices: number;
}

const toAccount = (r: AccountRow): AccountRecord => ({ username: r.username, createdAt: r.created_at, devices: r.devices, restricted: r.restricted === 1 });

export function listAccounts(sql: Statements): AccountRecord[] {
  const rows = sql
    .prepare(`SELECT ${ACCOUNT_COLUMNS} FROM accounts a LEFT JOIN devices d ON d.account_id = a.id GROUP BY a.id ORDER BY a.username`)
    .all() as AccountRow[];
  return rows.map(toAccount);
}

export function getAccount(sql: Statements, username: string): AccountRecord | undefined {
  const row = sql
    .prepare(`SELECT ${ACCOUNT_COLUMNS} FROM accounts a LEFT JOIN devices d ON d.account_id = a.id WHERE a.username = ? GROUP BY a.id`)
    .get(username) as AccountRow | undefined;
  return row && toAccount(row);
}

export function createAccount(rows: SqliteRows, account: NewAccount): void {
  if (rows.accountId(account.username) !== undefined) throw new ServerError(ErrorCode.USERNAME_TAKEN);
  let invite: { code: string } | undefined;
  if (account.requireInvite) {
    invite = rows.sql
      .prepare('SELECT code FROM invites WHERE code = ? AND used_by IS NULL AND expires_at > ?')
      .get(account.inviteCode ?? '', account.now) as { code: string } | undefined;
    if (!invite) throw new ServerError(ErrorCode.INVITE_REQUIRED, 'This server needs a valid, unused invite code to register.');
  }
  const id = Number(rows.sql.prepare('INSERT INTO accounts (username, created_at) VALUES (?, ?)').run(account.username, account.now).lastInsertRowid);
  rows.sql
    .prepare('INSERT INTO devices (account_id, device_id, identity_key, created_at) VALUES (?, ?, ?, ?)')
    .run(id, account.deviceId, account.identityKey, account.now);
  if (invite) rows.sql.prepare('UPDATE invites SET used_by = ? WHERE code = ?').run(id, invite.code);
}

export function createInvite(sql: Statements, code: string, now: number, expiresAt: number): void {
  sql.prepare('INSERT INTO invites (code, created_at, expires_at) VALUES (?, ?, ?)').run(code, now, expiresAt);
}

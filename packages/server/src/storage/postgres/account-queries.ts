/**
 * @module storage/postgres/account-queries
 * PostgresStore's accounts-and-devices statements: account lists, registration
 * (the account, its first device and the invite it uses up, in the caller's
 * transaction, safe against a registration racing on another node) and
 * invites. Device look-ups live in queries.ts.
 */
import { ErrorCode } from '@sotto/protocol';
import { ServerError, type NewAccount } from '../store.js';
import type { AccountRecord } from '../types.js';
import { accountId } from './queries.js';
import { pgCode, type Sql } from './transaction.js';

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

export async function listAccounts(sql: Sql): Promise<AccountRecord[]> {
  return (await sql.query<AccountRow>(`${ACCOUNT_QUERY} GROUP BY a.id ORDER BY a.username`)).rows.map(toAccount);
}

export async function getAccount(sql: Sql, username: string): Promise<AccountRecord | undefined> {
  const row = (await sql.query<AccountRow>(`${ACCOUNT_QUERY} WHERE a.username = $1 GROUP BY a.id`, [username])).rows[0];
  return row && toAccount(row);
}

export async function createAccount(sql: Sql, account: NewAccount): Promise<void> {
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
}

export async function createInvite(sql: Sql, code: string, now: number, expiresAt: number): Promise<void> {
  await sql.query('INSERT INTO invites (code, created_at, expires_at) VALUES ($1, $2, $3)', [code, now, expiresAt]);
}

/**
 * @module storage/postgres/lockdown-queries
 * PostgresStore's statements for lockdown and contact links: the member's switch and refused count,
 * and the single-use link tokens (kept as hashes) that let a request through. Each runs on the Sql
 * it is given: a transaction's client, or the pool when the method is that one statement.
 */
import { ErrorCode } from '@sotto/protocol';
import { ServerError } from '../store.js';
import { CONTACT_LINKS_KEPT } from '../defence-records.js';
import type { LinkUse } from '../contact-rules.js';
import type { LockdownRecord } from '../types.js';
import type { Sql } from './transaction.js';

interface LockdownRow {
  lockdown: boolean;
  lockdown_refused: number;
}

function toLockdown(row: LockdownRow | undefined): LockdownRecord {
  if (!row) throw new ServerError(ErrorCode.UNKNOWN_ACCOUNT);
  return { enabled: row.lockdown, refused: row.lockdown_refused };
}

export async function getLockdown(sql: Sql, username: string): Promise<LockdownRecord> {
  return toLockdown((await sql.query<LockdownRow>('SELECT lockdown, lockdown_refused FROM accounts WHERE username = $1', [username])).rows[0]);
}

/** The count restarts only when lockdown goes from off to on: another device repeating "on" keeps it. */
export async function setLockdown(sql: Sql, username: string, enabled: boolean): Promise<LockdownRecord> {
  const result = await sql.query<LockdownRow>(
    `UPDATE accounts SET lockdown_refused = CASE WHEN NOT lockdown AND $1 THEN 0 ELSE lockdown_refused END, lockdown = $1
     WHERE username = $2 RETURNING lockdown, lockdown_refused`,
    [enabled, username],
  );
  return toLockdown(result.rows[0]);
}

export async function inLockdown(sql: Sql, accountId: string): Promise<boolean> {
  return (await sql.query<{ lockdown: boolean }>('SELECT lockdown FROM accounts WHERE id = $1', [accountId])).rows[0]?.lockdown === true;
}

/** One more request refused by the account's lockdown (none counted when lockdown is off). */
export async function countRefusal(sql: Sql, accountId: string): Promise<void> {
  await sql.query('UPDATE accounts SET lockdown_refused = lockdown_refused + 1 WHERE id = $1 AND lockdown', [accountId]);
}

/**
 * Keeps the link's hash, then drops the account's oldest links beyond CONTACT_LINKS_KEPT, never
 * the new one. The account row is locked first, so two links made at once on two nodes cannot both
 * miss each other and leave one too many. The store has no clock of its own for this, so
 * `created_at` is the wall clock: it only orders an account's links.
 */
export async function createContactLink(sql: Sql, username: string, tokenHash: Uint8Array, expiresAt: number): Promise<void> {
  const locked = await sql.query<{ id: string }>('SELECT id FROM accounts WHERE username = $1 FOR NO KEY UPDATE', [username]);
  const accountId = locked.rows[0]?.id;
  if (accountId === undefined) throw new ServerError(ErrorCode.UNKNOWN_ACCOUNT);
  await sql.query('INSERT INTO contact_links (account_id, token_hash, expires_at, created_at) VALUES ($1, $2, $3, $4)', [
    accountId,
    tokenHash,
    expiresAt,
    Date.now(),
  ]);
  await sql.query(
    `DELETE FROM contact_links WHERE account_id = $1 AND token_hash <> $2 AND token_hash NOT IN (
       SELECT token_hash FROM contact_links WHERE account_id = $1 AND token_hash <> $2
       ORDER BY created_at DESC, token_hash DESC LIMIT $3
     )`,
    [accountId, tokenHash, CONTACT_LINKS_KEPT - 1],
  );
}

/** Uses up the account's live link with this hash, if there is one; a second user of it waits here, then finds it gone. */
export async function useContactLink(sql: Sql, accountId: string, tokenHash: Uint8Array, now: number): Promise<LinkUse> {
  const used = await sql.query('DELETE FROM contact_links WHERE token_hash = $1 AND account_id = $2 AND expires_at > $3', [tokenHash, accountId, now]);
  return used.rowCount === 1 ? 'used' : 'invalid';
}

/** expire's share: links that expired before `now`. */
export async function expireContactLinks(sql: Sql, now: number): Promise<void> {
  await sql.query('DELETE FROM contact_links WHERE expires_at < $1', [now]);
}

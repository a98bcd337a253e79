/**
 * @module storage/sqlite/lockdown-queries
 * SqliteStore's statements for lockdown and contact links: the member's switch and refused count,
 * and the single-use link tokens (kept as hashes) that let a request through. Each function runs
 * inside the caller's transaction (or is a single read).
 */
import { ErrorCode } from '@sotto/protocol';
import { ServerError } from '../store.js';
import { CONTACT_LINKS_KEPT } from '../defence-records.js';
import type { LinkUse } from '../contact-rules.js';
import type { LockdownRecord } from '../types.js';
import type { Statements } from './statements.js';

type Db = Statements;

export function getLockdown(db: Db, username: string): LockdownRecord {
  const row = db.prepare('SELECT lockdown, lockdown_refused FROM accounts WHERE username = ?').get(username) as
    | { lockdown: number; lockdown_refused: number }
    | undefined;
  if (!row) throw new ServerError(ErrorCode.UNKNOWN_ACCOUNT);
  return { enabled: row.lockdown === 1, refused: row.lockdown_refused };
}

/** The count restarts only when lockdown goes from off to on: another device repeating "on" keeps it. */
export function setLockdown(db: Db, username: string, enabled: boolean): LockdownRecord {
  const on = enabled ? 1 : 0;
  const row = db
    .prepare(
      `UPDATE accounts SET lockdown_refused = CASE WHEN lockdown = 0 AND ? = 1 THEN 0 ELSE lockdown_refused END, lockdown = ?
       WHERE username = ? RETURNING lockdown, lockdown_refused`,
    )
    .get(on, on, username) as { lockdown: number; lockdown_refused: number } | undefined;
  if (!row) throw new ServerError(ErrorCode.UNKNOWN_ACCOUNT);
  return { enabled: row.lockdown === 1, refused: row.lockdown_refused };
}

export function inLockdown(db: Db, accountId: number): boolean {
  return (db.prepare('SELECT lockdown FROM accounts WHERE id = ?').get(accountId) as { lockdown: number } | undefined)?.lockdown === 1;
}

/** One more request refused by the account's lockdown (none counted when lockdown is off). */
export function countRefusal(db: Db, accountId: number): void {
  db.prepare('UPDATE accounts SET lockdown_refused = lockdown_refused + 1 WHERE id = ? AND lockdown = 1').run(accountId);
}

/**
 * Keeps the link's hash, then drops the account's oldest links beyond CONTACT_LINKS_KEPT, never
 * the new one. The store has no clock of its own for this, so `created_at` is the wall clock: it
 * only orders an account's links.
 */
export function createContactLink(db: Db, accountId: number, tokenHash: Uint8Array, expiresAt: number): void {
  db.prepare('INSERT INTO contact_links (account_id, token_hash, expires_at, created_at) VALUES (?, ?, ?, ?)').run(accountId, tokenHash, expiresAt, Date.now());
  db.prepare(
    `DELETE FROM contact_links WHERE account_id = ? AND token_hash <> ? AND token_hash NOT IN (
       SELECT token_hash FROM contact_links WHERE account_id = ? AND token_hash <> ?
       ORDER BY created_at DESC, token_hash DESC LIMIT ?
     )`,
  ).run(accountId, tokenHash, accountId, tokenHash, CONTACT_LINKS_KEPT - 1);
}

/** Uses up the account's live link with this hash, if there is one. */
export function useContactLink(db: Db, accountId: number, tokenHash: Uint8Array, now: number): LinkUse {
  const used = db.prepare('DELETE FROM contact_links WHERE token_hash = ? AND account_id = ? AND expires_at > ?').run(tokenHash, accountId, now).changes;
  return used === 1 ? 'used' : 'invalid';
}

/** expire's share: links that expired before `now`. */
export function expireContactLinks(db: Db, now: number): void {
  db.prepare('DELETE FROM contact_links WHERE expires_at < ?').run(now);
}

/**
 * @module storage/postgres/contact-queries
 * PostgresStore's contacts methods, reads and writes. What a request or an answer changes is
 * storage/contact-rules.ts's decision, shared with SQLite; this file reads the
 * facts (both rows, the link, lockdown) inside the store's transaction, with
 * the two accounts' rows locked, and writes the plan.
 */
import type { ContactAction, ContactState } from '@sotto/protocol';
import type { ContactRequestOptions } from '../store.js';
import type { ContactRecord, DeviceAddress, StoredMail } from '../types.js';
import {
  planContactRequest,
  planContactResponse,
  refuseContactRequest,
  type ContactOutcome,
  type ContactRequestFacts,
  type ContactWrite,
} from '../contact-rules.js';
import * as lockdown from './lockdown-queries.js';
import { deviceRows, mailTo, requireAccountId } from './queries.js';
import type { Sql } from './transaction.js';

/** Contacts matching `where` (over owner `o` and peer `p`), by the peer's name. */
export async function findContacts(sql: Sql, where: string, values: unknown[]): Promise<ContactRecord[]> {
  const result = await sql.query<{ owner: string; peer: string; state: number; text: string; updated_at: string; via_link: boolean }>(
    `SELECT o.username AS owner, p.username AS peer, c.state, c.text, c.updated_at, c.via_link
     FROM contacts c JOIN accounts o ON o.id = c.owner_id JOIN accounts p ON p.id = c.peer_id
     WHERE ${where} ORDER BY p.username`,
    values,
  );
  return result.rows.map((row) => ({
    owner: row.owner,
    peer: row.peer,
    state: row.state,
    text: row.text,
    updatedAt: Number(row.updated_at),
    viaLink: row.via_link,
  }));
}

/**
 * Whether `member` holds a contact row for `sender` (either of them asked), or the two accounts have
 * devices in one group.
 */
export async function hasReached(sql: Sql, sender: string, member: string): Promise<boolean> {
  const result = await sql.query<{ reached: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM contacts c JOIN accounts m ON m.id = c.owner_id JOIN accounts s ON s.id = c.peer_id
       WHERE m.username = $1 AND s.username = $2
     ) OR EXISTS (
       SELECT 1 FROM accounts m JOIN devices dm ON dm.account_id = m.id JOIN group_members gm ON gm.device_pk = dm.pk
       JOIN group_members gs ON gs.group_id = gm.group_id JOIN devices ds ON ds.pk = gs.device_pk JOIN accounts s ON s.id = ds.account_id
       WHERE m.username = $1 AND s.username = $2
     ) AS reached`,
    [member, sender],
  );
  return result.rows[0]?.reached === true;
}

/**
 * Locks two accounts' rows (in id order, so two requests between the same
 * pair cannot deadlock) to make a contact exchange between them serial.
 */
async function lockAccountPair(sql: Sql, a: string, b: string): Promise<void> {
  await sql.query('SELECT id FROM accounts WHERE id IN ($1, $2) ORDER BY id FOR NO KEY UPDATE', [a, b]);
}

async function contactRow(sql: Sql, ownerId: string, peerId: string): Promise<{ state: ContactState; via_link: boolean } | undefined> {
  const result = await sql.query<{ state: number; via_link: boolean }>('SELECT state, via_link FROM contacts WHERE owner_id = $1 AND peer_id = $2', [
    ownerId,
    peerId,
  ]);
  return result.rows[0];
}

async function contactState(sql: Sql, ownerId: string, peerId: string): Promise<ContactState | undefined> {
  return (await contactRow(sql, ownerId, peerId))?.state;
}

/** Writes a contact plan's rows, `mine` being `actorId`'s view of `otherId`. */
async function writeContacts(sql: Sql, writes: readonly ContactWrite[], actorId: string, otherId: string, now: number): Promise<void> {
  for (const w of writes) {
    const [owner, peer] = w.side === 'mine' ? [actorId, otherId] : [otherId, actorId];
    // A write without viaLink keeps the row's flag (NULL leaves it, and a new row starts false).
    await sql.query(
      `INSERT INTO contacts (owner_id, peer_id, state, text, updated_at, via_link) VALUES ($1, $2, $3, $4, $5, coalesce($6::boolean, FALSE))
       ON CONFLICT (owner_id, peer_id) DO UPDATE SET state = excluded.state, text = excluded.text, updated_at = excluded.updated_at,
         via_link = coalesce($6::boolean, contacts.via_link)`,
      [owner, peer, w.state, w.text, now, w.viaLink ?? null],
    );
  }
}

/** The transaction's outcome; the store throws a refusal only once its count was committed. */
export async function putContactRequest(
  sql: Sql,
  from: DeviceAddress,
  to: string,
  text: string,
  now: number,
  options: ContactRequestOptions,
): Promise<ContactOutcome> {
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
    link: token !== undefined && token.length > 0 ? await lockdown.useContactLink(sql, toId, token, now) : 'none',
    lockdown: await lockdown.inLockdown(sql, toId),
  };
  const refusal = refuseContactRequest(facts);
  if (refusal) {
    // Nothing else was written; the count commits with this transaction, then the refusal is thrown.
    if (refusal.counted) await lockdown.countRefusal(sql, toId);
    return { refused: refusal.error };
  }
  const plan = planContactRequest(from, text, options.call === true, facts.link === 'used', facts);
  await writeContacts(sql, plan.writes, fromId, toId, now);
  if (!plan.mail) return { stored: { storedAt: now, duplicate: plan.duplicate, recipients: [] } };
  return { stored: await mailTo(sql, await deviceRows(sql, to), plan.mail, now) };
}

export async function respondToContact(sql: Sql, owner: DeviceAddress, peer: string, action: ContactAction, now: number): Promise<StoredMail> {
  const ownerId = await requireAccountId(sql, owner.username);
  const peerId = await requireAccountId(sql, peer);
  await lockAccountPair(sql, ownerId, peerId);
  const plan = planContactResponse(owner, action, await contactState(sql, ownerId, peerId), await contactState(sql, peerId, ownerId));
  await writeContacts(sql, plan.writes, ownerId, peerId, now);
  if (!plan.mail) return { storedAt: now, duplicate: plan.duplicate, recipients: [] };
  return mailTo(sql, await deviceRows(sql, peer), plan.mail, now);
}

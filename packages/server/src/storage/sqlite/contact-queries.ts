/**
 * @module storage/sqlite/contact-queries
 * SqliteStore's contacts methods: the reads, and the writes, each run inside the store's group
 * commit. What a request or an answer changes is storage/contact-rules.ts's decision, shared with
 * PostgreSQL; this file reads the facts (both rows, the link, lockdown) and writes the plan.
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
import type { SqliteRows } from './rows.js';
import type { Statements } from './statements.js';

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

export function getContact(sql: Statements, owner: string, peer: string): ContactRecord | undefined {
  const row = sql
    .prepare(
      `SELECT ${CONTACT_COLUMNS}
       FROM contacts c JOIN accounts o ON o.id = c.owner_id JOIN accounts p ON p.id = c.peer_id
       WHERE o.username = ? AND p.username = ?`,
    )
    .get(owner, peer) as ContactRow | undefined;
  return row && toContact(row);
}

export function listContacts(sql: Statements, owner: string): ContactRecord[] {
  const rows = sql
    .prepare(
      `SELECT ${CONTACT_COLUMNS}
       FROM contacts c JOIN accounts o ON o.id = c.owner_id JOIN accounts p ON p.id = c.peer_id
       WHERE o.username = ? ORDER BY p.username`,
    )
    .all(owner) as ContactRow[];
  return rows.map(toContact);
}

/**
 * Whether `member` holds a contact row for `sender` (either of them asked), or the two accounts have
 * devices in one group.
 */
export function hasReached(sql: Statements, sender: string, member: string): boolean {
  const row = sql
    .prepare(
      `SELECT EXISTS (
         SELECT 1 FROM contacts c JOIN accounts m ON m.id = c.owner_id JOIN accounts s ON s.id = c.peer_id
         WHERE m.username = ? AND s.username = ?
       ) OR EXISTS (
         SELECT 1 FROM accounts m JOIN devices dm ON dm.account_id = m.id JOIN group_members gm ON gm.device_pk = dm.pk
         JOIN group_members gs ON gs.group_id = gm.group_id JOIN devices ds ON ds.pk = gs.device_pk JOIN accounts s ON s.id = ds.account_id
         WHERE m.username = ? AND s.username = ?
       ) AS reached`,
    )
    .get(member, sender, member, sender) as { reached: number };
  return row.reached === 1;
}

function contactRow(sql: Statements, ownerId: number, peerId: number): { state: ContactState; via_link: number } | undefined {
  return sql.prepare('SELECT state, via_link FROM contacts WHERE owner_id = ? AND peer_id = ?').get(ownerId, peerId) as
    | { state: number; via_link: number }
    | undefined;
}

/** Writes the plan's rows, `mine` being `actorId`'s view of `otherId`. */
function writeContacts(sql: Statements, writes: readonly ContactWrite[], actorId: number, otherId: number, now: number): void {
  // A write without viaLink keeps the row's flag (NULL leaves it, and a new row starts false).
  const upsert = sql.prepare(
    `INSERT INTO contacts (owner_id, peer_id, state, text, updated_at, via_link) VALUES (@owner, @peer, @state, @text, @now, coalesce(@via, 0))
     ON CONFLICT (owner_id, peer_id) DO UPDATE SET state = excluded.state, text = excluded.text, updated_at = excluded.updated_at,
       via_link = coalesce(@via, contacts.via_link)`,
  );
  for (const w of writes) {
    const [owner, peer] = w.side === 'mine' ? [actorId, otherId] : [otherId, actorId];
    upsert.run({ owner, peer, state: w.state, text: w.text, now, via: w.viaLink === undefined ? null : w.viaLink ? 1 : 0 });
  }
}

/** The transaction's outcome; the store throws a refusal only once its count was committed. */
export function putContactRequest(
  rows: SqliteRows,
  from: DeviceAddress,
  to: string,
  text: string,
  now: number,
  options: ContactRequestOptions,
): ContactOutcome {
  const fromId = rows.requireAccountId(from.username);
  const toId = rows.requireAccountId(to);
  const theirs = contactRow(rows.sql, toId, fromId);
  const token = options.linkTokenHash;
  const facts: ContactRequestFacts = {
    mine: contactRow(rows.sql, fromId, toId)?.state,
    theirs: theirs?.state,
    theirsViaLink: theirs?.via_link === 1,
    // A valid link is used up whatever follows, so a blocked requester cannot tell from a reuse.
    link: token !== undefined && token.length > 0 ? lockdown.useContactLink(rows.sql, toId, token, now) : 'none',
    lockdown: lockdown.inLockdown(rows.sql, toId),
  };
  const refusal = refuseContactRequest(facts);
  if (refusal) {
    // Nothing else was written; the count commits with this transaction, then the refusal is thrown.
    if (refusal.counted) lockdown.countRefusal(rows.sql, toId);
    return { refused: refusal.error };
  }
  const plan = planContactRequest(from, text, options.call === true, facts.link === 'used', facts);
  writeContacts(rows.sql, plan.writes, fromId, toId, now);
  if (!plan.mail) return { stored: { storedAt: now, duplicate: plan.duplicate, recipients: [] } };
  return { stored: rows.mailToDevices(rows.deviceRows(to), plan.mail, now) };
}

export function respondToContact(rows: SqliteRows, owner: DeviceAddress, peer: string, action: ContactAction, now: number): StoredMail {
  const ownerId = rows.requireAccountId(owner.username);
  const peerId = rows.requireAccountId(peer);
  const plan = planContactResponse(owner, action, contactRow(rows.sql, ownerId, peerId)?.state, contactRow(rows.sql, peerId, ownerId)?.state);
  writeContacts(rows.sql, plan.writes, ownerId, peerId, now);
  if (!plan.mail) return { storedAt: now, duplicate: plan.duplicate, recipients: [] };
  return rows.mailToDevices(rows.deviceRows(peer), plan.mail, now);
}

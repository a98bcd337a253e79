/**
 * @module sqlite-client-store
 * The Node client's store: one SQLite file per profile (better-sqlite3, WAL).
 * `apply` writes a whole batch in one transaction, which is what makes the
 * engine's "process, store, then acknowledge" exactly-once.
 * The file holds private keys and MLS secrets: it is created mode 0600.
 */
import Database from 'better-sqlite3';
import { chmodSync, existsSync } from 'node:fs';
import type {
  ClientStore,
  ClientWriteBatch,
  MessageReaction,
  MessageStatus,
  OutboxEntry,
  PinnedDevice,
  StoredContact,
  StoredConversation,
  StoredIdentity,
  StoredKeyPackage,
  StoredMessage,
  StoredCallLogEntry,
  ClientSettings,
} from '@sotto/core';
import { applyMessageChange, isStatusAdvance, parseClientSettings } from '@sotto/core';
import { migrateClientDb, refuseNewerProfile } from './migrate.js';

// The runner moved to migrate.ts; its names stay importable from here, as from the package.
export { migrateClientDb, ProfileRefusedError } from './migrate.js';

interface ContactRow {
  username: string;
  state: number;
  text: string;
  updated_at: number;
  via_link: number;
}

function toContact(row: ContactRow): StoredContact {
  return { username: row.username, state: row.state, text: row.text, updatedAt: row.updated_at, ...(row.via_link === 1 ? { viaLink: true } : {}) };
}

const bytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** Read with safeIntegers: an epoch is a uint64, and a JS number would round it past 2^53. */
interface ConversationRow {
  group_id: string;
  kind: 'direct' | 'group';
  name: string;
  state: Buffer;
  epoch: bigint;
  created_at: bigint;
  active: bigint;
  pending_kind: 'create' | 'commit' | null;
  pending_state: Buffer | null;
  pending_request: Buffer | null;
}

interface MessageRow {
  message_id: string;
  group_id: string;
  sender: string;
  sender_device: string;
  body: string;
  sent_at: number;
  received_at: number;
  outgoing: number;
  status: MessageStatus;
  attachment: Uint8Array | null;
  reply_to: string | null;
  forwarded: number;
  edited_at: number | null;
  deleted_at: number | null;
  reactions: string | null;
  notice: string | null;
  expires_at: number | null;
}

export class SqliteClientStore implements ClientStore {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    try {
      // Before WAL mode is set: a newer sotto's profile is refused with nothing written to it.
      refuseNewerProfile(this.db);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      migrateClientDb(this.db);
    } catch (error) {
      this.db.close();
      throw error;
    }
    if (path !== ':memory:') {
      // Keys and MLS secrets live here and in the WAL: owner-only, every time.
      for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
    }
  }

  async getIdentity(): Promise<StoredIdentity | undefined> {
    const row = this.db.prepare('SELECT * FROM identity WHERE id = 1').get() as
      | { server_url: string; username: string; device_id: string; public_key: Buffer; sign_key: Buffer; created_at: number }
      | undefined;
    return (
      row && {
        serverUrl: row.server_url,
        username: row.username,
        deviceId: row.device_id,
        publicKey: bytes(row.public_key),
        signKey: bytes(row.sign_key),
        createdAt: row.created_at,
      }
    );
  }

  async getConversation(groupId: string): Promise<StoredConversation | undefined> {
    const row = this.db.prepare('SELECT * FROM conversations WHERE group_id = ?').safeIntegers().get(groupId) as ConversationRow | undefined;
    return row && toConversation(row);
  }

  async listConversations(): Promise<StoredConversation[]> {
    return (this.db.prepare('SELECT * FROM conversations ORDER BY created_at').safeIntegers().all() as ConversationRow[]).map(toConversation);
  }

  async getMessage(messageId: string): Promise<StoredMessage | undefined> {
    const row = this.db.prepare('SELECT * FROM messages WHERE message_id = ?').get(messageId) as MessageRow | undefined;
    return row && toMessage(row);
  }

  async listMessages(groupId: string, limit: number): Promise<StoredMessage[]> {
    const rows = this.db
      .prepare('SELECT * FROM (SELECT * FROM messages WHERE group_id = ? ORDER BY position DESC LIMIT ?) ORDER BY position')
      .all(groupId, limit) as MessageRow[];
    return rows.map(toMessage);
  }

  async listExpiredMessages(time: number, limit: number): Promise<string[]> {
    const rows = this.db.prepare('SELECT message_id FROM messages WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at LIMIT ?').all(time, limit) as { message_id: string }[];
    return rows.map((r) => r.message_id);
  }

  async nextExpiry(): Promise<number | undefined> {
    const row = this.db.prepare('SELECT min(expires_at) AS next FROM messages WHERE expires_at IS NOT NULL').get() as { next: number | null };
    return row.next ?? undefined;
  }

  async getContact(username: string): Promise<StoredContact | undefined> {
    const row = this.db.prepare('SELECT * FROM contacts WHERE username = ?').get(username) as ContactRow | undefined;
    return row && toContact(row);
  }

  async listContacts(): Promise<StoredContact[]> {
    const rows = this.db.prepare('SELECT * FROM contacts ORDER BY username').all() as ContactRow[];
    return rows.map(toContact);
  }

  async listOutbox(): Promise<OutboxEntry[]> {
    const rows = this.db.prepare('SELECT * FROM outbox ORDER BY position').all() as {
      message_id: string;
      group_id: string;
      payload: Buffer;
      created_at: number;
      expires_at: number | null;
    }[];
    return rows.map((r) => ({ messageId: r.message_id, groupId: r.group_id, payload: bytes(r.payload), createdAt: r.created_at, ...(r.expires_at !== null ? { expiresAt: r.expires_at } : {}) }));
  }

  async getKeyPackage(ref: string): Promise<StoredKeyPackage | undefined> {
    const row = this.db.prepare('SELECT * FROM key_packages WHERE ref = ?').get(ref) as
      | { ref: string; public_package: Buffer; init_private_key: Buffer; hpke_private_key: Buffer; signature_private_key: Buffer; last_resort: number }
      | undefined;
    return (
      row && {
        ref: row.ref,
        publicPackage: bytes(row.public_package),
        initPrivateKey: bytes(row.init_private_key),
        hpkePrivateKey: bytes(row.hpke_private_key),
        signaturePrivateKey: bytes(row.signature_private_key),
        lastResort: row.last_resort === 1,
      }
    );
  }

  async countLastResortKeyPackages(): Promise<number> {
    return (this.db.prepare('SELECT count(*) AS n FROM key_packages WHERE last_resort = 1').get() as { n: number }).n;
  }

  async listPins(username: string): Promise<PinnedDevice[]> {
    const rows = this.db.prepare('SELECT * FROM pins WHERE username = ? ORDER BY device_id').all(username) as {
      username: string;
      device_id: string;
      identity_key: Buffer;
    }[];
    return rows.map((r) => ({ username: r.username, deviceId: r.device_id, identityKey: bytes(r.identity_key) }));
  }

  async getLastSeq(): Promise<bigint> {
    return (this.db.prepare('SELECT last_seq FROM cursor WHERE id = 1').safeIntegers().get() as { last_seq: bigint }).last_seq;
  }

  async listCallLog(limit: number): Promise<StoredCallLogEntry[]> {
    const rows = this.db
      .prepare('SELECT call_id, peer, direction, outcome, duration_ms, ended_at FROM call_log ORDER BY position DESC LIMIT ?')
      .all(limit) as { call_id: string; peer: string; direction: StoredCallLogEntry['direction']; outcome: StoredCallLogEntry['outcome']; duration_ms: number; ended_at: number }[];
    return rows.reverse().map((r) => ({ callId: r.call_id, peer: r.peer, direction: r.direction, outcome: r.outcome, durationMs: r.duration_ms, endedAt: r.ended_at }));
  }

  async getSettings(): Promise<ClientSettings> {
    const rows = this.db.prepare('SELECT key, value FROM settings').all() as { key: string; value: string }[];
    return parseClientSettings(Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown])));
  }


  async apply(batch: ClientWriteBatch): Promise<void> {
    this.db.transaction(() => this.write(batch)).immediate();
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private write(batch: ClientWriteBatch): void {
    const db = this.db;
    if (batch.identity) {
      const i = batch.identity;
      db.prepare(
        `INSERT INTO identity (id, server_url, username, device_id, public_key, sign_key, created_at) VALUES (1, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET server_url = excluded.server_url, username = excluded.username, device_id = excluded.device_id,
           public_key = excluded.public_key, sign_key = excluded.sign_key, created_at = excluded.created_at`,
      ).run(i.serverUrl, i.username, i.deviceId, i.publicKey, i.signKey, i.createdAt);
    }
    for (const k of batch.keyPackagesAdd ?? []) {
      db.prepare(
        'INSERT OR REPLACE INTO key_packages (ref, public_package, init_private_key, hpke_private_key, signature_private_key, last_resort) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(k.ref, k.publicPackage, k.initPrivateKey, k.hpkePrivateKey, k.signaturePrivateKey, k.lastResort ? 1 : 0);
    }
    for (const ref of batch.keyPackagesRemove ?? []) db.prepare('DELETE FROM key_packages WHERE ref = ?').run(ref);
    for (const c of batch.conversations ?? []) {
      db.prepare(
        `INSERT INTO conversations (group_id, kind, name, state, epoch, created_at, active, pending_kind, pending_state, pending_request)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (group_id) DO UPDATE SET kind = excluded.kind, name = excluded.name, state = excluded.state,
           epoch = excluded.epoch, active = excluded.active, pending_kind = excluded.pending_kind,
           pending_state = excluded.pending_state, pending_request = excluded.pending_request`,
      ).run(c.groupId, c.kind, c.name, c.state, c.epoch, c.createdAt, c.active ? 1 : 0, c.pending?.kind ?? null, c.pending?.state ?? null, c.pending?.request ?? null);
    }
    for (const m of batch.messages ?? []) {
      db.prepare(
        `INSERT OR IGNORE INTO messages (message_id, group_id, sender, sender_device, body, sent_at, received_at, outgoing, status, attachment,
           reply_to, forwarded, edited_at, deleted_at, reactions, notice, expires_at, position)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT coalesce(max(position), 0) + 1 FROM messages))`,
      ).run(m.messageId, m.groupId, m.sender, m.senderDevice, m.body, m.sentAt, m.receivedAt, m.outgoing ? 1 : 0, m.status, m.attachment ?? null,
        m.replyTo ?? null, m.forwarded ? 1 : 0, m.editedAt ?? null, m.deletedAt ?? null, m.reactions ? JSON.stringify(m.reactions) : null, m.notice ?? null, m.expiresAt ?? null);
    }
    for (const s of batch.statuses ?? []) {
      // Statuses only move forward (isStatusAdvance).
      const row = db.prepare('SELECT status FROM messages WHERE message_id = ?').get(s.messageId) as { status: MessageStatus } | undefined;
      if (row && isStatusAdvance(row.status, s.status)) db.prepare('UPDATE messages SET status = ? WHERE message_id = ?').run(s.status, s.messageId);
    }
    // The same rule as every store (core's applyMessageChange): read, change, write back.
    for (const change of batch.messageChanges ?? []) {
      const row = db.prepare('SELECT * FROM messages WHERE message_id = ?').get(change.messageId) as MessageRow | undefined;
      if (!row) continue;
      const m = applyMessageChange(toMessage(row), change);
      db.prepare('UPDATE messages SET body = ?, attachment = ?, reply_to = ?, edited_at = ?, deleted_at = ?, reactions = ? WHERE message_id = ?')
        .run(m.body, m.attachment ?? null, m.replyTo ?? null, m.editedAt ?? null, m.deletedAt ?? null, m.reactions ? JSON.stringify(m.reactions) : null, m.messageId);
    }
    for (const id of batch.messagesDelete ?? []) db.prepare('DELETE FROM messages WHERE message_id = ?').run(id);
    for (const c of batch.contacts ?? []) {
      db.prepare(
        `INSERT INTO contacts (username, state, text, updated_at, via_link) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (username) DO UPDATE SET state = excluded.state, text = excluded.text, updated_at = excluded.updated_at, via_link = excluded.via_link`,
      ).run(c.username, c.state, c.text, c.updatedAt, c.viaLink === true ? 1 : 0);
    }
    for (const o of batch.outboxAdd ?? []) {
      db.prepare('INSERT OR IGNORE INTO outbox (message_id, group_id, payload, created_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(o.messageId, o.groupId, o.payload, o.createdAt, o.expiresAt ?? null);
    }
    for (const id of batch.outboxRemove ?? []) db.prepare('DELETE FROM outbox WHERE message_id = ?').run(id);
    for (const p of batch.pins ?? []) {
      db.prepare('INSERT OR IGNORE INTO pins (username, device_id, identity_key) VALUES (?, ?, ?)').run(p.username, p.deviceId, p.identityKey);
    }
    if (batch.lastSeq !== undefined) {
      db.prepare('UPDATE cursor SET last_seq = max(last_seq, ?) WHERE id = 1').run(batch.lastSeq);
    }
    for (const e of batch.callLog ?? []) {
      db.prepare('INSERT OR IGNORE INTO call_log (call_id, peer, direction, outcome, duration_ms, ended_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(e.callId, e.peer, e.direction, e.outcome, e.durationMs, e.endedAt);
    }
    for (const [key, value] of Object.entries(batch.settings ?? {})) {
      db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value));
    }
  }
}

function toConversation(row: ConversationRow): StoredConversation {
  return {
    groupId: row.group_id,
    kind: row.kind,
    name: row.name,
    state: bytes(row.state),
    epoch: row.epoch,
    createdAt: Number(row.created_at),
    active: row.active === 1n,
    pending:
      row.pending_kind && row.pending_state && row.pending_request
        ? { kind: row.pending_kind, state: bytes(row.pending_state), request: bytes(row.pending_request) }
        : undefined,
  };
}

function toMessage(row: MessageRow): StoredMessage {
  return {
    messageId: row.message_id,
    groupId: row.group_id,
    sender: row.sender,
    senderDevice: row.sender_device,
    body: row.body,
    sentAt: row.sent_at,
    receivedAt: row.received_at,
    outgoing: row.outgoing === 1,
    status: row.status,
    ...(row.attachment ? { attachment: new Uint8Array(row.attachment) } : {}),
    ...(row.reply_to !== null ? { replyTo: row.reply_to } : {}),
    ...(row.forwarded === 1 ? { forwarded: true } : {}),
    ...(row.edited_at !== null ? { editedAt: row.edited_at } : {}),
    ...(row.deleted_at !== null ? { deletedAt: row.deleted_at } : {}),
    ...(row.reactions !== null ? { reactions: JSON.parse(row.reactions) as MessageReaction[] } : {}),
    ...(isNotice(row.notice) ? { notice: row.notice } : {}),
    ...(row.expires_at !== null ? { expiresAt: row.expires_at } : {}),
  };
}

const NOTICES: ReadonlySet<string> = new Set<NonNullable<StoredMessage['notice']>>(['devices', 'timer', 'group', 'contact', 'call-joined', 'call-left']);

function isNotice(value: string | null): value is NonNullable<StoredMessage['notice']> {
  return value !== null && NOTICES.has(value);
}

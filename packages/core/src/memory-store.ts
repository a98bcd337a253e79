/**
 * @module memory-store
 * A ClientStore in memory: for tests, and for clients that keep nothing
 * (a bot that starts fresh). Same semantics as the SQLite and IndexedDB
 * stores (the contract in testing/client-store-contract.ts checks it),
 * batches included.
 */
import type {
  ClientStore,
  ClientWriteBatch,
  OutboxEntry,
  PinnedDevice,
  StoredContact,
  StoredConversation,
  StoredIdentity,
  StoredKeyPackage,
  StoredMessage,
  ClientSettings,
  StoredCallLogEntry,
} from './ports.js';
import { DEFAULT_CLIENT_SETTINGS } from './ports.js';
import { applyMessageChange } from './message-change.js';
import { isStatusAdvance } from './message-status.js';

/**
 * The store's own copy of a value. Written and returned values are copied, as
 * a database would, so a caller that later reuses or wipes an array cannot
 * change what is stored.
 */
const own = <T>(value: T): T => structuredClone(value);

/** By UTF-16 code unit, as SQLite's BINARY collation and IndexedDB keys order them, whatever the locale. */
const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The last `limit` items; `slice(-0)` would return them all. */
const lastOf = <T>(items: T[], limit: number): T[] => (limit > 0 ? items.slice(-limit) : []);

const RECORD_LISTS = ['conversations', 'messages', 'statuses', 'messageChanges', 'contacts', 'outboxAdd', 'keyPackagesAdd', 'pins', 'callLog'] as const;
const ID_LISTS = ['outboxRemove', 'keyPackagesRemove', 'messagesDelete'] as const;

/**
 * Copies the batch and checks its shape. Everything in `apply` that can throw
 * happens here, before the first write, so a bad batch changes nothing: the
 * all-or-nothing that SQLite's transaction gives the other store.
 */
function ownBatch(batch: ClientWriteBatch): ClientWriteBatch {
  const copy = own(batch);
  for (const list of [...RECORD_LISTS, ...ID_LISTS]) {
    const entries: unknown = copy[list];
    if (entries !== undefined && !Array.isArray(entries)) throw new TypeError(`a write batch's ${list} is not a list`);
  }
  for (const list of RECORD_LISTS) {
    for (const entry of copy[list] ?? []) {
      if (typeof entry !== 'object' || entry === null) throw new TypeError(`malformed ${list} entry in a write batch`);
    }
  }
  return copy;
}

export class MemoryClientStore implements ClientStore {
  private identity: StoredIdentity | undefined;
  private readonly conversations = new Map<string, StoredConversation>();
  private readonly messages = new Map<string, StoredMessage>();
  private readonly contacts = new Map<string, StoredContact>();
  private readonly outbox = new Map<string, OutboxEntry>();
  private readonly keyPackages = new Map<string, StoredKeyPackage>();
  private readonly pins: PinnedDevice[] = [];
  private lastSeq = 0n;
  private readonly callLog: StoredCallLogEntry[] = [];
  private settings: ClientSettings = DEFAULT_CLIENT_SETTINGS;

  async getIdentity() { return own(this.identity); }
  async getConversation(groupId: string) { return own(this.conversations.get(groupId)); }
  async listConversations() { return own([...this.conversations.values()].sort((a, b) => a.createdAt - b.createdAt)); }
  async getMessage(messageId: string) { return own(this.messages.get(messageId)); }
  async listMessages(groupId: string, limit: number) { return own(lastOf([...this.messages.values()].filter((m) => m.groupId === groupId), limit)); }
  async listExpiredMessages(time: number, limit: number) {
    return [...this.messages.values()].filter((m) => m.expiresAt !== undefined && m.expiresAt <= time).sort((a, b) => a.expiresAt! - b.expiresAt!).slice(0, limit).map((m) => m.messageId);
  }
  async nextExpiry() {
    const times = [...this.messages.values()].flatMap((m) => (m.expiresAt === undefined ? [] : [m.expiresAt]));
    return times.length === 0 ? undefined : Math.min(...times);
  }
  async getContact(username: string) { return own(this.contacts.get(username)); }
  async listContacts() { return own([...this.contacts.values()].sort((a, b) => byCodeUnit(a.username, b.username))); }
  async listOutbox() { return own([...this.outbox.values()]); }
  async getKeyPackage(ref: string) { return own(this.keyPackages.get(ref)); }
  async countLastResortKeyPackages() { return [...this.keyPackages.values()].filter((k) => k.lastResort).length; }
  async listPins(username: string) { return own(this.pins.filter((p) => p.username === username).sort((a, b) => byCodeUnit(a.deviceId, b.deviceId))); }
  async getLastSeq() { return this.lastSeq; }
  async listCallLog(limit: number) { return own(lastOf(this.callLog, limit)); }
  async getSettings() { return own(this.settings); }
  async close() {}

  async apply(unchecked: ClientWriteBatch): Promise<void> {
    const batch = ownBatch(unchecked);
    // From here on nothing throws: only map and array writes of checked values.
    if (batch.identity) this.identity = batch.identity;
    for (const k of batch.keyPackagesAdd ?? []) this.keyPackages.set(k.ref, k);
    for (const ref of batch.keyPackagesRemove ?? []) this.keyPackages.delete(ref);
    for (const c of batch.conversations ?? []) {
      const existing = this.conversations.get(c.groupId);
      this.conversations.set(c.groupId, existing ? { ...c, createdAt: existing.createdAt } : c);
    }
    for (const m of batch.messages ?? []) if (!this.messages.has(m.messageId)) this.messages.set(m.messageId, m);
    for (const s of batch.statuses ?? []) {
      const m = this.messages.get(s.messageId);
      if (m && isStatusAdvance(m.status, s.status)) this.messages.set(s.messageId, { ...m, status: s.status });
    }
    for (const change of batch.messageChanges ?? []) {
      const m = this.messages.get(change.messageId);
      if (m) this.messages.set(change.messageId, applyMessageChange(m, change));
    }
    for (const id of batch.messagesDelete ?? []) this.messages.delete(id);
    for (const c of batch.contacts ?? []) this.contacts.set(c.username, c);
    for (const o of batch.outboxAdd ?? []) if (!this.outbox.has(o.messageId)) this.outbox.set(o.messageId, o);
    for (const id of batch.outboxRemove ?? []) this.outbox.delete(id);
    for (const p of batch.pins ?? []) if (!this.pins.some((x) => x.username === p.username && x.deviceId === p.deviceId)) this.pins.push(p);
    if (batch.lastSeq !== undefined && batch.lastSeq > this.lastSeq) this.lastSeq = batch.lastSeq;
    for (const e of batch.callLog ?? []) {
      if (!this.callLog.some((x) => x.callId === e.callId && x.direction === e.direction)) this.callLog.push(e);
    }
    if (batch.settings) this.settings = { ...this.settings, ...batch.settings };
  }
}

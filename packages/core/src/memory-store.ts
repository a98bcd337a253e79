/**
 * @module memory-store
 * A ClientStore in memory: for tests, and for clients that keep nothing
 * (a bot that starts fresh). Same semantics as the SQLite store, batches included.
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
import { isStatusAdvance } from './message-status.js';

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

  async getIdentity() { return this.identity; }
  async getConversation(groupId: string) { return this.conversations.get(groupId); }
  async listConversations() { return [...this.conversations.values()].sort((a, b) => a.createdAt - b.createdAt); }
  async getMessage(messageId: string) { return this.messages.get(messageId); }
  async listMessages(groupId: string, limit: number) { return [...this.messages.values()].filter((m) => m.groupId === groupId).slice(-limit); }
  async getContact(username: string) { return this.contacts.get(username); }
  async listContacts() { return [...this.contacts.values()].sort((a, b) => a.username.localeCompare(b.username)); }
  async listOutbox() { return [...this.outbox.values()]; }
  async getKeyPackage(ref: string) { return this.keyPackages.get(ref); }
  async countLastResortKeyPackages() { return [...this.keyPackages.values()].filter((k) => k.lastResort).length; }
  async listPins(username: string) { return this.pins.filter((p) => p.username === username); }
  async getLastSeq() { return this.lastSeq; }
  async listCallLog(limit: number) { return this.callLog.slice(-limit); }
  async getSettings() { return this.settings; }
  async close() {}

  async apply(batch: ClientWriteBatch): Promise<void> {
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

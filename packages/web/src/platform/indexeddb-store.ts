/**
 * @module platform/indexeddb-store
 * The browser's ClientStore: one IndexedDB database per profile, raw API.
 * `apply` writes a whole batch in one readwrite transaction, which is what
 * makes the engine's "process, store, then acknowledge" exactly-once.
 *
 * IndexedDB commits a transaction as soon as no request is pending, so
 * `apply` never awaits anything but its own requests: each write step that
 * needs a read (insert-once, status advance, first createdAt) issues the read
 * and writes from its success callback, and the next step starts from there.
 */
import type {
  ClientSettings,
  ClientStore,
  ClientWriteBatch,
  OutboxEntry,
  PinnedDevice,
  StoredCallLogEntry,
  StoredContact,
  StoredConversation,
  StoredIdentity,
  StoredKeyPackage,
  StoredMessage,
} from '@sotto/core';
import { applyMessageChange, isStatusAdvance, parseClientSettings } from '@sotto/core';

type StoreName = 'singletons' | 'conversations' | 'messages' | 'contacts' | 'outbox' | 'keyPackages' | 'pins' | 'callLog';

/** Keys in the `singletons` store, which holds one record each. */
const IDENTITY = 'identity';
const LAST_SEQ = 'lastSeq';
const SETTINGS = 'settings';

/**
 * Numbered migrations: MIGRATIONS[n] takes the schema from version n to n + 1.
 * Records in the position-keyed stores get an auto-incremented `position`, so
 * listing by key is listing in insertion order, as the SQLite store does.
 */
const MIGRATIONS: ((db: IDBDatabase, tx: IDBTransaction) => void)[] = [
  function initial(db) {
    db.createObjectStore('singletons');
    db.createObjectStore('conversations', { keyPath: 'groupId' }).createIndex('byCreatedAt', 'createdAt');
    const messages = db.createObjectStore('messages', { keyPath: 'position', autoIncrement: true });
    messages.createIndex('byMessageId', 'messageId', { unique: true });
    // Entries with the same index key are ordered by primary key: a group's messages come in insertion order.
    messages.createIndex('byGroup', 'groupId');
    db.createObjectStore('contacts', { keyPath: 'username' });
    db.createObjectStore('outbox', { keyPath: 'position', autoIncrement: true }).createIndex('byMessageId', 'messageId', { unique: true });
    db.createObjectStore('keyPackages', { keyPath: 'ref' });
    db.createObjectStore('pins', { keyPath: ['username', 'deviceId'] }).createIndex('byUsername', 'username');
    db.createObjectStore('callLog', { keyPath: 'position', autoIncrement: true }).createIndex('byCallAndDirection', ['callId', 'direction'], { unique: true });
  },
  // Disappearing messages: found by when they expire (records without `expiresAt` are not in the index).
  function disappearing(_db, tx) {
    tx.objectStore('messages').createIndex('byExpiresAt', 'expiresAt');
  },
];
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The store each batch field writes to; a new batch field fails the build here until it is mapped. */
const STORE_OF: Record<keyof ClientWriteBatch, StoreName> = {
  identity: 'singletons',
  conversations: 'conversations',
  messages: 'messages',
  statuses: 'messages',
  messageChanges: 'messages',
  messagesDelete: 'messages',
  contacts: 'contacts',
  outboxAdd: 'outbox',
  outboxRemove: 'outbox',
  keyPackagesAdd: 'keyPackages',
  keyPackagesRemove: 'keyPackages',
  pins: 'pins',
  lastSeq: 'singletons',
  callLog: 'callLog',
  settings: 'singletons',
};

// ---- records as stored ----

/** Bigints are stored as decimal strings: not every browser's IndexedDB clones BigInt. */
type ConversationRecord = Omit<StoredConversation, 'epoch'> & { epoch: string };
type Positioned<T> = T & { position?: number };

/** An exact-length copy: a view into a larger buffer would otherwise store the whole buffer. */
const copyBytes = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes);
/** A plain Uint8Array of this realm over what structured clone returned. */
const plainBytes = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);

const identityRecord = (i: StoredIdentity): StoredIdentity => ({ ...i, publicKey: copyBytes(i.publicKey), signKey: copyBytes(i.signKey) });
const toIdentity = (r: StoredIdentity): StoredIdentity => ({ ...r, publicKey: plainBytes(r.publicKey), signKey: plainBytes(r.signKey) });

function conversationRecord(c: StoredConversation, createdAt: number): ConversationRecord {
  const pending = c.pending && { kind: c.pending.kind, state: copyBytes(c.pending.state), request: copyBytes(c.pending.request) };
  return { groupId: c.groupId, kind: c.kind, name: c.name, state: copyBytes(c.state), epoch: c.epoch.toString(), createdAt, active: c.active, pending };
}
function toConversation(r: ConversationRecord): StoredConversation {
  const pending = r.pending && { kind: r.pending.kind, state: plainBytes(r.pending.state), request: plainBytes(r.pending.request) };
  return { groupId: r.groupId, kind: r.kind, name: r.name, state: plainBytes(r.state), epoch: BigInt(r.epoch), createdAt: r.createdAt, active: r.active, pending };
}

const messageFields = (m: StoredMessage): StoredMessage => ({
  messageId: m.messageId, groupId: m.groupId, sender: m.sender, senderDevice: m.senderDevice, body: m.body,
  sentAt: m.sentAt, receivedAt: m.receivedAt, outgoing: m.outgoing, status: m.status,
  ...(m.replyTo !== undefined ? { replyTo: m.replyTo } : {}),
  ...(m.forwarded === true ? { forwarded: true } : {}),
  ...(m.editedAt !== undefined ? { editedAt: m.editedAt } : {}),
  ...(m.deletedAt !== undefined ? { deletedAt: m.deletedAt } : {}),
  ...(m.reactions !== undefined ? { reactions: m.reactions.map((r) => ({ user: r.user, emoji: r.emoji, sentAt: r.sentAt })) } : {}),
  ...(m.notice !== undefined ? { notice: m.notice } : {}),
  ...(m.expiresAt !== undefined ? { expiresAt: m.expiresAt } : {}),
});
const messageRecord = (m: StoredMessage): StoredMessage => ({ ...messageFields(m), ...(m.attachment ? { attachment: copyBytes(m.attachment) } : {}) });
const toMessage = (r: Positioned<StoredMessage>): StoredMessage => ({ ...messageFields(r), ...(r.attachment ? { attachment: plainBytes(r.attachment) } : {}) });

const outboxRecord = (o: OutboxEntry): OutboxEntry => ({
  messageId: o.messageId, groupId: o.groupId, payload: copyBytes(o.payload), createdAt: o.createdAt, ...(o.expiresAt !== undefined ? { expiresAt: o.expiresAt } : {}),
});
const toOutboxEntry = (r: Positioned<OutboxEntry>): OutboxEntry => ({
  messageId: r.messageId, groupId: r.groupId, payload: plainBytes(r.payload), createdAt: r.createdAt, ...(r.expiresAt !== undefined ? { expiresAt: r.expiresAt } : {}),
});

const keyPackageRecord = (k: StoredKeyPackage): StoredKeyPackage => ({
  ref: k.ref, publicPackage: copyBytes(k.publicPackage), initPrivateKey: copyBytes(k.initPrivateKey),
  hpkePrivateKey: copyBytes(k.hpkePrivateKey), signaturePrivateKey: copyBytes(k.signaturePrivateKey), lastResort: k.lastResort,
});
const toKeyPackage = (r: StoredKeyPackage): StoredKeyPackage => ({
  ref: r.ref, publicPackage: plainBytes(r.publicPackage), initPrivateKey: plainBytes(r.initPrivateKey),
  hpkePrivateKey: plainBytes(r.hpkePrivateKey), signaturePrivateKey: plainBytes(r.signaturePrivateKey), lastResort: r.lastResort,
});

const pinRecord = (p: PinnedDevice): PinnedDevice => ({ username: p.username, deviceId: p.deviceId, identityKey: copyBytes(p.identityKey) });
const toPin = (r: PinnedDevice): PinnedDevice => ({ username: r.username, deviceId: r.deviceId, identityKey: plainBytes(r.identityKey) });

const callRecord = (e: StoredCallLogEntry): StoredCallLogEntry => ({
  callId: e.callId, peer: e.peer, direction: e.direction, outcome: e.outcome, durationMs: e.durationMs, endedAt: e.endedAt,
});

const toSettings = (stored: Partial<ClientSettings> | undefined): ClientSettings => parseClientSettings({ ...stored });

// ---- requests ----

function result<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Up to `limit` values from the end of `source` (optionally one key of an index), returned oldest first. */
function lastValues<T>(source: IDBObjectStore | IDBIndex, key: IDBValidKey | null, limit: number): Promise<T[]> {
  if (limit <= 0) return Promise.resolve([]);
  return new Promise((resolve, reject) => {
    const found: T[] = [];
    const request = source.openCursor(key, 'prev');
    request.onerror = () => reject(request.error);
    request.onsuccess = () => {
      const cursor = request.result;
      if (cursor && found.length < limit) {
        found.push(cursor.value as T);
        cursor.continue();
      } else {
        resolve(found.reverse());
      }
    };
  });
}

/** A write step that needs a read first: `then` writes from the read's success callback. */
interface ReadThenWrite {
  request: IDBRequest;
  then(value: unknown): void;
}
type WriteStep = (tx: IDBTransaction) => ReadThenWrite | void;

function readThen<T>(request: IDBRequest<T>, then: (value: T) => void): ReadThenWrite {
  return { request, then: (value) => then(value as T) };
}

/**
 * Runs the steps in order inside `tx`: a step's reads and writes are queued
 * before the next step's, so a status sees the message written before it.
 */
function runInOrder(tx: IDBTransaction, steps: WriteStep[], fail: (error: unknown) => void): void {
  let next = 0;
  const advance = (): void => {
    try {
      while (next < steps.length) {
        const pending = steps[next++]!(tx);
        if (pending) {
          pending.request.onsuccess = () => {
            try {
              pending.then(pending.request.result);
            } catch (error) {
              fail(error);
              return;
            }
            advance();
          };
          return;
        }
      }
    } catch (error) {
      fail(error);
    }
  };
  advance();
}

/** Adds `record` unless the store already holds one with this message id: messages and the outbox are insert-once. */
function addOnce(store: IDBObjectStore, messageId: string, record: unknown): ReadThenWrite {
  return readThen(store.index('byMessageId').getKey(messageId), (key) => {
    if (key === undefined) store.add(record);
  });
}

/** The batch as write steps, in the same order as the SQLite store: additions before removals, messages before statuses. */
function writeSteps(batch: ClientWriteBatch): WriteStep[] {
  const steps: WriteStep[] = [];
  const each = <T>(items: T[] | undefined, step: (item: T, tx: IDBTransaction) => ReadThenWrite | void) => {
    for (const item of items ?? []) steps.push((tx) => step(item, tx));
  };
  const { identity, lastSeq, settings } = batch;
  if (identity) steps.push((tx) => void tx.objectStore('singletons').put(identityRecord(identity), IDENTITY));
  each(batch.keyPackagesAdd, (k, tx) => void tx.objectStore('keyPackages').put(keyPackageRecord(k)));
  each(batch.keyPackagesRemove, (ref, tx) => void tx.objectStore('keyPackages').delete(ref));
  each(batch.conversations, (c, tx) => {
    const store = tx.objectStore('conversations');
    return readThen(store.get(c.groupId) as IDBRequest<ConversationRecord | undefined>, (existing) => {
      store.put(conversationRecord(c, existing?.createdAt ?? c.createdAt));
    });
  });
  each(batch.messages, (m, tx) => addOnce(tx.objectStore('messages'), m.messageId, messageRecord(m)));
  each(batch.statuses, (s, tx) => {
    const store = tx.objectStore('messages');
    return readThen(store.index('byMessageId').get(s.messageId) as IDBRequest<Positioned<StoredMessage> | undefined>, (stored) => {
      if (stored && isStatusAdvance(stored.status, s.status)) store.put({ ...stored, status: s.status });
    });
  });
  each(batch.messageChanges, (change, tx) => {
    const store = tx.objectStore('messages');
    return readThen(store.index('byMessageId').get(change.messageId) as IDBRequest<Positioned<StoredMessage> | undefined>, (stored) => {
      // The same rule as every store (core's applyMessageChange); the record keeps its position.
      if (stored) store.put({ ...messageRecord(applyMessageChange(toMessage(stored), change)), position: stored.position });
    });
  });
  each(batch.contacts, (c, tx) =>
    void tx.objectStore('contacts').put({ username: c.username, state: c.state, text: c.text, updatedAt: c.updatedAt, ...(c.viaLink === true ? { viaLink: true } : {}) }));
  each(batch.outboxAdd, (o, tx) => addOnce(tx.objectStore('outbox'), o.messageId, outboxRecord(o)));
  each(batch.outboxRemove, (messageId, tx) => {
    const store = tx.objectStore('outbox');
    return readThen(store.index('byMessageId').getKey(messageId), (key) => {
      if (key !== undefined) store.delete(key);
    });
  });
  each(batch.messagesDelete, (messageId, tx) => {
    const store = tx.objectStore('messages');
    return readThen(store.index('byMessageId').getKey(messageId), (key) => {
      if (key !== undefined) store.delete(key);
    });
  });
  each(batch.pins, (p, tx) => {
    const store = tx.objectStore('pins');
    return readThen(store.getKey([p.username, p.deviceId]), (key) => {
      if (key === undefined) store.add(pinRecord(p));
    });
  });
  if (lastSeq !== undefined) {
    steps.push((tx) => {
      const store = tx.objectStore('singletons');
      return readThen(store.get(LAST_SEQ) as IDBRequest<string | undefined>, (stored) => {
        if (lastSeq > BigInt(stored ?? '0')) store.put(lastSeq.toString(), LAST_SEQ);
      });
    });
  }
  each(batch.callLog, (e, tx) => {
    const store = tx.objectStore('callLog');
    return readThen(store.index('byCallAndDirection').getKey([e.callId, e.direction]), (key) => {
      if (key === undefined) store.add(callRecord(e));
    });
  });
  if (settings) {
    steps.push((tx) => {
      const store = tx.objectStore('singletons');
      return readThen(store.get(SETTINGS) as IDBRequest<ClientSettings | undefined>, (stored) => {
        store.put({ ...toSettings(stored), ...settings }, SETTINGS);
      });
    });
  }
  return steps;
}

export class IndexedDbClientStore implements ClientStore {
  private constructor(private readonly db: IDBDatabase) {}

  /**
   * Opens (creating or migrating) the profile's database. Rejects if another
   * tab holds an older version open and will not let the schema change.
   */
  static open(name: string, factory: IDBFactory = indexedDB): Promise<IndexedDbClientStore> {
    return new Promise((resolve, reject) => {
      let gaveUp = false;
      const request = factory.open(name, SCHEMA_VERSION);
      request.onupgradeneeded = (event) => {
        for (let version = event.oldVersion; version < SCHEMA_VERSION; version++) MIGRATIONS[version]!(request.result, request.transaction!);
      };
      request.onblocked = () => {
        gaveUp = true;
        reject(new Error('the profile database is open in another tab with an older version: close that tab and reload'));
      };
      request.onerror = () => reject(request.error);
      request.onsuccess = () => {
        const db = request.result;
        // The other tab closed after all; the caller has already been told no.
        if (gaveUp) return db.close();
        // A newer version (another tab after an update) wants the schema: step aside rather than block it.
        db.onversionchange = () => db.close();
        resolve(new IndexedDbClientStore(db));
      };
    });
  }

  async getIdentity(): Promise<StoredIdentity | undefined> {
    const record = await this.read('singletons', (s) => s.get(IDENTITY) as IDBRequest<StoredIdentity | undefined>);
    return record && toIdentity(record);
  }

  async getConversation(groupId: string): Promise<StoredConversation | undefined> {
    const record = await this.read('conversations', (s) => s.get(groupId) as IDBRequest<ConversationRecord | undefined>);
    return record && toConversation(record);
  }

  async listConversations(): Promise<StoredConversation[]> {
    const records = await this.read('conversations', (s) => s.index('byCreatedAt').getAll() as IDBRequest<ConversationRecord[]>);
    return records.map(toConversation);
  }

  async getMessage(messageId: string): Promise<StoredMessage | undefined> {
    const record = await this.read('messages', (s) => s.index('byMessageId').get(messageId) as IDBRequest<Positioned<StoredMessage> | undefined>);
    return record && toMessage(record);
  }

  async listMessages(groupId: string, limit: number): Promise<StoredMessage[]> {
    const index = this.db.transaction('messages', 'readonly').objectStore('messages').index('byGroup');
    return (await lastValues<Positioned<StoredMessage>>(index, groupId, limit)).map(toMessage);
  }

  async listExpiredMessages(time: number, limit: number): Promise<string[]> {
    if (limit <= 0) return [];
    // The index is in expiry order: walk it from the soonest until past `time` (no key range, so
    // the same code runs wherever the IndexedDB factory comes from).
    const index = this.db.transaction('messages', 'readonly').objectStore('messages').index('byExpiresAt');
    return new Promise((resolve, reject) => {
      const found: string[] = [];
      const request = index.openCursor();
      request.onerror = () => reject(request.error);
      request.onsuccess = () => {
        const cursor = request.result;
        const record = cursor?.value as StoredMessage | undefined;
        if (cursor && record && record.expiresAt !== undefined && record.expiresAt <= time && found.length < limit) {
          found.push(record.messageId);
          cursor.continue();
        } else {
          resolve(found);
        }
      };
    });
  }

  async nextExpiry(): Promise<number | undefined> {
    const first = await this.read('messages', (s) => s.index('byExpiresAt').openCursor() as IDBRequest<IDBCursorWithValue | null>);
    return (first?.value as StoredMessage | undefined)?.expiresAt;
  }

  async getContact(username: string): Promise<StoredContact | undefined> {
    return this.read('contacts', (s) => s.get(username) as IDBRequest<StoredContact | undefined>);
  }

  async listContacts(): Promise<StoredContact[]> {
    return this.read('contacts', (s) => s.getAll() as IDBRequest<StoredContact[]>);
  }

  async listOutbox(): Promise<OutboxEntry[]> {
    return (await this.read('outbox', (s) => s.getAll() as IDBRequest<Positioned<OutboxEntry>[]>)).map(toOutboxEntry);
  }

  async getKeyPackage(ref: string): Promise<StoredKeyPackage | undefined> {
    const record = await this.read('keyPackages', (s) => s.get(ref) as IDBRequest<StoredKeyPackage | undefined>);
    return record && toKeyPackage(record);
  }

  async countLastResortKeyPackages(): Promise<number> {
    // A boolean is not a valid IndexedDB key, so no index; a device keeps about thirty packages.
    const records = await this.read('keyPackages', (s) => s.getAll() as IDBRequest<StoredKeyPackage[]>);
    return records.filter((k) => k.lastResort).length;
  }

  async listPins(username: string): Promise<PinnedDevice[]> {
    // Ordered by primary key [username, deviceId] within the username: by deviceId.
    return (await this.read('pins', (s) => s.index('byUsername').getAll(username) as IDBRequest<PinnedDevice[]>)).map(toPin);
  }

  async getLastSeq(): Promise<bigint> {
    return BigInt((await this.read('singletons', (s) => s.get(LAST_SEQ) as IDBRequest<string | undefined>)) ?? '0');
  }

  async listCallLog(limit: number): Promise<StoredCallLogEntry[]> {
    const store = this.db.transaction('callLog', 'readonly').objectStore('callLog');
    return (await lastValues<Positioned<StoredCallLogEntry>>(store, null, limit)).map(callRecord);
  }

  async getSettings(): Promise<ClientSettings> {
    return toSettings(await this.read('singletons', (s) => s.get(SETTINGS) as IDBRequest<ClientSettings | undefined>));
  }

  apply(batch: ClientWriteBatch): Promise<void> {
    return new Promise((resolve, reject) => {
      const fields = Object.keys(STORE_OF) as (keyof ClientWriteBatch)[];
      const touched = [...new Set(fields.filter((field) => batch[field] !== undefined).map((field) => STORE_OF[field]))];
      if (touched.length === 0) return resolve();
      const steps = writeSteps(batch);
      const tx = this.db.transaction(touched, 'readwrite');
      let failure: unknown;
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(failure ?? tx.error ?? new Error('the write batch was aborted'));
      runInOrder(tx, steps, (error) => {
        failure = error;
        tx.abort();
      });
    });
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private read<T>(name: StoreName, request: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
    return result(request(this.db.transaction(name, 'readonly').objectStore(name)));
  }
}

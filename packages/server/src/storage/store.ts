/**
 * @module storage/store
 * The storage contract, composed of one interface per domain (storage/domains/):
 * accounts and devices, settings, contacts, key packages, groups and routing,
 * mailboxes, defences and audit, linked devices and their signed lists, and
 * the bookkeeping of encrypted files (blobs), Web Push subscriptions, and group calls' records. Every method is one atomic transaction, so the
 * same contract maps onto SQLite and PostgreSQL; invariants that must hold under
 * concurrency (one commit per epoch, one claim per key package, idempotent
 * sends, durable-before-ack) live here, checked per domain by storage/contracts/.
 * Split into a readable and a writable half as Signal-Desktop's sql/Interface.
 */
import type { RateLimiter } from '../rate-limits/rate-limiter.js';
import type { AccountReader, AccountWriter } from './domains/accounts.js';
import type { BlobReader, BlobWriter } from './domains/blobs.js';
import type { ContactReader, ContactWriter } from './domains/contacts.js';
import type { DefenceReader, DefenceWriter } from './domains/defences.js';
import type { DeviceReader, DeviceWriter } from './domains/devices.js';
import type { GroupCallReader, GroupCallWriter } from './domains/group-calls.js';
import type { GroupReader, GroupWriter } from './domains/groups.js';
import type { KeyPackageReader, KeyPackageWriter } from './domains/key-packages.js';
import type { MailboxReader, MailboxWriter } from './domains/mailboxes.js';
import type { PushReader, PushWriter } from './domains/push.js';
import type { SettingsReader, SettingsWriter } from './domains/settings.js';
// Re-exported so backends one folder down name the contract's errors without reaching two levels up.
export { ConfigError, DatabaseRefusedError, ServerError, StaleEpochError, StorageUnavailableError } from '../errors.js';
export type { DatabaseProblem } from '../errors.js';
// Re-exported so callers keep naming the contract's inputs from one place.
export type { AccountStore, NewAccount } from './domains/accounts.js';
export type { BlobRecord, BlobStore, NewUpload } from './domains/blobs.js';
export type { ContactRequestOptions, ContactStore } from './domains/contacts.js';
export type { AnomalyFilter, DefenceStore } from './domains/defences.js';
export type { DeviceStore, LinkMail, NewDeviceList, NewLinkedDevice, StoredDeviceList, UsedDeviceLink } from './domains/devices.js';
export type { GroupCallChange, GroupCallRecordEntry, GroupCallStore } from './domains/group-calls.js';
export type { GroupStore, NewCommit, NewGroup } from './domains/groups.js';
export type { ClaimScope, KeyPackageStore } from './domains/key-packages.js';
export type { MailboxStore } from './domains/mailboxes.js';
export type { PushPacing, PushStore, PushSubscriptionRecord, VapidKeyPair } from './domains/push.js';
export type { SettingsStore } from './domains/settings.js';

export interface StoreReader
  extends AccountReader, SettingsReader, ContactReader, KeyPackageReader, GroupReader, MailboxReader, DefenceReader, DeviceReader, BlobReader, PushReader, GroupCallReader {}

export interface StoreWriter
  extends AccountWriter, SettingsWriter, ContactWriter, KeyPackageWriter, GroupWriter, MailboxWriter, DefenceWriter, DeviceWriter, BlobWriter, PushWriter, GroupCallWriter {}

export interface Store extends StoreReader, StoreWriter {
  readonly kind: string;
  /**
   * True when sends take effect in the order their methods were called, whatever their timing
   * (SQLite: one queue, one connection; PostgreSQL: one batch of sends in flight at a time). Then a
   * connection may start its next send before the last one is durable and its messages still reach
   * every mailbox in order. A store without it makes each send wait for the one before.
   */
  readonly writesInCallOrder: boolean;
  /**
   * The rate limiter whose state every node using this store shares: PostgreSQL keeps it in a
   * table; SQLite (one node) in process memory, since a write per request would cost an fsync.
   */
  rateLimiter(): RateLimiter;
  close(): Promise<void>;
}

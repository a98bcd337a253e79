/**
 * @module storage/types
 * Records the storage contract speaks in. Byte fields are Uint8Array; epochs
 * and mailbox sequence numbers are bigint (they are u64 on the wire).
 */
import type { AnomalyKind, ContactState, DeliveryKind } from '@sotto/protocol';

/** A device as the rest of the server names it. */
export interface DeviceAddress {
  readonly username: string;
  readonly deviceId: string;
}

/** One string per device, for maps, caches and subject names. Usernames cannot contain NUL. */
export function deviceKey(device: DeviceAddress): string {
  return `${device.username}\u0000${device.deviceId}`;
}

export interface AccountRecord {
  readonly username: string;
  readonly createdAt: number;
  readonly devices: number;
  /** Restricted pending the operator's review: may log in and receive, not send. */
  readonly restricted: boolean;
}

export interface DeviceRecord extends DeviceAddress {
  readonly identityKey: Uint8Array;
  readonly createdAt: number;
}

export interface ContactRecord {
  readonly owner: string;
  readonly peer: string;
  readonly state: ContactState;
  readonly text: string;
  readonly updatedAt: number;
  /** The request came through the owner's contact link. */
  readonly viaLink: boolean;
}

export interface GroupRecord {
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  readonly members: readonly DeviceAddress[];
  /** The server's mirror of a named group's admins (accounts, sorted); empty: a group without admins. */
  readonly admins: readonly string[];
}

/** What a mailbox entry carries besides its recipient and sequence number. */
export interface MailItem {
  readonly kind: DeliveryKind;
  readonly sender: DeviceAddress;
  readonly groupId: Uint8Array;
  readonly messageId: Uint8Array;
  readonly payload: Uint8Array;
  readonly epoch: bigint;
  /** Disappearing messages: ms since epoch from which the entry is never delivered; absent or 0: none. */
  readonly expiresAt?: number;
}

/**
 * The largest mailbox seq: a device's seqs count from 1 in a signed 64-bit column (SQLite's INTEGER,
 * PostgreSQL's BIGINT), though the wire's field is unsigned.
 */
export const MAILBOX_SEQ_MAX = 2n ** 63n - 1n;

export interface MailboxEntry extends MailItem {
  readonly seq: bigint;
  readonly storedAt: number;
  /** As MailItem's, always present once stored: 0 when the entry does not expire. */
  readonly expiresAt: number;
}

/** The delivery rule for disappearing messages: from `expiresAt` on, no copy may be delivered. */
export function mailExpired(item: MailItem, now: number): boolean {
  return item.expiresAt !== undefined && item.expiresAt > 0 && item.expiresAt <= now;
}

export interface ClaimedPackage {
  readonly device: DeviceRecord;
  readonly keyPackage: Uint8Array;
  readonly lastResort: boolean;
  readonly remaining: number;
}

/** Result of storing a message: who must be told, and whether it was a retry. */
export interface StoredMail {
  readonly storedAt: number;
  readonly recipients: readonly DeviceAddress[];
  /**
   * The mailbox seq each recipient's copy got, in `recipients`' order, where the store tells it
   * (PostgreSQL's sends): the node publishes the entry whole, so the recipient's node need not read
   * it back (services/mail-notifier.ts). A store gives seqs only where each device's seqs are
   * consecutive and commit in order, which the pump's shortcut relies on (gateway/mailbox-pump.ts).
   */
  readonly seqs?: readonly bigint[];
  /** True when this (sender, messageId) was stored before; nothing new was written. */
  readonly duplicate: boolean;
}

/** The reporter of anomalies the server observed itself (rate-limit hits). */
export const SERVER_REPORTER: DeviceAddress = { username: '', deviceId: '' };

/** One anomaly report line as stored: who saw what from whom, how often. Never content. */
export interface AnomalyRecord {
  /** The member device that reported it, or SERVER_REPORTER. */
  readonly reporter: DeviceAddress;
  /** The device the input came from; deviceId '' when unknown. */
  readonly sender: DeviceAddress;
  /** For server observations: the member the sender was trying to reach ('' when none). */
  readonly target: string;
  readonly kind: AnomalyKind;
  readonly count: number;
  readonly at: number;
}

/** Anomalies summed per (reporter account, sender account, target, kind) over a time window. */
export interface AnomalyTally {
  readonly reporter: string;
  readonly sender: string;
  readonly target: string;
  readonly kind: AnomalyKind;
  readonly count: number;
  readonly firstAt: number;
  readonly lastAt: number;
}

export type IncidentStatus = 'open' | 'lifted' | 'upheld';

/** What the correlation found: who attacked (restricted), whom (notified), and the evidence. */
export interface IncidentRecord {
  readonly id: string;
  /** The correlation rule that opened it, e.g. "many-targets". */
  readonly rule: string;
  readonly openedAt: number;
  readonly updatedAt: number;
  readonly status: IncidentStatus;
  /** Accounts restricted by this incident. */
  readonly subjects: readonly string[];
  /** Members found targeted; each got a threat notification. */
  readonly targets: readonly string[];
  readonly evidence: readonly AnomalyTally[];
  /** The operator's note when resolving; '' before. */
  readonly note: string;
}

/** An operator (or server) action, kept for accountability. */
export interface AuditEntry {
  readonly at: number;
  /** Who acted: the operator's name, or "server" for automatic actions. */
  readonly actor: string;
  /** A stable verb, e.g. "restrict", "incident.lift", "advisory.publish". */
  readonly action: string;
  /** What it acted on: a username, incident id, or ''. */
  readonly target: string;
  /** Plain-text detail: a reason, a version; never message content or keys. */
  readonly detail: string;
}

export interface AuditRecord extends AuditEntry {
  readonly id: number;
}

export interface LockdownRecord {
  readonly enabled: boolean;
  /** Link-less contact and call requests refused since lockdown was last turned on. */
  readonly refused: number;
}

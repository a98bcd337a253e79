/**
 * @module storage/types
 * Records the storage contract speaks in. Byte fields are Uint8Array; epochs
 * and mailbox sequence numbers are bigint (they are u64 on the wire).
 */
import type { ContactState, DeliveryKind } from '@sotto/protocol';

/** A device as the rest of the server names it. */
export interface DeviceAddress {
  readonly username: string;
  readonly deviceId: string;
}

export interface AccountRecord {
  readonly username: string;
  readonly createdAt: number;
  readonly devices: number;
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
}

export interface GroupRecord {
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  readonly members: readonly DeviceAddress[];
}

/** What a mailbox entry carries besides its recipient and sequence number. */
export interface MailItem {
  readonly kind: DeliveryKind;
  readonly sender: DeviceAddress;
  readonly groupId: Uint8Array;
  readonly messageId: Uint8Array;
  readonly payload: Uint8Array;
  readonly epoch: bigint;
}

export interface MailboxEntry extends MailItem {
  readonly seq: bigint;
  readonly storedAt: number;
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
  /** True when this (sender, messageId) was stored before; nothing new was written. */
  readonly duplicate: boolean;
}

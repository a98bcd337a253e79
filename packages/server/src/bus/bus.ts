/** @module bus/bus */
// Routing between the part of the server that stores a message and the part
// that holds the recipient's connection. One process uses the local bus; a
// cluster uses NATS behind the same interface. Events carry no content: they
// say "look in the mailbox", so the bus is never a second copy of messages.
import type { NoticeKind } from '@sotto/protocol';
import type { DeviceAddress } from '../storage/types.js';

export type { DeviceAddress };

/** A notice for one device, sent as a NOTICE frame if it is connected; lost if not. */
export interface BusNotice {
  readonly kind: NoticeKind;
  readonly count: number;
  readonly message: string;
}

/** Plain data only, so adapters can serialise it as JSON. */
export type BusEvent =
  /** New entries are in the device's mailbox. */
  | { readonly kind: 'mail' }
  /** Connection `connectionId` is now the device's connection; any other must close. */
  | { readonly kind: 'replaced'; readonly connectionId: string }
  | { readonly kind: 'notice'; readonly notice: BusNotice };

export type BusHandler = (event: BusEvent) => void;
export type Unsubscribe = () => void;

export interface Bus {
  /** Resolves once the event is handed to the transport; delivery is best effort. */
  publish(device: DeviceAddress, event: BusEvent): Promise<void>;
  /** Calls `handler` for every event published to `device` until unsubscribed. */
  subscribe(device: DeviceAddress, handler: BusHandler): Unsubscribe;
  close(): Promise<void>;
}

/** One string per device, for maps and subject names. Usernames cannot contain NUL. */
export function deviceKey(device: DeviceAddress): string {
  return `${device.username}\u0000${device.deviceId}`;
}

/** @module bus/bus */
// Routing between the part of the server that stores a message and the part
// that holds the recipient's connection. One process uses the local bus; a
// cluster uses NATS behind the same interface. Events say "look in the
// mailbox"; a mail event may also carry the new entry (ciphertext, as stored),
// so the recipient's node need not read it back, but the mailbox stays the
// record: nothing is kept on the bus, and an event lost or refused costs only
// a read.
import { ErrorCode, type NoticeKind } from '@sotto/protocol';
import { ServerError } from '../errors.js';
import { deviceKey, type DeviceAddress, type MailboxEntry } from '../storage/types.js';

export { deviceKey, type DeviceAddress };

/**
 * The largest payload a mail event carries: a chat message's ciphertext is a few hundred bytes;
 * larger mail is announced without its entry and read from the mailbox.
 */
export const CARRIED_PAYLOAD_MAX = 4096;

/** A notice for one device, sent as a NOTICE frame if it is connected; lost if not. */
export interface BusNotice {
  readonly kind: NoticeKind;
  readonly count: number;
  readonly message: string;
  /** With LOCKDOWN_CHANGED. */
  readonly lockdown?: { readonly enabled: boolean; readonly refused: number };
}

/** Plain data only, so adapters can serialise it as JSON. */
export type BusEvent =
  /** New entries are in the device's mailbox; `entry`, when given, is the newest, as stored. */
  | { readonly kind: 'mail'; readonly entry?: MailboxEntry }
  /** Connection `connectionId` is now the device's connection; any other must close. */
  | { readonly kind: 'replaced'; readonly connectionId: string }
  /** The device was removed from its account (its signed device list left it out): every connection of it must close. */
  | { readonly kind: 'removed' }
  | { readonly kind: 'notice'; readonly notice: BusNotice };

export type BusHandler = (event: BusEvent) => void;
export type Unsubscribe = () => void;

/** A typed event, named for when it fires (`onDidReconnect`); call the result to stop listening. */
export type Listenable<T> = (listener: (value: T) => void) => Unsubscribe;

export interface BusDisconnected {
  /** Why, for the operator's log (never names a member). */
  readonly reason: string;
}

export interface BusReconnected {
  /** How long this node was cut off. */
  readonly downMs: number;
}

export interface Bus {
  /**
   * Hands the event to the transport. Events published in call order reach a
   * subscriber in that order. A `replaced` or `removed` event is confirmed: the promise
   * resolves only once the transport has routed it to every node subscribed
   * to the device, so "one connection per device" holds across nodes.
   * Rejects with `BusClosedError` after `close()`, and with
   * `BusUnavailableError` when the event cannot be routed now.
   */
  publish(device: DeviceAddress, event: BusEvent): Promise<void>;
  /**
   * Calls `handler` for every event published to `device` until unsubscribed.
   * After `close()` it returns an inert unsubscribe and never calls `handler`.
   */
  subscribe(device: DeviceAddress, handler: BusHandler): Unsubscribe;
  /**
   * Whether some node (this one included) has a subscriber for `device` now: a connected device's
   * session subscribes for as long as it is connected, so this is "is the device connected anywhere".
   * Web Push asks it before waking a device that is not (services/push). False when it cannot be
   * told (transport down, no answer in time): an extra wake-up is harmless, a missing one is not.
   */
  isHeld(device: DeviceAddress): Promise<boolean>;
  /** False while the transport is down, and after `close()`. */
  readonly connected: boolean;
  /**
   * The node lost the transport: events to and from it are not routed until
   * `onDidReconnect`. The gateway closes its connections if this lasts longer
   * than a grace period, so members reconnect to a healthy node.
   */
  readonly onDidDisconnect: Listenable<BusDisconnected>;
  /**
   * The transport is back. Notifications for this node's devices may have been
   * lost meanwhile, so the gateway re-reads every connection's mailbox.
   */
  readonly onDidReconnect: Listenable<BusReconnected>;
  /** Stops routing; no handler is called once it resolves. Calling it twice is harmless. */
  close(): Promise<void>;
}

/** The bus was closed; the event went nowhere. */
export class BusClosedError extends ServerError {
  override readonly name = 'BusClosedError';
  constructor() {
    super(ErrorCode.INTERNAL, 'The bus is closed; the event was not sent.');
  }
}

/** The transport is down; the event could not be routed (the mailbox still holds whatever it announced). */
export class BusUnavailableError extends ServerError {
  override readonly name = 'BusUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.INTERNAL, message, options);
  }
}

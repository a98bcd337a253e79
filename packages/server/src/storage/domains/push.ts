/**
 * @module storage/domains/push
 * The Web Push part of the storage contract: each device's one push subscription (the browser's
 * endpoint, key and secret), the pacing that keeps pushes to a device rare (a gap and an hourly
 * budget, decided in storage/push-rules.ts and kept in the row so every node honours it), and the
 * server's VAPID key pair, stored once for the whole cluster.
 */
import type { DeviceAddress } from '../types.js';

/** A browser's PushSubscription, already checked by the caller (push/subscription-rules.ts). */
export interface PushSubscriptionRecord {
  readonly endpoint: string;
  /** The subscription's P-256 public key, 65 bytes uncompressed. */
  readonly p256dh: Uint8Array;
  /** The RFC 8291 authentication secret, 16 bytes. */
  readonly auth: Uint8Array;
}

/** How rarely one device may be pushed to (storage/push-rules.ts). */
export interface PushPacing {
  /** At most one push per device in this long: later mail in the gap is covered by the first push. */
  readonly minGapMs: number;
  /** At most `budget` pushes per device in each window of `windowMs`. */
  readonly budget: number;
  readonly windowMs: number;
}

/** The server's VAPID (RFC 8292) key pair, as web-push makes it: base64url, public key uncompressed. */
export interface VapidKeyPair {
  readonly publicKey: string;
  readonly privateKey: string;
}

export interface PushReader {
  getPushSubscription(device: DeviceAddress): Promise<PushSubscriptionRecord | undefined>;
}

export interface PushWriter {
  /**
   * Makes `subscription` the device's one subscription, replacing any other; its pacing is kept,
   * so subscribing again does not refill the budget. UNKNOWN_DEVICE for no such device.
   * The row goes when the device is deleted.
   */
  setPushSubscription(device: DeviceAddress, subscription: PushSubscriptionRecord, now: number): Promise<void>;
  /**
   * Removes the device's subscription; with `endpoint`, only while it is still that one (the push
   * service said it is gone, and the device may have subscribed anew meanwhile). True if one went.
   */
  deletePushSubscription(device: DeviceAddress, endpoint?: string): Promise<boolean>;
  /**
   * Atomically, across nodes: when the device has a subscription and `pacing` lets a push go at
   * `now`, records the push and returns the subscription; otherwise returns undefined.
   */
  claimPush(device: DeviceAddress, now: number, pacing: PushPacing): Promise<PushSubscriptionRecord | undefined>;
  /**
   * The stored VAPID key pair, or `candidate` stored now when there is none yet: every node of a
   * cluster signs with the same key, whichever asked first.
   */
  vapidKeyPair(candidate: VapidKeyPair): Promise<VapidKeyPair>;
}

export interface PushStore extends PushReader, PushWriter {}

/**
 * @module storage/domains/devices
 * The linked-devices part of the storage contract: one-time device links (a new device joins an
 * account through one, unlisted), the account's signed device lists (stored as the clients signed
 * them, one version after another), and what publishing a list does to the device rows: the
 * listed ones become listed, the others are deleted with their key packages, mail and group rows.
 * The rules are decided once, in storage/device-rules.ts.
 */
import type { DeviceAddress, DeviceRecord, StoredMail } from '../types.js';

/** A device joining through a link: the id the server gave it and its public identity key. */
export interface NewLinkedDevice {
  readonly deviceId: string;
  readonly identityKey: Uint8Array;
}

/** Server-made mail for one device, whose kind and sender the store fills in. */
export interface LinkMail {
  readonly messageId: Uint8Array;
  readonly payload: Uint8Array;
}

export interface UsedDeviceLink {
  readonly username: string;
  /** The device that created the link: it got the DEVICE_LINK_REQUEST. */
  readonly creator: DeviceAddress;
  readonly mail: StoredMail;
}

export interface NewDeviceList {
  readonly username: string;
  readonly version: bigint;
  /** The SignedDeviceList's encoding, exactly as the client sent it. */
  readonly signed: Uint8Array;
  /** The devices the list names (already checked against the list's rules by the caller). */
  readonly listed: readonly NewLinkedDevice[];
  readonly now: number;
}

export interface StoredDeviceList {
  readonly version: bigint;
  readonly signed: Uint8Array;
}

export interface DeviceReader {
  /** False for an unlisted (being-linked) device, and for no device at all. */
  isDeviceListed(device: DeviceAddress): Promise<boolean>;
  /** The account's listed devices, oldest first (what GET_DEVICES and claims see). */
  listedDevices(username: string): Promise<DeviceRecord[]>;
  /** The newest stored list version of the account; 0n when it has none (or no such account). */
  newestDeviceListVersion(username: string): Promise<bigint>;
  /** `afterVersion` 0n: the newest only; else the versions after it, oldest first, at most `max`. */
  deviceLists(username: string, afterVersion: bigint, max: number): Promise<StoredDeviceList[]>;
  /** The device a link made, with the link's creator; undefined for an unknown or unused link. */
  linkedDevice(linkId: Uint8Array): Promise<{ readonly creator: DeviceAddress; readonly device: DeviceAddress } | undefined>;
}

export interface DeviceWriter {
  /**
   * Opens a link for `creator`'s account. Throws DEVICE_LIMIT when its devices (listed and
   * unlisted) and its unused, unexpired links would exceed LIMITS.maxDevicesPerAccount.
   */
  createDeviceLink(creator: DeviceAddress, linkId: Uint8Array, expiresAt: number, now: number): Promise<void>;
  /**
   * Uses the link once, atomically: creates the unlisted device and stores `request` (a
   * DEVICE_LINK_REQUEST sent by the new device) for the link's creator. LINK_INVALID for an
   * unknown, expired or used link, alike.
   */
  useDeviceLink(linkId: Uint8Array, device: NewLinkedDevice, request: LinkMail, now: number): Promise<UsedDeviceLink>;
  /**
   * Stores the next version, compare-and-set on the newest one (STALE_DEVICE_LIST otherwise),
   * marks the listed devices listed (each must be a device of the account with that key, else
   * INVALID_ARGUMENT) and deletes the account's others. Returns the deleted devices.
   */
  publishDeviceList(list: NewDeviceList): Promise<DeviceAddress[]>;
  /**
   * Stores the link's bundle (DEVICE_LINK_BUNDLE, sent by `creator`) for the device the link
   * made, once. LINK_INVALID unless `creator` made the link, it was used, and no bundle went yet.
   */
  deliverLinkBundle(creator: DeviceAddress, linkId: Uint8Array, bundle: LinkMail, now: number): Promise<StoredMail>;
}

export interface DeviceStore extends DeviceReader, DeviceWriter {}

/**
 * @module storage/device-rules
 * What a device-link or device-list write may do, decided once for every backend (as
 * storage/contact-rules.ts does for contacts): a backend reads the facts inside its own
 * transaction, asks here, and executes the plan.
 */
import { DeliveryKind, ErrorCode, LIMITS } from '@sotto/protocol';
import { ServerError } from '../errors.js';
import type { NewDeviceList, NewLinkedDevice, LinkMail } from './domains/devices.js';
import type { ClaimScope } from './domains/key-packages.js';
import type { DeviceAddress, MailItem } from './types.js';

/** How long an unlisted device outlives its link's expiry before the sweep deletes it. */
export const UNLISTED_DEVICE_GRACE_MS = 60 * 60_000;

/** One message for unknown, expired and used links: an attacker holding a guess learns nothing. */
export const linkInvalid = (): ServerError => new ServerError(ErrorCode.LINK_INVALID);

/** A new link is refused when the account would have more devices than it may, links counted as devices. */
export function checkDeviceLimit(devices: number, openLinks: number): void {
  if (devices + openLinks + 1 > LIMITS.maxDevicesPerAccount) throw new ServerError(ErrorCode.DEVICE_LIMIT);
}

/** The link row as a backend reads it for useDeviceLink. */
export interface LinkFacts {
  readonly expiresAt: number;
  readonly usedAt: number | null;
}

/** A link may be used once, before it expires. */
export function checkLinkUsable(link: LinkFacts | undefined, now: number): void {
  if (!link || link.usedAt !== null || link.expiresAt <= now) throw linkInvalid();
}

/** The link row as a backend reads it for deliverLinkBundle. */
export interface BundleFacts<K> {
  readonly creatorPk: K;
  readonly linkedPk: K | null;
  readonly bundleAt: number | null;
}

/** Returns the device the bundle goes to: the link's, when its creator sends it the first time. */
export function checkBundle<K>(link: BundleFacts<K> | undefined, senderPk: K | undefined): K {
  if (!link || senderPk === undefined || link.creatorPk !== senderPk || link.linkedPk === null || link.bundleAt !== null) throw linkInvalid();
  return link.linkedPk;
}

/** A device row as publishDeviceList reads it. */
export interface ListedFacts<K> {
  readonly pk: K;
  readonly deviceId: string;
  readonly identityKey: Uint8Array;
}

export interface PublishPlan<R> {
  readonly list: readonly R[];
  readonly remove: readonly R[];
}

/**
 * The next version follows the newest stored one (0n: none), and names only devices of the
 * account, each with the key the server holds for it; every other device of the account goes.
 */
export function planPublish<R extends ListedFacts<unknown>>(newest: bigint, list: NewDeviceList, devices: readonly R[]): PublishPlan<R> {
  if (list.version !== newest + 1n) {
    throw new ServerError(ErrorCode.STALE_DEVICE_LIST, `The stored device list is version ${newest}; the next one is ${newest + 1n}, not ${list.version}.`);
  }
  const byId = new Map(devices.map((row) => [row.deviceId, row]));
  const listed = list.listed.map((named: NewLinkedDevice) => {
    const row = byId.get(named.deviceId);
    if (!row || !Buffer.from(row.identityKey).equals(named.identityKey)) {
      throw new ServerError(ErrorCode.INVALID_ARGUMENT, 'The device list names a device this account does not have (or with another key).');
    }
    return row;
  });
  const keep = new Set(listed.map((row) => row.pk));
  return { list: listed, remove: devices.filter((row) => !keep.has(row.pk)) };
}

/** The mail a link write stores: kind and sender fixed here, not by the caller. */
export function linkMail(kind: DeliveryKind.DEVICE_LINK_REQUEST | DeliveryKind.DEVICE_LINK_BUNDLE, sender: DeviceAddress, mail: LinkMail): MailItem {
  return { kind, sender, groupId: new Uint8Array(0), messageId: mail.messageId, payload: mail.payload, epoch: 0n };
}

/** The listed devices a claim takes packages for: those named (if any), never the excepted one. */
export function claimable<R extends { readonly device_id: string }>(listed: readonly R[], scope: ClaimScope): R[] {
  const named = scope.deviceIds && scope.deviceIds.length > 0 ? new Set(scope.deviceIds) : undefined;
  return listed.filter((row) => row.device_id !== scope.except && (named === undefined || named.has(row.device_id)));
}

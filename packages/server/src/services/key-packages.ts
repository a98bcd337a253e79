/** @module services/key-packages */
// One-time MLS key packages. Only an accepted contact may claim them
// (consent before anything of a stranger's reaches a device), and a device
// running low is told so it can upload more.
import { ContactState, ErrorCode, LIMITS, NoticeKind } from '@sotto/protocol';
import { ServerError } from '../errors.js';
import type { Store } from '../storage/store.js';
import type { ClaimedPackage, DeviceAddress } from '../storage/types.js';
import type { RatePolicy } from '../rate-limits/rate-policy.js';
import { rateSubject, type Caller } from './caller.js';
import type { MailNotifier } from './mail-notifier.js';
import type { Restrictions } from './restrictions.js';
import { invalid, requireDeviceId, requireUsername } from './validate.js';

export interface KeyPackageUpload {
  readonly keyPackages: readonly Uint8Array[];
  /** Empty means "keep the current last-resort package". */
  readonly lastResort: Uint8Array;
  /** Drop the device's one-time packages still stored before storing these. */
  readonly replace?: boolean;
}

export interface KeyPackageStatus {
  readonly remaining: number;
  readonly low: boolean;
}

export class KeyPackagesService {
  constructor(
    private readonly store: Store,
    private readonly notifier: MailNotifier,
    private readonly rates: RatePolicy,
    private readonly restrictions: Restrictions,
  ) {}

  async upload(device: DeviceAddress, upload: KeyPackageUpload): Promise<number> {
    if (upload.keyPackages.length > LIMITS.keyPackagesPerUpload) {
      throw invalid(`At most ${LIMITS.keyPackagesPerUpload} key packages per upload, not ${upload.keyPackages.length}.`);
    }
    upload.keyPackages.forEach((keyPackage, i) => checkPackage(keyPackage, `key_packages[${i}]`));
    if (upload.lastResort.byteLength > 0) checkPackage(upload.lastResort, 'last_resort');
    const stored = upload.replace === true ? 0 : await this.store.countKeyPackages(device);
    if (stored + upload.keyPackages.length > LIMITS.keyPackagesMaxStored) {
      throw invalid(`A device keeps at most ${LIMITS.keyPackagesMaxStored} key packages on the server; it has ${stored}.`);
    }
    return this.store.addKeyPackages(
      device,
      upload.keyPackages,
      upload.lastResort.byteLength > 0 ? upload.lastResort : undefined,
      upload.replace === true,
    );
  }

  /**
   * One package per listed device of `username` (only those in `deviceIds`, when it names any).
   * Allowed for the claimer's own account (its other devices, never the claimer: a device adds
   * its siblings to conversations) and for accounts that accepted the claimer. Devices being
   * linked are never claimable: a device joins conversations once a signed list names it.
   */
  async claim(caller: Caller, username: string, deviceIds: readonly string[] = []): Promise<ClaimedPackage[]> {
    const claimer = caller.device;
    requireUsername(username);
    if (deviceIds.length > LIMITS.maxDevicesPerAccount) throw invalid(`A claim names at most ${LIMITS.maxDevicesPerAccount} devices.`);
    deviceIds.forEach((id, i) => requireDeviceId(id, `device_ids[${i}]`));
    const own = username === claimer.username;
    await this.restrictions.check(claimer.username);
    // Each claim uses up one of another member's one-time packages: draining them is an attack.
    await this.rates.take('claim', rateSubject(caller), username);
    if (!own) {
      // The target's view of the claimer: a block on their side refuses it too.
      const contact = await this.store.getContact(username, claimer.username);
      if (contact?.state !== ContactState.ACCEPTED) throw new ServerError(ErrorCode.NOT_A_CONTACT);
    }
    const claimed = await this.store.claimKeyPackages(username, { deviceIds, ...(own ? { except: claimer.deviceId } : {}) });
    // An account with no other device is an answer for its own devices, not a failure.
    if (claimed.length === 0 && !own) throw new ServerError(ErrorCode.NO_KEY_PACKAGE);
    await Promise.all(
      claimed
        .filter((c) => c.remaining < LIMITS.keyPackagesLowWatermark)
        .map((c) =>
          this.notifier.notice(
            { username: c.device.username, deviceId: c.device.deviceId },
            {
              kind: NoticeKind.KEY_PACKAGES_LOW,
              count: c.remaining,
              message: `Only ${c.remaining} key packages left; upload more.`,
            },
          ),
        ),
    );
    return claimed;
  }

  async status(device: DeviceAddress): Promise<KeyPackageStatus> {
    const remaining = await this.store.countKeyPackages(device);
    return { remaining, low: remaining < LIMITS.keyPackagesLowWatermark };
  }
}

function checkPackage(keyPackage: Uint8Array, field: string): void {
  if (keyPackage.byteLength === 0) throw invalid(`${field} is empty.`);
  if (keyPackage.byteLength > LIMITS.keyPackageMaxBytes) {
    throw invalid(`${field} of ${keyPackage.byteLength} bytes exceeds ${LIMITS.keyPackageMaxBytes}.`);
  }
}

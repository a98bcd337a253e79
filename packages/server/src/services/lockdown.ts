/**
 * @module services/lockdown
 * Lockdown mode, the server's part: the account-wide switch, the contact links that are then the
 * only way in, and telling the account's devices when either changes. Refusing link-less requests
 * happens in the store's contact request (one transaction); the clients make calls relay-only and
 * show strangers only as a count.
 */
import { createHash, randomBytes } from 'node:crypto';
import { LIMITS, NoticeKind } from '@sotto/protocol';
import type { Clock } from '../clock.js';
import type { Store } from '../storage/store.js';
import type { DeviceAddress, LockdownRecord } from '../storage/types.js';
import type { MailNotifier } from './mail-notifier.js';
import { invalid } from './validate.js';

const HOUR_MS = 3_600_000;

export interface ContactLink {
  readonly token: Uint8Array;
  readonly expiresAt: number;
}

/** Links are stored by hash: a leaked database does not hand out working links. */
export function linkTokenHash(token: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(token).digest());
}

export class LockdownService {
  constructor(
    private readonly store: Store,
    private readonly notifier: MailNotifier,
    private readonly now: Clock,
  ) {}

  get(username: string): Promise<LockdownRecord> {
    return this.store.getLockdown(username);
  }

  async set(device: DeviceAddress, enabled: boolean): Promise<LockdownRecord> {
    const state = await this.store.setLockdown(device.username, enabled);
    await this.announce(device.username, state);
    return state;
  }

  /** A new single-use contact link token for `device`'s account, valid `ttlHours` (0: the default). */
  async createLink(device: DeviceAddress, ttlHours: number): Promise<ContactLink> {
    const hours = ttlHours === 0 ? LIMITS.contactLinkDefaultTtlHours : ttlHours;
    if (!Number.isInteger(hours) || hours < 1 || hours > LIMITS.contactLinkMaxTtlHours) {
      throw invalid(`ttl_hours must be 1-${LIMITS.contactLinkMaxTtlHours} (0 for ${LIMITS.contactLinkDefaultTtlHours}).`);
    }
    const token = new Uint8Array(randomBytes(LIMITS.contactLinkTokenBytes));
    const expiresAt = this.now() + hours * HOUR_MS;
    await this.store.createContactLink(device.username, linkTokenHash(token), expiresAt);
    return { token, expiresAt };
  }

  /** Tells every device of `username` the current state (after a change, or a refused request). */
  async announce(username: string, state?: LockdownRecord): Promise<void> {
    const current = state ?? (await this.store.getLockdown(username));
    const devices = await this.store.listDevices(username);
    const message = current.enabled ? `Lockdown mode is on; ${current.refused} request(s) refused.` : 'Lockdown mode is off.';
    await Promise.all(
      devices.map((d) =>
        this.notifier.notice(d, { kind: NoticeKind.LOCKDOWN_CHANGED, count: current.refused, message, lockdown: { enabled: current.enabled, refused: current.refused } }),
      ),
    );
  }
}

/** @module services/caller Who is asking: the authenticated device, and the address it is limited by. */
import type { RateSubject } from '../rate-limits/rate-policy.js';
import type { DeviceAddress } from '../storage/types.js';

export interface Caller {
  readonly device: DeviceAddress;
  /** The client's address reduced to its limiting key (rate-limits/address-key.ts); absent: not limited by address. */
  readonly address?: string;
}

export function rateSubject(caller: Caller): RateSubject {
  return { account: caller.device.username, device: caller.device.deviceId, ...(caller.address !== undefined ? { address: caller.address } : {}) };
}

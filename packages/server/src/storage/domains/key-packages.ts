/**
 * @module storage/domains/key-packages
 * The key-package part of the storage contract: each device's one-time packages
 * and its last-resort one, claimed atomically.
 */
import type { ClaimedPackage, DeviceAddress } from '../types.js';

/** Which devices of the account a claim takes packages for; only listed devices are ever claimable. */
export interface ClaimScope {
  /** Only these devices (unknown or unlisted ones are skipped); absent or empty: every listed device. */
  readonly deviceIds?: readonly string[];
  /** Never this device (the claimer's own, when it claims its own account). */
  readonly except?: string;
}

export interface KeyPackageReader {
  countKeyPackages(device: DeviceAddress): Promise<number>;
}

export interface KeyPackageWriter {
  /** Stores one-time packages (and replaces the last-resort one); `replace`: drops the device's one-time packages first. */
  addKeyPackages(device: DeviceAddress, packages: readonly Uint8Array[], lastResort: Uint8Array | undefined, replace?: boolean): Promise<number>;
  /** Takes one package per listed device of `username` in `scope`, one-time ones first, atomically. */
  claimKeyPackages(username: string, scope?: ClaimScope): Promise<ClaimedPackage[]>;
}

export interface KeyPackageStore extends KeyPackageReader, KeyPackageWriter {}

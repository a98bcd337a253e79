/**
 * @module storage/domains/key-packages
 * The key-package part of the storage contract: each device's one-time packages
 * and its last-resort one, claimed atomically.
 */
import type { ClaimedPackage, DeviceAddress } from '../types.js';

export interface KeyPackageReader {
  countKeyPackages(device: DeviceAddress): Promise<number>;
}

export interface KeyPackageWriter {
  addKeyPackages(device: DeviceAddress, packages: readonly Uint8Array[], lastResort: Uint8Array | undefined): Promise<number>;
  /** Takes one package per device of `username`, one-time ones first, atomically. */
  claimKeyPackages(username: string): Promise<ClaimedPackage[]>;
}

export interface KeyPackageStore extends KeyPackageReader, KeyPackageWriter {}

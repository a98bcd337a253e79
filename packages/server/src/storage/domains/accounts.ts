/**
 * @module storage/domains/accounts
 * The accounts-and-devices part of the storage contract: who exists, their devices'
 * public identity keys, and the invites that let them register.
 */
import type { AccountRecord, DeviceAddress, DeviceRecord } from '../types.js';

export interface NewAccount {
  readonly username: string;
  readonly deviceId: string;
  readonly identityKey: Uint8Array;
  /** Required and consumed when the server is invite-only. */
  readonly inviteCode?: string;
  readonly requireInvite: boolean;
  readonly now: number;
}

export interface AccountReader {
  getDevice(device: DeviceAddress): Promise<DeviceRecord | undefined>;
  listDevices(username: string): Promise<DeviceRecord[]>;
  listAccounts(): Promise<AccountRecord[]>;
  getAccount(username: string): Promise<AccountRecord | undefined>;
}

export interface AccountWriter {
  /** Creates account and first device; throws USERNAME_TAKEN or INVITE_REQUIRED. */
  createAccount(account: NewAccount): Promise<void>;
  createInvite(code: string, now: number, expiresAt: number): Promise<void>;
}

export interface AccountStore extends AccountReader, AccountWriter {}

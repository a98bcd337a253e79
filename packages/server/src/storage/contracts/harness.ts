/**
 * @module storage/contracts/harness
 * What every domain's contract suite shares: a fresh store for each test (so no
 * test can lean on another's data), and the few helpers tests set a scene with.
 */
import { afterEach, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { ContactAction, DeliveryKind, type ErrorCode } from '@sotto/protocol';
import { ServerError } from '../../errors.js';
import type { Store } from '../store.js';
import type { AnomalyTally, DeviceAddress, MailItem } from '../types.js';

/** Opens a new, empty store: a new SQLite file, a new PostgreSQL schema. */
export type MakeStore = () => Promise<Store>;

export let counter = 0;
/** Unique per run, so names never repeat even across stores that share a database server. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter}`.slice(0, 32);
}

export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

export async function assertCode(promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof ServerError && error.code === code && (message === undefined || message.test(error.message)));
}

export const LINK_ONLY = /only through a contact link/;
export const BAD_LINK = /contact link is not valid/;

export const text = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes);

/** Tallies in a fixed order, since the contract does not fix one. */
export const sortTallies = (tallies: readonly AnomalyTally[]): AnomalyTally[] =>
  [...tallies].sort((a, b) => `${a.reporter}/${a.sender}/${a.target}/${a.kind}`.localeCompare(`${b.reporter}/${b.sender}/${b.target}/${b.kind}`));

/** Scene-setting steps over the store of the running test. */
export interface StoreHelpers {
  account(prefix?: string): Promise<DeviceAddress>;
  contacts(a: DeviceAddress, b: DeviceAddress): Promise<void>;
  mail(sender: DeviceAddress, groupId: Uint8Array, kind?: DeliveryKind): MailItem;
  /** Reads and acknowledges everything in the device's mailbox; returns the seqs. */
  drain(device: DeviceAddress): Promise<bigint[]>;
}

/**
 * Registers, in the calling `describe`, a store opened before each test and closed after it,
 * and returns a getter for it with helpers that act on it.
 */
export function freshStorePerTest(makeStore: MakeStore): { store: () => Store; helpers: StoreHelpers } {
  let current: Store | undefined;
  beforeEach(async () => {
    current = await makeStore();
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  const store = (): Store => {
    if (!current) throw new Error('The store is open only while a test runs.');
    return current;
  };
  const helpers: StoreHelpers = {
    async account(prefix = 'u') {
      const username = uniqueName(prefix);
      const deviceId = `d${counter}`;
      await store().createAccount({ username, deviceId, identityKey: randomBytes(32), requireInvite: false, now: Date.now() });
      return { username, deviceId };
    },
    async contacts(a, b) {
      await store().putContactRequest(a, b.username, 'hi', Date.now());
      await store().respondToContact(b, a.username, ContactAction.ACCEPT, Date.now());
    },
    mail(sender, groupId, kind = DeliveryKind.MLS_MESSAGE) {
      return { kind, sender, groupId, messageId: randomBytes(16), payload: randomBytes(200), epoch: 0n };
    },
    async drain(device) {
      const entries = await store().readMailbox(device, 0n, 10_000);
      await store().ackMailbox(device, entries.map((e) => e.seq));
      return entries.map((e) => e.seq);
    },
  };
  return { store, helpers };
}

/**
 * @module storage/contracts/accounts.contract
 * The accounts and devices contract: unique usernames, invites, account and contact lists. Every
 * backend runs it (through storage/contracts/index.ts), each test on a fresh store.
 */
import { beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ContactState, ErrorCode } from '@sotto/protocol';
import type { Store } from '../store.js';
import { freshStorePerTest, type MakeStore, uniqueName, randomBytes, assertCode } from './harness.js';

export function runAccountsContract(name: string, makeStore: MakeStore): void {
  describe(`accounts and devices contract: ${name}`, () => {
    const fresh = freshStorePerTest(makeStore);
    const { account, contacts } = fresh.helpers;
    let store: Store;
    beforeEach(() => {
      store = fresh.store();
    });

    test('usernames are unique', async () => {
      const a = await account();
      await assertCode(
        store.createAccount({ username: a.username, deviceId: 'x', identityKey: randomBytes(32), requireInvite: false, now: Date.now() }),
        ErrorCode.USERNAME_TAKEN,
      );
      assert.equal((await store.listDevices(a.username)).length, 1);
    });

    test('an invite is required when asked for, and works once', async () => {
      const code = uniqueName('inv');
      await store.createInvite(code, Date.now(), Date.now() + 60_000);
      const make = (username: string, inviteCode?: string) =>
        store.createAccount({ username, deviceId: 'd', identityKey: randomBytes(32), requireInvite: true, now: Date.now(), ...(inviteCode ? { inviteCode } : {}) });
      await assertCode(make(uniqueName('n')), ErrorCode.INVITE_REQUIRED);
      await make(uniqueName('n'), code);
      await assertCode(make(uniqueName('n'), code), ErrorCode.INVITE_REQUIRED);
    });

    test('an expired invite is refused', async () => {
      const code = uniqueName('old');
      await store.createInvite(code, Date.now() - 10_000, Date.now() - 1);
      await assertCode(
        store.createAccount({ username: uniqueName('n'), deviceId: 'd', identityKey: randomBytes(32), requireInvite: true, inviteCode: code, now: Date.now() }),
        ErrorCode.INVITE_REQUIRED,
      );
    });

    test('listAccounts and listContacts', async () => {
      const a = await account();
      const b = await account();
      await contacts(a, b);
      const accounts = await store.listAccounts();
      assert.ok(accounts.some((x) => x.username === a.username && x.devices === 1));
      assert.deepEqual((await store.listContacts(a.username)).map((c) => [c.peer, c.state]), [[b.username, ContactState.ACCEPTED]]);
    });
    // ---- defences: restriction, anomalies, incidents, audit, lockdown and contact links ----
  });
}

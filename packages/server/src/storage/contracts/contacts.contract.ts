/**
 * @module storage/contracts/contacts.contract
 * The contacts contract: requests, answers and their silent cases, who reached whom. Every backend
 * runs it (through storage/contracts/index.ts), each test on a fresh store.
 */
import { beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ContactAction, ContactState, DeliveryKind, ErrorCode } from '@sotto/protocol';
import type { Store } from '../store.js';
import { freshStorePerTest, type MakeStore, uniqueName, randomBytes, assertCode } from './harness.js';

export function runContactsContract(name: string, makeStore: MakeStore): void {
  describe(`contacts contract: ${name}`, () => {
    const fresh = freshStorePerTest(makeStore);
    const { account, mail, drain } = fresh.helpers;
    let store: Store;
    beforeEach(() => {
      store = fresh.store();
    });

    test('contact request, accept, and both sides see it', async () => {
      const a = await account();
      const b = await account();
      const sent = await store.putContactRequest(a, b.username, 'hello, it is me', Date.now());
      assert.deepEqual(sent.recipients, [b]);
      assert.equal((await store.getContact(b.username, a.username))?.state, ContactState.PENDING);
      assert.equal((await store.getContact(a.username, b.username))?.state, ContactState.REQUESTED);
      const [request] = await store.readMailbox(b, 0n, 10);
      assert.equal(request?.kind, DeliveryKind.CONTACT_REQUEST);
      assert.equal(new TextDecoder().decode(request?.payload), 'hello, it is me');
      const accepted = await store.respondToContact(b, a.username, ContactAction.ACCEPT, Date.now());
      assert.deepEqual(accepted.recipients, [a]);
      assert.equal((await store.getContact(a.username, b.username))?.state, ContactState.ACCEPTED);
      assert.equal((await store.getContact(b.username, a.username))?.state, ContactState.ACCEPTED);
    });

    test("a stranger's call attempt is a contact request delivered as CALL_REQUEST", async () => {
      const a = await account();
      const b = await account();
      await store.putContactRequest(a, b.username, 'call me back', Date.now(), { call: true });
      const [request] = await store.readMailbox(b, 0n, 10);
      assert.equal(request?.kind, DeliveryKind.CALL_REQUEST);
      assert.equal(new TextDecoder().decode(request?.payload), 'call me back');
      assert.equal((await store.getContact(b.username, a.username))?.state, ContactState.PENDING);
      // A second attempt while the first is pending reaches nobody: no repeated missed calls.
      assert.deepEqual((await store.putContactRequest(a, b.username, 'again', Date.now(), { call: true })).recipients, []);
    });

    test('decline is silent, block swallows later requests', async () => {
      const a = await account();
      const b = await account();
      await store.putContactRequest(a, b.username, 'one', Date.now());
      await drain(b);
      assert.deepEqual((await store.respondToContact(b, a.username, ContactAction.DECLINE, Date.now())).recipients, []);
      assert.equal((await store.readMailbox(a, 0n, 10)).length, 0);
      await store.respondToContact(b, a.username, ContactAction.BLOCK, Date.now());
      const again = await store.putContactRequest(a, b.username, 'two', Date.now());
      assert.deepEqual(again.recipients, []);
      assert.equal((await store.readMailbox(b, 0n, 10)).length, 0);
      await assertCode(store.respondToContact(b, a.username, ContactAction.ACCEPT, Date.now()), ErrorCode.INVALID_ARGUMENT);
    });

    test('unblock: neither blocked nor a contact, and a new request reaches the member again; unblocking nobody is refused', async () => {
      const a = await account();
      const b = await account();
      await store.respondToContact(b, a.username, ContactAction.BLOCK, Date.now());
      const unblocked = await store.respondToContact(b, a.username, ContactAction.UNBLOCK, Date.now());
      assert.deepEqual(unblocked.recipients, [], 'the unblocked member is not told');
      assert.equal((await store.getContact(b.username, a.username))?.state, ContactState.DECLINED);
      const again = await store.putContactRequest(a, b.username, 'hello again', Date.now());
      assert.deepEqual(again.recipients, [b]);
      assert.equal((await store.getContact(b.username, a.username))?.state, ContactState.PENDING);
      await assertCode(store.respondToContact(b, a.username, ContactAction.UNBLOCK, Date.now()), ErrorCode.INVALID_ARGUMENT);
    });

    test('cancel: a pending request is taken back on both sides and its addressee told; one a blocker never saw is only forgotten', async () => {
      const a = await account();
      const b = await account();
      await store.putContactRequest(a, b.username, 'oops', Date.now());
      const cancelled = await store.respondToContact(a, b.username, ContactAction.CANCEL, Date.now());
      assert.deepEqual(cancelled.recipients, [b]);
      assert.equal((await store.getContact(b.username, a.username))?.state, ContactState.DECLINED);
      assert.equal((await store.getContact(a.username, b.username))?.state, ContactState.DECLINED);
      const told = (await store.readMailbox(b, 0n, 10)).map((m) => m.kind);
      assert.deepEqual(told, [DeliveryKind.CONTACT_REQUEST, DeliveryKind.CONTACT_DECLINED]);
      await assertCode(store.respondToContact(a, b.username, ContactAction.CANCEL, Date.now()), ErrorCode.INVALID_ARGUMENT);
      // c blocked a: a's request was swallowed; taking it back tells c nothing and leaves the block.
      const c = await account();
      await store.respondToContact(c, a.username, ContactAction.BLOCK, Date.now());
      await store.putContactRequest(a, c.username, 'hi', Date.now());
      const quiet = await store.respondToContact(a, c.username, ContactAction.CANCEL, Date.now());
      assert.deepEqual(quiet.recipients, []);
      assert.equal((await store.getContact(c.username, a.username))?.state, ContactState.BLOCKED);
    });

    test('accepting with no pending request is refused', async () => {
      const a = await account();
      const b = await account();
      await assertCode(store.respondToContact(b, a.username, ContactAction.ACCEPT, Date.now()), ErrorCode.INVALID_ARGUMENT);
    });

    test('hasReached: a contact row the member holds, in any state and either direction, or a shared group', async () => {
      const member = await account();
      const [asked, askedBy, blocked, grouped, stranger] = [await account(), await account(), await account(), await account(), await account()];
      await store.putContactRequest(asked, member.username, 'hi', Date.now());
      await store.putContactRequest(member, askedBy.username, 'hi', Date.now());
      await store.respondToContact(member, blocked.username, ContactAction.BLOCK, Date.now());
      const groupId = randomBytes(32);
      await store.createGroup({ groupId, epoch: 1n, creator: grouped, members: [member], welcome: mail(grouped, groupId, DeliveryKind.MLS_WELCOME), now: Date.now() });
      for (const sender of [asked, askedBy, blocked, grouped]) assert.equal(await store.hasReached(sender.username, member.username), true, sender.username);
      assert.equal(await store.hasReached(member.username, grouped.username), true);
      assert.equal(await store.hasReached(stranger.username, member.username), false);
      assert.equal(await store.hasReached(uniqueName('ghost'), member.username), false);
      // Reached is one-way: the blocked member holds no row for the member who blocked them.
      assert.equal(await store.hasReached(member.username, blocked.username), false);
    });
  });
}

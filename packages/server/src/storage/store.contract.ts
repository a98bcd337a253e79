/**
 * @module storage/store.contract
 * The storage contract suite: every backend runs it (`runStorageContract`),
 * as Hono's routers run router/common.case.test.ts.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ContactAction, ContactState, DeliveryKind, ErrorCode } from '@sotto/protocol';
import { ServerError, StaleEpochError } from '../errors.js';
import type { Store } from './store.js';
import type { DeviceAddress, MailItem } from './types.js';

let counter = 0;
/** Unique per run, so backends with shared databases (PostgreSQL) need no cleanup between tests. */
function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter}`.slice(0, 32);
}

function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

async function assertCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof ServerError && error.code === code);
}

export function runStorageContract(name: string, makeStore: () => Promise<Store>): void {
  describe(`storage contract: ${name}`, () => {
    let store: Store;
    before(async () => {
      store = await makeStore();
    });
    after(async () => {
      await store.close();
    });

    async function account(prefix = 'u'): Promise<DeviceAddress> {
      const username = uniqueName(prefix);
      const deviceId = `d${counter}`;
      await store.createAccount({ username, deviceId, identityKey: randomBytes(32), requireInvite: false, now: Date.now() });
      return { username, deviceId };
    }

    async function contacts(a: DeviceAddress, b: DeviceAddress): Promise<void> {
      await store.putContactRequest(a, b.username, 'hi', Date.now());
      await store.respondToContact(b, a.username, ContactAction.ACCEPT, Date.now());
    }

    function mail(sender: DeviceAddress, groupId: Uint8Array, kind = DeliveryKind.MLS_MESSAGE): MailItem {
      return { kind, sender, groupId, messageId: randomBytes(16), payload: randomBytes(200), epoch: 0n };
    }

    async function drain(device: DeviceAddress): Promise<bigint[]> {
      const entries = await store.readMailbox(device, 0n, 10_000);
      await store.ackMailbox(device, entries.map((e) => e.seq));
      return entries.map((e) => e.seq);
    }

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

    test('settings round-trip', async () => {
      const key = uniqueName('k');
      assert.equal(await store.getSetting(key), undefined);
      await store.setSetting(key, '1.2.3');
      await store.setSetting(key, '1.2.4');
      assert.equal(await store.getSetting(key), '1.2.4');
    });

    test('key packages: one-time first, each claimed once, last resort reused', async () => {
      const a = await account();
      const p1 = randomBytes(64);
      const p2 = randomBytes(64);
      const last = randomBytes(64);
      assert.equal(await store.addKeyPackages(a, [p1, p2], last), 2);
      const first = await store.claimKeyPackages(a.username);
      const second = await store.claimKeyPackages(a.username);
      const third = await store.claimKeyPackages(a.username);
      const fourth = await store.claimKeyPackages(a.username);
      const got = [first, second].map((c) => c[0]!.keyPackage);
      assert.deepEqual(new Set(got.map((b) => Buffer.from(b).toString('hex'))), new Set([p1, p2].map((b) => Buffer.from(b).toString('hex'))));
      assert.equal(second[0]!.remaining, 0);
      assert.equal(third[0]!.lastResort, true);
      assert.deepEqual(third[0]!.keyPackage, last);
      assert.deepEqual(fourth[0]!.keyPackage, last);
      assert.equal(await store.countKeyPackages(a), 0);
    });

    test('concurrent claims never hand out the same key package twice', async () => {
      const a = await account();
      const packages = Array.from({ length: 20 }, () => randomBytes(32));
      await store.addKeyPackages(a, packages, undefined);
      const claims = await Promise.all(Array.from({ length: 25 }, () => store.claimKeyPackages(a.username)));
      const handed = claims.flat().map((c) => Buffer.from(c.keyPackage).toString('hex'));
      assert.equal(handed.length, 20);
      assert.equal(new Set(handed).size, 20);
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

    test('a ring is stored and read back with its kind', async () => {
      const a = await account();
      const b = await account();
      await contacts(a, b);
      await Promise.all([drain(a), drain(b)]);
      const groupId = randomBytes(32);
      await store.createGroup({ groupId, epoch: 1n, creator: a, members: [b], welcome: mail(a, groupId, DeliveryKind.MLS_WELCOME), now: Date.now() });
      await drain(b);
      await store.sendToGroup(mail(a, groupId, DeliveryKind.MLS_RING), Date.now());
      const [ring] = await store.readMailbox(b, 0n, 10);
      assert.equal(ring?.kind, DeliveryKind.MLS_RING);
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

    test('accepting with no pending request is refused', async () => {
      const a = await account();
      const b = await account();
      await assertCode(store.respondToContact(b, a.username, ContactAction.ACCEPT, Date.now()), ErrorCode.INVALID_ARGUMENT);
    });

    test('groups: welcome to members, messages to everyone but the sender, in order', async () => {
      const a = await account();
      const b = await account();
      const c = await account();
      await contacts(a, b);
      await contacts(a, c);
      await Promise.all([drain(a), drain(b), drain(c)]);
      const groupId = randomBytes(32);
      const created = await store.createGroup({ groupId, epoch: 1n, creator: a, members: [b, c], welcome: mail(a, groupId, DeliveryKind.MLS_WELCOME), now: Date.now() });
      assert.equal(created.recipients.length, 2);
      await assertCode(store.createGroup({ groupId, epoch: 1n, creator: a, members: [b], welcome: mail(a, groupId), now: Date.now() }), ErrorCode.GROUP_EXISTS);
      const sent = [];
      for (let i = 0; i < 5; i++) {
        const item = mail(i % 2 ? b : a, groupId);
        await store.sendToGroup(item, Date.now());
        sent.push(item);
      }
      const atC = await store.readMailbox(c, 0n, 100);
      assert.deepEqual(atC.map((e) => e.kind), [DeliveryKind.MLS_WELCOME, ...sent.map(() => DeliveryKind.MLS_MESSAGE)]);
      assert.deepEqual(atC.slice(1).map((e) => Buffer.from(e.messageId).toString('hex')), sent.map((s) => Buffer.from(s.messageId).toString('hex')));
      assert.ok(atC.every((e, i) => i === 0 || e.seq > atC[i - 1]!.seq));
      const atA = await store.readMailbox(a, 0n, 100);
      assert.equal(atA.length, 2, 'a gets only b\'s messages');
    });

    test('createGroup retried by its creator returns the original result and stores nothing new', async () => {
      const a = await account();
      const b = await account();
      const c = await account();
      const groupId = randomBytes(32);
      const welcome = mail(a, groupId, DeliveryKind.MLS_WELCOME);
      const created = await store.createGroup({ groupId, epoch: 1n, creator: a, members: [b, c], welcome, now: 1_000 });
      assert.equal(created.duplicate, false);
      // A retry after a crash: members in another order, the creator named too, a fresh welcome and clock.
      const retry = await store.createGroup({ groupId, epoch: 1n, creator: a, members: [c, a, b], welcome: mail(a, groupId, DeliveryKind.MLS_WELCOME), now: 9_000 });
      assert.equal(retry.duplicate, true);
      assert.equal(retry.storedAt, 1_000);
      const key = (d: DeviceAddress) => `${d.username}/${d.deviceId}`;
      assert.deepEqual(new Set(retry.recipients.map(key)), new Set(created.recipients.map(key)));
      assert.equal(await store.countMailbox(b), 1);
      assert.equal(await store.countMailbox(c), 1);
      assert.deepEqual((await store.readMailbox(b, 0n, 10))[0]?.payload, welcome.payload);
      assert.equal((await store.getGroup(groupId))?.members.length, 3);
    });

    test('createGroup by another device, or with another epoch or members, is GROUP_EXISTS', async () => {
      const a = await account();
      const b = await account();
      const c = await account();
      const groupId = randomBytes(32);
      const create = (creator: DeviceAddress, members: DeviceAddress[], epoch = 1n) =>
        store.createGroup({ groupId, epoch, creator, members, welcome: mail(creator, groupId, DeliveryKind.MLS_WELCOME), now: Date.now() });
      await create(a, [b]);
      await assertCode(create(b, [a]), ErrorCode.GROUP_EXISTS);
      await assertCode(create(c, [a, b]), ErrorCode.GROUP_EXISTS);
      await assertCode(create(a, [b, c]), ErrorCode.GROUP_EXISTS);
      await assertCode(create(a, []), ErrorCode.GROUP_EXISTS);
      await assertCode(create(a, [b], 2n), ErrorCode.GROUP_EXISTS);
      await assertCode(create(a, [{ username: b.username, deviceId: 'nope' }]), ErrorCode.GROUP_EXISTS);
      await store.applyCommit({ groupId, epoch: 1n, sender: a, added: [], removed: [], commit: mail(a, groupId, DeliveryKind.MLS_COMMIT), now: Date.now() });
      await assertCode(create(a, [b]), ErrorCode.GROUP_EXISTS);
      assert.equal(await store.countMailbox(b), 2, 'the welcome and the commit, nothing from the refused attempts');
      assert.equal(await store.countMailbox(c), 0);
    });

    test('concurrent identical createGroup calls store the group and its welcome once', async () => {
      const a = await account();
      const b = await account();
      const groupId = randomBytes(32);
      const results = await Promise.all(
        Array.from({ length: 6 }, () =>
          store.createGroup({ groupId, epoch: 1n, creator: a, members: [b], welcome: mail(a, groupId, DeliveryKind.MLS_WELCOME), now: Date.now() }),
        ),
      );
      assert.equal(results.filter((r) => !r.duplicate).length, 1);
      assert.equal(await store.countMailbox(b), 1);
    });

    test('a reader following seq > cursor misses nothing while many senders write to it', async () => {
      const reader = await account();
      const senders = await Promise.all(Array.from({ length: 4 }, () => account()));
      const groupId = randomBytes(32);
      await store.createGroup({ groupId, epoch: 1n, creator: senders[0]!, members: [...senders.slice(1), reader], welcome: mail(senders[0]!, groupId), now: Date.now() });
      await drain(reader);
      const perSender = 15;
      const sent = new Set<string>();
      let writing = true;
      const writers = Promise.all(
        senders.map(async (sender) => {
          for (let i = 0; i < perSender; i++) {
            const item = mail(sender, groupId);
            sent.add(Buffer.from(item.messageId).toString('hex'));
            await store.sendToGroup(item, Date.now());
          }
        }),
      ).finally(() => {
        writing = false;
      });
      // As the gateway's pump does: read after the cursor, advance it, never look back.
      const seen = new Set<string>();
      let cursor = 0n;
      for (let more = true; more; ) {
        more = writing;
        for (const entry of await store.readMailbox(reader, cursor, 1_000)) {
          assert.ok(entry.seq > cursor);
          cursor = entry.seq;
          seen.add(Buffer.from(entry.messageId).toString('hex'));
        }
      }
      await writers;
      for (const entry of await store.readMailbox(reader, cursor, 1_000)) seen.add(Buffer.from(entry.messageId).toString('hex'));
      assert.equal(sent.size, senders.length * perSender);
      assert.deepEqual(seen, sent);
    });

    test('a send is idempotent per (sender, message id)', async () => {
      const a = await account();
      const b = await account();
      const groupId = randomBytes(32);
      await store.createGroup({ groupId, epoch: 1n, creator: a, members: [b], welcome: mail(a, groupId), now: Date.now() });
      const item = mail(a, groupId);
      const first = await store.sendToGroup(item, Date.now());
      const retry = await store.sendToGroup(item, Date.now());
      assert.equal(first.duplicate, false);
      assert.equal(retry.duplicate, true);
      assert.equal(await store.countMailbox(b), 2);
    });

    test('a non-member cannot send to a group', async () => {
      const a = await account();
      const b = await account();
      const groupId = randomBytes(32);
      await store.createGroup({ groupId, epoch: 1n, creator: a, members: [], welcome: mail(a, groupId), now: Date.now() });
      await assertCode(store.sendToGroup(mail(b, groupId), Date.now()), ErrorCode.NOT_A_MEMBER);
      await assertCode(store.sendToGroup(mail(a, randomBytes(32)), Date.now()), ErrorCode.UNKNOWN_GROUP);
    });

    test('one commit per epoch: the first wins, the rest are stale', async () => {
      const a = await account();
      const b = await account();
      const c = await account();
      const groupId = randomBytes(32);
      await store.createGroup({ groupId, epoch: 1n, creator: a, members: [b, c], welcome: mail(a, groupId), now: Date.now() });
      const commit = (sender: DeviceAddress) =>
        store.applyCommit({ groupId, epoch: 1n, sender, added: [], removed: [], commit: mail(sender, groupId, DeliveryKind.MLS_COMMIT), now: Date.now() });
      const results = await Promise.allSettled([commit(a), commit(b), commit(c)]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 2);
      for (const r of lost) assert.ok((r as PromiseRejectedResult).reason instanceof StaleEpochError);
      assert.equal((await store.getGroup(groupId))?.epoch, 2n);
    });

    test('a commit that removes and adds changes routing; the removed member gets the commit, not later messages', async () => {
      const a = await account();
      const b = await account();
      const c = await account();
      const d = await account();
      const groupId = randomBytes(32);
      await store.createGroup({ groupId, epoch: 1n, creator: a, members: [b, c], welcome: mail(a, groupId), now: Date.now() });
      await Promise.all([drain(b), drain(c), drain(d)]);
      const result = await store.applyCommit({
        groupId, epoch: 1n, sender: a, added: [d], removed: [c],
        commit: mail(a, groupId, DeliveryKind.MLS_COMMIT), welcome: mail(a, groupId, DeliveryKind.MLS_WELCOME), now: Date.now(),
      });
      assert.equal(result.epoch, 2n);
      const group = await store.getGroup(groupId);
      assert.deepEqual(new Set(group?.members.map((m) => m.username)), new Set([a.username, b.username, d.username]));
      assert.deepEqual((await store.readMailbox(c, 0n, 10)).map((e) => e.kind), [DeliveryKind.MLS_COMMIT]);
      assert.deepEqual((await store.readMailbox(d, 0n, 10)).map((e) => e.kind), [DeliveryKind.MLS_WELCOME]);
      await store.sendToGroup(mail(a, groupId), Date.now());
      assert.equal((await store.readMailbox(c, 0n, 10)).length, 1);
      assert.equal((await store.readMailbox(d, 0n, 10)).length, 2);
    });

    test('leaving removes the device from routing and tells the others', async () => {
      const a = await account();
      const b = await account();
      const groupId = randomBytes(32);
      await store.createGroup({ groupId, epoch: 1n, creator: a, members: [b], welcome: mail(a, groupId), now: Date.now() });
      await drain(b);
      const left = await store.leaveGroup(mail(b, groupId, DeliveryKind.MEMBER_LEFT), Date.now());
      assert.deepEqual(left.recipients, [a]);
      await assertCode(store.sendToGroup(mail(b, groupId), Date.now()), ErrorCode.NOT_A_MEMBER);
    });

    test('acknowledged entries are deleted; others stay until expiry', async () => {
      const a = await account();
      const b = await account();
      const groupId = randomBytes(32);
      await store.createGroup({ groupId, epoch: 1n, creator: a, members: [b], welcome: mail(a, groupId), now: 1_000 });
      await store.sendToGroup(mail(a, groupId), 2_000);
      const entries = await store.readMailbox(b, 0n, 10);
      assert.equal(await store.ackMailbox(b, [entries[0]!.seq]), 1);
      assert.equal(await store.ackMailbox(b, [entries[0]!.seq]), 0, 'acking twice deletes nothing more');
      assert.equal(await store.ackMailbox(a, [entries[1]!.seq]), 0, 'a device cannot ack another device\'s entry');
      const later = await store.readMailbox(b, entries[0]!.seq, 10);
      assert.equal(later.length, 1);
      const expired = await store.expire(2_001);
      assert.ok(expired.mailbox >= 1);
      assert.equal(await store.countMailbox(b), 0);
    });

    test('listAccounts and listContacts', async () => {
      const a = await account();
      const b = await account();
      await contacts(a, b);
      const accounts = await store.listAccounts();
      assert.ok(accounts.some((x) => x.username === a.username && x.devices === 1));
      assert.deepEqual((await store.listContacts(a.username)).map((c) => [c.peer, c.state]), [[b.username, ContactState.ACCEPTED]]);
    });
  });
}

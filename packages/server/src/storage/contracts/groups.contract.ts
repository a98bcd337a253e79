/**
 * @module storage/contracts/groups.contract
 * The groups and routing contract: welcome and routing, createGroup retries and clashes,
 * idempotent sends and commits, one commit per epoch, leaving. Every backend runs it (through
 * storage/contracts/index.ts), each test on a fresh store.
 */
import { beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DeliveryKind, ErrorCode } from '@sotto/protocol';
import { StaleEpochError } from '../../errors.js';
import type { Store } from '../store.js';
import { type DeviceAddress } from '../types.js';
import { freshStorePerTest, type MakeStore, randomBytes, assertCode } from './harness.js';

export function runGroupsContract(name: string, makeStore: MakeStore): void {
  describe(`groups and routing contract: ${name}`, () => {
    const fresh = freshStorePerTest(makeStore);
    const { account, contacts, mail, drain } = fresh.helpers;
    let store: Store;
    beforeEach(() => {
      store = fresh.store();
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

    test('sends asked for all at once take effect in call order, each with its own outcome', async () => {
      // The way a pipelining connection asks (Store.writesInCallOrder), mixed with what must fail alone.
      const a = await account();
      const b = await account();
      const c = await account();
      const groupId = randomBytes(32);
      const other = randomBytes(32);
      await store.createGroup({ groupId, epoch: 1n, creator: a, members: [b], welcome: mail(a, groupId), now: Date.now() });
      await store.createGroup({ groupId: other, epoch: 1n, creator: c, members: [b], welcome: mail(c, other), now: Date.now() });
      await drain(b);
      const repeated = mail(a, groupId);
      const asked = [
        mail(a, groupId), repeated, mail(c, groupId), mail(c, other), repeated, mail(a, randomBytes(32)), mail(b, groupId),
        ...Array.from({ length: 300 }, (_, i) => mail(i % 3 === 0 ? b : a, groupId)),
      ];
      const outcomes = await Promise.allSettled(asked.map((item, i) => store.sendToGroup(item, 1_000 + i)));
      const refusal = (i: number) => (outcomes[i]!.status === 'rejected' ? (outcomes[i] as PromiseRejectedResult).reason.code : 'stored');
      assert.equal(refusal(2), ErrorCode.NOT_A_MEMBER, 'c is not in the group');
      assert.equal(refusal(5), ErrorCode.UNKNOWN_GROUP);
      const stored = outcomes.map((o) => (o.status === 'fulfilled' ? o.value : undefined));
      assert.deepEqual([stored[1]?.duplicate, stored[4]?.duplicate, stored[4]?.storedAt], [false, true, 1_001], 'the repeat is the first send\'s duplicate');
      assert.equal(outcomes.filter((o) => o.status === 'rejected').length, 2, 'nothing else was refused');
      const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
      const storedFor = (reader: DeviceAddress) =>
        asked.flatMap((item, i) => (stored[i] && !stored[i].duplicate && item.sender.username !== reader.username ? [i] : []));
      const expectedAtB = storedFor(b).map((i) => hex(asked[i]!.messageId));
      const atB = await store.readMailbox(b, 0n, 1000);
      assert.deepEqual(atB.map((e) => hex(e.messageId)), expectedAtB, 'b holds what was stored for it, in the order it was asked');
      assert.deepEqual(atB.map((e) => e.storedAt), storedFor(b).map((i) => 1_000 + i), 'each keeps the time it was asked with');
      const atA = await store.readMailbox(a, 0n, 1000);
      assert.deepEqual(atA.map((e) => hex(e.messageId)), storedFor(a).filter((i) => asked[i]!.sender.username === b.username).map((i) => hex(asked[i]!.messageId)));
      assert.equal(atA.length, 101, "a holds b's 101 sends only");
    });

    test('a non-member cannot send to a group', async () => {
      const a = await account();
      const b = await account();
      const groupId = randomBytes(32);
      await store.createGroup({ groupId, epoch: 1n, creator: a, members: [], welcome: mail(a, groupId), now: Date.now() });
      await assertCode(store.sendToGroup(mail(b, groupId), Date.now()), ErrorCode.NOT_A_MEMBER);
      await assertCode(store.sendToGroup(mail(a, randomBytes(32)), Date.now()), ErrorCode.UNKNOWN_GROUP);
    });

    test('a retried commit (same sender, same message id) stores nothing and is answered with the epoch it made', async () => {
      const a = await account();
      const b = await account();
      const groupId = randomBytes(32);
      await store.createGroup({ groupId, epoch: 1n, creator: a, members: [b], welcome: mail(a, groupId, DeliveryKind.MLS_WELCOME), now: 1_000 });
      await drain(b);
      const commit = { groupId, epoch: 1n, sender: a, added: [], removed: [], commit: mail(a, groupId, DeliveryKind.MLS_COMMIT), now: 2_000 };
      const first = await store.applyCommit(commit);
      assert.equal(first.duplicate, false);
      assert.equal(first.epoch, 2n);
      assert.equal(first.recipients.length, 1);
      // The retry's epoch is stale by now: it must still be recognised, not refused.
      const retry = await store.applyCommit({ ...commit, now: 3_000 });
      assert.deepEqual(
        { duplicate: retry.duplicate, epoch: retry.epoch, storedAt: retry.storedAt, recipients: retry.recipients },
        { duplicate: true, epoch: 2n, storedAt: 2_000, recipients: [] },
      );
      assert.equal((await store.readMailbox(b, 0n, 10)).length, 1);
      assert.equal((await store.getGroup(groupId))?.epoch, 2n);
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

    test('group admins: the mirror is kept; a non-admin\'s change of others is refused storing nothing; the last admin leaving passes it on', async () => {
      const a = await account();
      const b = await account();
      const c = await account();
      const groupId = randomBytes(32);
      await store.createGroup({ groupId, epoch: 1n, creator: a, members: [b, c], welcome: mail(a, groupId), now: Date.now(), admins: [a.username] });
      assert.deepEqual((await store.getGroup(groupId))?.admins, [a.username]);
      await Promise.all([drain(a), drain(b), drain(c)]);
      const commit = (sender: DeviceAddress, epoch: bigint, over: { removed?: DeviceAddress[]; admins?: string[] } = {}) =>
        store.applyCommit({ groupId, epoch, sender, added: [], removed: over.removed ?? [], commit: mail(sender, groupId, DeliveryKind.MLS_COMMIT), now: Date.now(), ...(over.admins ? { admins: over.admins } : {}) });
      await assertCode(commit(b, 1n, { removed: [c] }), ErrorCode.NOT_GROUP_ADMIN);
      await assertCode(commit(b, 1n, { admins: [b.username] }), ErrorCode.NOT_GROUP_ADMIN);
      const group = await store.getGroup(groupId);
      assert.equal(group?.epoch, 1n, 'nothing stored');
      assert.equal(group?.members.length, 3);
      assert.equal(await store.countMailbox(c), 0);
      // An update (nothing declared) from anyone; the admin names b.
      assert.equal((await commit(c, 1n)).epoch, 2n);
      await commit(a, 2n, { admins: [b.username, a.username].sort() });
      assert.deepEqual((await store.getGroup(groupId))?.admins, [a.username, b.username].sort());
      // Both admins leave; c commits their removal, then names itself: the only list it may set.
      await store.leaveGroup(mail(a, groupId, DeliveryKind.MEMBER_LEFT), Date.now());
      await store.leaveGroup(mail(b, groupId, DeliveryKind.MEMBER_LEFT), Date.now());
      await commit(c, 3n, { removed: [a, b] });
      await assertCode(commit(c, 4n, { admins: [a.username] }), ErrorCode.INVALID_ARGUMENT);
      await commit(c, 4n, { admins: [c.username] });
      assert.deepEqual((await store.getGroup(groupId))?.admins, [c.username]);
    });

    test('a group without admins has no rule and gains none', async () => {
      const a = await account();
      const b = await account();
      const groupId = randomBytes(32);
      await store.createGroup({ groupId, epoch: 1n, creator: a, members: [b], welcome: mail(a, groupId), now: Date.now() });
      assert.deepEqual((await store.getGroup(groupId))?.admins, []);
      await assertCode(
        store.applyCommit({ groupId, epoch: 1n, sender: b, added: [], removed: [], commit: mail(b, groupId, DeliveryKind.MLS_COMMIT), now: Date.now(), admins: [b.username] }),
        ErrorCode.NOT_GROUP_ADMIN,
      );
      const removed = await store.applyCommit({ groupId, epoch: 1n, sender: b, added: [], removed: [a], commit: mail(b, groupId, DeliveryKind.MLS_COMMIT), now: Date.now() });
      assert.equal(removed.epoch, 2n);
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

    test('a member removed by a commit gets nothing sent after it; an added one gets what follows', async () => {
      const a = await account();
      const b = await account();
      const c = await account();
      await contacts(a, b);
      await contacts(a, c);
      const groupId = randomBytes(32);
      await store.createGroup({ groupId, epoch: 1n, creator: a, members: [b], welcome: mail(a, groupId), now: 1_000 });
      assert.deepEqual((await store.sendToGroup(mail(a, groupId), 2_000)).recipients, [b]);
      const commit = { groupId, sender: a, now: 3_000, commit: mail(a, groupId, DeliveryKind.MLS_COMMIT) };
      await store.applyCommit({ ...commit, epoch: 1n, added: [c], removed: [b], welcome: mail(a, groupId, DeliveryKind.MLS_WELCOME) });
      assert.deepEqual((await store.sendToGroup(mail(a, groupId), 4_000)).recipients, [c]);
      await store.applyCommit({ ...commit, epoch: 2n, commit: mail(a, groupId, DeliveryKind.MLS_COMMIT), added: [b], removed: [] , welcome: mail(a, groupId, DeliveryKind.MLS_WELCOME) });
      assert.deepEqual(new Set((await store.sendToGroup(mail(a, groupId), 5_000)).recipients.map((r) => r.username)), new Set([b.username, c.username]));
    });
  });
}

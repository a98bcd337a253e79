/**
 * @module storage/store.contract
 * The storage contract suite: every backend runs it (`runStorageContract`),
 * as Hono's routers run router/common.case.test.ts.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AnomalyKind, ContactAction, ContactState, DeliveryKind, ErrorCode } from '@sotto/protocol';
import { ServerError, StaleEpochError } from '../errors.js';
import type { Store } from './store.js';
import { SERVER_REPORTER, type AnomalyRecord, type AnomalyTally, type DeviceAddress, type IncidentRecord, type MailItem } from './types.js';

let counter = 0;
/** Unique per run, so backends with shared databases (PostgreSQL) need no cleanup between tests. */
function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter}`.slice(0, 32);
}

function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

async function assertCode(promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof ServerError && error.code === code && (message === undefined || message.test(error.message)));
}

const LINK_ONLY = /only through a contact link/;
const BAD_LINK = /contact link is not valid/;

const text = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes);

/** Tallies in a fixed order, since the contract does not fix one. */
const sortTallies = (tallies: readonly AnomalyTally[]): AnomalyTally[] =>
  [...tallies].sort((a, b) => `${a.reporter}/${a.sender}/${a.target}/${a.kind}`.localeCompare(`${b.reporter}/${b.sender}/${b.target}/${b.kind}`));

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
        // The pump reads when told of new mail, so the event loop turns between its reads (a
        // reader spinning on microtasks would starve a backend that commits on the next turn).
        await new Promise((resolve) => setImmediate(resolve));
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

    test('a reader that reached the end of a mailbox gets what is stored next, in order, and never an acked entry again', async () => {
      const a = await account();
      const b = await account();
      const groupId = randomBytes(32);
      await store.createGroup({ groupId, epoch: 1n, creator: a, members: [b], welcome: mail(a, groupId), now: 1_000 });
      const [welcome] = await store.readMailbox(b, 0n, 10);
      assert.equal((await store.readMailbox(b, welcome!.seq, 10)).length, 0, 'caught up');
      const sent = [mail(a, groupId), mail(a, groupId), mail(a, groupId)];
      for (const item of sent) await store.sendToGroup(item, 2_000);
      const next = await store.readMailbox(b, welcome!.seq, 10);
      assert.deepEqual(next.map((e) => Buffer.from(e.payload).toString('hex')), sent.map((m) => Buffer.from(m.payload).toString('hex')));
      assert.ok(next.every((e, i) => e.seq > (i === 0 ? welcome!.seq : next[i - 1]!.seq)), 'in seq order');
      assert.deepEqual((await store.readMailbox(b, next[0]!.seq, 1)).map((e) => e.seq), [next[1]!.seq], 'a limit is kept');
      await store.ackMailbox(b, [welcome!.seq, next[0]!.seq, next[1]!.seq]);
      // A new connection starts over from the beginning: only what was not acked.
      assert.deepEqual((await store.readMailbox(b, 0n, 10)).map((e) => e.seq), [next[2]!.seq]);
      assert.deepEqual((await store.readMailbox(b, next[1]!.seq, 10)).map((e) => e.seq), [next[2]!.seq]);
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
    // ---- defences: restriction, anomalies, incidents, audit, lockdown and contact links ----

    test('restricted: set and cleared, seen by getAccount and listAccounts; unknown accounts refused', async () => {
      const a = await account();
      const fresh = await store.getAccount(a.username);
      assert.equal(fresh?.restricted, false);
      assert.equal(fresh?.devices, 1);
      await store.setRestricted(a.username, true);
      assert.deepEqual(await store.getAccount(a.username), { ...fresh, restricted: true });
      assert.equal((await store.listAccounts()).find((x) => x.username === a.username)?.restricted, true);
      await store.setRestricted(a.username, false);
      assert.equal((await store.getAccount(a.username))?.restricted, false);
      assert.equal((await store.listAccounts()).find((x) => x.username === a.username)?.restricted, false);
      assert.equal(await store.getAccount(uniqueName('ghost')), undefined);
      await assertCode(store.setRestricted(uniqueName('ghost'), true), ErrorCode.UNKNOWN_ACCOUNT);
    });

    test('listRestricted lists the restricted accounts only, sorted', async () => {
      const [a, b, c] = [await account('zr'), await account('ar'), await account('mr')];
      await store.setRestricted(a.username, true);
      await store.setRestricted(b.username, true);
      await store.setRestricted(c.username, true);
      await store.setRestricted(c.username, false);
      const listed = await store.listRestricted();
      assert.deepEqual(listed, [...listed].sort());
      assert.deepEqual(listed.filter((name) => [a, b, c].some((x) => x.username === name)), [b.username, a.username]);
    });

    test('anomalies are tallied per (reporter, sender, target, kind) with first and last times, by each filter and since', async () => {
      const reporter = await account('rep');
      const other = await account('rep');
      const sender = await account('snd');
      const quiet = await account('snd');
      const member = await account('tgt');
      const base = Date.now();
      const line = (from: DeviceAddress, by: DeviceAddress, kind: AnomalyKind, count: number, at: number, target = ''): AnomalyRecord =>
        ({ reporter: by, sender: from, target, kind, count, at });
      await store.recordAnomalies([
        line(sender, reporter, AnomalyKind.UNDECRYPTABLE, 2, base + 10),
        line(sender, reporter, AnomalyKind.UNDECRYPTABLE, 3, base + 30),
        // Another device of the same reporter: one account, one tally.
        line(sender, { username: reporter.username, deviceId: 'second' }, AnomalyKind.UNDECRYPTABLE, 1, base + 25),
        line(sender, reporter, AnomalyKind.MALFORMED, 1, base + 20),
        line(sender, other, AnomalyKind.UNDECRYPTABLE, 4, base + 15),
        line(quiet, reporter, AnomalyKind.UNDECRYPTABLE, 1, base + 5),
        line({ username: sender.username, deviceId: '' }, SERVER_REPORTER, AnomalyKind.RATE_LIMITED, 7, base + 40, member.username),
        line(sender, reporter, AnomalyKind.UNDECRYPTABLE, 100, base - 1_000),
      ]);
      await store.recordAnomalies([]);
      const tally = (r: DeviceAddress, s: DeviceAddress, kind: AnomalyKind, count: number, firstAt: number, lastAt: number, target = ''): AnomalyTally =>
        ({ reporter: r.username, sender: s.username, target, kind, count, firstAt, lastAt });
      const bySender = sortTallies(await store.tallyAnomalies({ sender: sender.username, since: base }));
      assert.deepEqual(bySender, sortTallies([
        tally(reporter, sender, AnomalyKind.UNDECRYPTABLE, 6, base + 10, base + 30),
        tally(reporter, sender, AnomalyKind.MALFORMED, 1, base + 20, base + 20),
        tally(other, sender, AnomalyKind.UNDECRYPTABLE, 4, base + 15, base + 15),
        tally(SERVER_REPORTER, sender, AnomalyKind.RATE_LIMITED, 7, base + 40, base + 40, member.username),
      ]));
      assert.deepEqual(sortTallies(await store.tallyAnomalies({ reporter: reporter.username, since: base })), sortTallies([
        tally(reporter, sender, AnomalyKind.UNDECRYPTABLE, 6, base + 10, base + 30),
        tally(reporter, sender, AnomalyKind.MALFORMED, 1, base + 20, base + 20),
        tally(reporter, quiet, AnomalyKind.UNDECRYPTABLE, 1, base + 5, base + 5),
      ]));
      assert.deepEqual(await store.tallyAnomalies({ target: member.username, since: base }), [
        tally(SERVER_REPORTER, sender, AnomalyKind.RATE_LIMITED, 7, base + 40, base + 40, member.username),
      ]);
      assert.deepEqual(sortTallies(await store.tallyAnomalies({ sender: sender.username, reporter: reporter.username, since: base })), sortTallies([
        tally(reporter, sender, AnomalyKind.UNDECRYPTABLE, 6, base + 10, base + 30),
        tally(reporter, sender, AnomalyKind.MALFORMED, 1, base + 20, base + 20),
      ]));
      // `since` is inclusive, and drops what came before it.
      assert.deepEqual(sortTallies(await store.tallyAnomalies({ sender: sender.username, reporter: reporter.username, since: base + 20 })), sortTallies([
        tally(reporter, sender, AnomalyKind.UNDECRYPTABLE, 4, base + 25, base + 30),
        tally(reporter, sender, AnomalyKind.MALFORMED, 1, base + 20, base + 20),
      ]));
      assert.equal((await store.tallyAnomalies({ sender: sender.username, reporter: reporter.username, since: base - 5_000 }))
        .find((t) => t.kind === AnomalyKind.UNDECRYPTABLE)?.count, 106);
      assert.deepEqual(await store.tallyAnomalies({ sender: member.username, since: 0 }), []);
    });

    test('incidents: saved, replaced by id, read back, listed newest first by status and limit', async () => {
      const subject = await account('sub');
      const target = await account('tgt');
      // Opened in the far future, so they are the newest in the store whatever else ran.
      const opened = 4_000_000_000_000 + counter * 1_000;
      const evidence: AnomalyTally = {
        reporter: target.username, sender: subject.username, target: '', kind: AnomalyKind.UNDECRYPTABLE, count: 12, firstAt: 1, lastAt: 2,
      };
      const incident = (id: string, at: number, status: IncidentRecord['status']): IncidentRecord => ({
        id, rule: 'many-targets', openedAt: at, updatedAt: at, status, subjects: [subject.username], targets: [target.username], evidence: [evidence], note: '',
      });
      const first = incident(uniqueName('inc'), opened + 1, 'open');
      const second = incident(uniqueName('inc'), opened + 2, 'open');
      const third = incident(uniqueName('inc'), opened + 3, 'upheld');
      for (const x of [first, second, third]) await store.saveIncident(x);
      assert.deepEqual(await store.getIncident(first.id), first);
      const lifted: IncidentRecord = { ...first, status: 'lifted', updatedAt: opened + 10, note: 'a misconfigured bot, not an attack', subjects: [] };
      await store.saveIncident(lifted);
      assert.deepEqual(await store.getIncident(first.id), lifted);
      assert.equal(await store.getIncident(uniqueName('inc')), undefined);
      const ours = new Set([first.id, second.id, third.id]);
      const ids = (list: readonly IncidentRecord[]) => list.map((x) => x.id).filter((id) => ours.has(id));
      assert.deepEqual(ids(await store.listIncidents()), [third.id, second.id, first.id]);
      assert.deepEqual(ids(await store.listIncidents('open')), [second.id]);
      assert.deepEqual(ids(await store.listIncidents('lifted')), [first.id]);
      assert.deepEqual(ids(await store.listIncidents('upheld')), [third.id]);
      assert.deepEqual((await store.listIncidents(undefined, 2)).map((x) => x.id), [third.id, second.id]);
      assert.deepEqual(await store.listIncidents('upheld', 1), [third]);
    });

    test('audit entries are appended and listed newest first, up to the limit', async () => {
      const target = uniqueName('aud');
      const entries = ['restrict', 'incident.lift', 'advisory.publish'].map((action, i) => ({ at: Date.now() + i, actor: 'operator', action, target, detail: `step ${i}` }));
      for (const entry of entries) await store.appendAudit(entry);
      const newest = await store.listAudit(2);
      assert.equal(newest.length, 2);
      assert.deepEqual(newest.map((x) => ({ at: x.at, actor: x.actor, action: x.action, target: x.target, detail: x.detail })), [entries[2], entries[1]]);
      assert.ok(newest[0]!.id > newest[1]!.id);
      const all = (await store.listAudit(1_000)).filter((x) => x.target === target);
      assert.deepEqual(all.map((x) => x.action), ['advisory.publish', 'incident.lift', 'restrict']);
    });

    test('lockdown: off by default, on and off, refusals counted and reset when it is turned on', async () => {
      const member = await account('lock');
      const stranger = await account();
      assert.deepEqual(await store.getLockdown(member.username), { enabled: false, refused: 0 });
      assert.deepEqual(await store.setLockdown(member.username, true), { enabled: true, refused: 0 });
      await assertCode(store.putContactRequest(stranger, member.username, 'hi', Date.now()), ErrorCode.LINK_REQUIRED, LINK_ONLY);
      // A stranger's call attempt needs the link too.
      await assertCode(store.putContactRequest(stranger, member.username, 'call', Date.now(), { call: true }), ErrorCode.LINK_REQUIRED, LINK_ONLY);
      assert.deepEqual(await store.getLockdown(member.username), { enabled: true, refused: 2 });
      // Refused means nothing stored: no contact row, no mail.
      assert.equal(await store.getContact(member.username, stranger.username), undefined);
      assert.equal(await store.getContact(stranger.username, member.username), undefined);
      assert.equal(await store.countMailbox(member), 0);
      assert.equal(await store.hasReached(stranger.username, member.username), false);
      // Another device saying "on" again keeps the count; turning it off keeps it too.
      assert.deepEqual(await store.setLockdown(member.username, true), { enabled: true, refused: 2 });
      assert.deepEqual(await store.setLockdown(member.username, false), { enabled: false, refused: 2 });
      const sent = await store.putContactRequest(stranger, member.username, 'now?', Date.now());
      assert.deepEqual(sent.recipients, [member]);
      assert.equal((await store.readMailbox(member, 0n, 10))[0]?.kind, DeliveryKind.CONTACT_REQUEST);
      assert.deepEqual(await store.getLockdown(member.username), { enabled: false, refused: 2 });
      assert.deepEqual(await store.setLockdown(member.username, true), { enabled: true, refused: 0 });
      await assertCode(store.getLockdown(uniqueName('ghost')), ErrorCode.UNKNOWN_ACCOUNT);
      await assertCode(store.setLockdown(uniqueName('ghost'), true), ErrorCode.UNKNOWN_ACCOUNT);
    });

    test('lockdown does not affect accepted contacts', async () => {
      const member = await account('lock');
      const friend = await account();
      await contacts(friend, member);
      await Promise.all([drain(friend), drain(member)]);
      await store.setLockdown(member.username, true);
      const again = await store.putContactRequest(friend, member.username, 'hi again', Date.now());
      assert.deepEqual(again, { storedAt: again.storedAt, duplicate: true, recipients: [] });
      assert.equal((await store.putContactRequest(friend, member.username, 'call', Date.now(), { call: true })).duplicate, true);
      assert.equal((await store.getContact(member.username, friend.username))?.state, ContactState.ACCEPTED);
      assert.deepEqual(await store.getLockdown(member.username), { enabled: true, refused: 0 });
    });

    test('a request through a contact link is delivered as LINKED_CONTACT_REQUEST, marked viaLink, and uses the link up', async () => {
      const member = await account('lnk');
      const stranger = await account();
      const token = randomBytes(32);
      await store.createContactLink(member.username, token, Date.now() + 60_000);
      const sent = await store.putContactRequest(stranger, member.username, 'we met at the meetup', Date.now(), { linkTokenHash: token });
      assert.deepEqual(sent.recipients, [member]);
      const [request] = await store.readMailbox(member, 0n, 10);
      assert.equal(request?.kind, DeliveryKind.LINKED_CONTACT_REQUEST);
      assert.equal(text(request?.payload), 'we met at the meetup');
      assert.deepEqual(
        { ...(await store.getContact(member.username, stranger.username)), updatedAt: 0 },
        { owner: member.username, peer: stranger.username, state: ContactState.PENDING, text: 'we met at the meetup', updatedAt: 0, viaLink: true },
      );
      assert.equal((await store.getContact(stranger.username, member.username))?.viaLink, false);
      assert.deepEqual((await store.listContacts(member.username)).map((c) => [c.peer, c.viaLink]), [[stranger.username, true]]);
      // Single use: a second requester, or the same one again, finds it gone.
      const second = await account();
      await assertCode(store.putContactRequest(second, member.username, 'me too', Date.now(), { linkTokenHash: token }), ErrorCode.LINK_REQUIRED, BAD_LINK);
      await assertCode(store.putContactRequest(stranger, member.username, 'again', Date.now(), { linkTokenHash: token }), ErrorCode.LINK_REQUIRED, BAD_LINK);
      // Not in lockdown: a bad link is refused but not counted.
      assert.deepEqual(await store.getLockdown(member.username), { enabled: false, refused: 0 });
      assert.equal(await store.countMailbox(member), 1);
      // Accepting keeps the mark.
      await store.respondToContact(member, stranger.username, ContactAction.ACCEPT, Date.now());
      assert.equal((await store.getContact(member.username, stranger.username))?.viaLink, true);
      await assertCode(store.createContactLink(uniqueName('ghost'), randomBytes(32), Date.now() + 60_000), ErrorCode.UNKNOWN_ACCOUNT);
    });

    test('a link used by many requesters at once lets exactly one through', async () => {
      const member = await account('lnk');
      const token = randomBytes(32);
      await store.createContactLink(member.username, token, Date.now() + 60_000);
      const requesters = await Promise.all(Array.from({ length: 6 }, () => account()));
      const results = await Promise.allSettled(requesters.map((r) => store.putContactRequest(r, member.username, 'hi', Date.now(), { linkTokenHash: token })));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof ServerError && r.reason.code === ErrorCode.LINK_REQUIRED);
      assert.equal(await store.countMailbox(member), 1);
    });

    test('an expired link, or one of another member, is LINK_REQUIRED', async () => {
      const member = await account('lnk');
      const other = await account('lnk');
      const stranger = await account();
      const now = Date.now();
      const expired = randomBytes(32);
      const theirs = randomBytes(32);
      await store.createContactLink(member.username, expired, now - 1);
      await store.createContactLink(other.username, theirs, now + 60_000);
      await assertCode(store.putContactRequest(stranger, member.username, 'hi', now, { linkTokenHash: expired }), ErrorCode.LINK_REQUIRED, BAD_LINK);
      await assertCode(store.putContactRequest(stranger, member.username, 'hi', now, { linkTokenHash: theirs }), ErrorCode.LINK_REQUIRED, BAD_LINK);
      assert.equal(await store.getContact(member.username, stranger.username), undefined);
      // The other member's link was not used up by the attempt.
      assert.deepEqual((await store.putContactRequest(stranger, other.username, 'hi', now, { linkTokenHash: theirs })).recipients, [other]);
    });

    test('in lockdown: a link lets a request or a call request through; no link or a bad one is refused and counted', async () => {
      const member = await account('lock');
      await store.setLockdown(member.username, true);
      const [linked, caller, linkless, guesser] = [await account(), await account(), await account(), await account()];
      const token = randomBytes(32);
      const callToken = randomBytes(32);
      await store.createContactLink(member.username, token, Date.now() + 60_000);
      await store.createContactLink(member.username, callToken, Date.now() + 60_000);
      await store.putContactRequest(linked, member.username, 'hello', Date.now(), { linkTokenHash: token });
      await store.putContactRequest(caller, member.username, 'call me', Date.now(), { call: true, linkTokenHash: callToken });
      assert.deepEqual((await store.readMailbox(member, 0n, 10)).map((e) => e.kind), [DeliveryKind.LINKED_CONTACT_REQUEST, DeliveryKind.CALL_REQUEST]);
      assert.equal((await store.getContact(member.username, caller.username))?.viaLink, true);
      await assertCode(store.putContactRequest(linkless, member.username, 'hi', Date.now()), ErrorCode.LINK_REQUIRED, LINK_ONLY);
      await assertCode(store.putContactRequest(guesser, member.username, 'hi', Date.now(), { linkTokenHash: randomBytes(32) }), ErrorCode.LINK_REQUIRED, BAD_LINK);
      assert.deepEqual(await store.getLockdown(member.username), { enabled: true, refused: 2 });
      assert.equal(await store.countMailbox(member), 2);
    });

    test('a request pending from before lockdown is delivered again once it comes through the link', async () => {
      const member = await account('lock');
      const stranger = await account();
      await store.putContactRequest(stranger, member.username, 'first', Date.now());
      await drain(member);
      await store.setLockdown(member.username, true);
      const token = randomBytes(32);
      await store.createContactLink(member.username, token, Date.now() + 60_000);
      const sent = await store.putContactRequest(stranger, member.username, 'with the link', Date.now(), { linkTokenHash: token });
      assert.deepEqual(sent.recipients, [member]);
      assert.deepEqual((await store.readMailbox(member, 0n, 10)).map((e) => e.kind), [DeliveryKind.LINKED_CONTACT_REQUEST]);
      assert.equal((await store.getContact(member.username, stranger.username))?.viaLink, true);
      // Without the link, a repeat of a pending request is still refused by lockdown.
      await assertCode(store.putContactRequest(stranger, member.username, 'again', Date.now()), ErrorCode.LINK_REQUIRED, LINK_ONLY);
    });

    test('an account keeps its 50 newest contact links; one more drops the oldest', async () => {
      const member = await account('lnk');
      const expiresAt = Date.now() + 3_600_000;
      const oldest = randomBytes(32);
      await store.createContactLink(member.username, oldest, expiresAt);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const newer = Array.from({ length: 50 }, () => randomBytes(32));
      for (const token of newer) await store.createContactLink(member.username, token, expiresAt);
      const request = async (token: Uint8Array) => store.putContactRequest(await account(), member.username, 'hi', Date.now(), { linkTokenHash: token });
      await assertCode(request(oldest), ErrorCode.LINK_REQUIRED, BAD_LINK);
      assert.equal((await request(newer[0]!)).recipients.length, 1);
      assert.equal((await request(newer[49]!)).recipients.length, 1);
    });

    test('putSystemMail reaches every device of the account', async () => {
      const member = await account();
      const item: MailItem = {
        kind: DeliveryKind.THREAT_NOTICE, sender: SERVER_REPORTER, groupId: new Uint8Array(), messageId: randomBytes(16), payload: randomBytes(60), epoch: 0n,
      };
      const stored = await store.putSystemMail(member.username, item, 5_000);
      assert.equal(stored.duplicate, false);
      assert.deepEqual(stored.recipients, (await store.listDevices(member.username)).map((d) => ({ username: d.username, deviceId: d.deviceId })));
      const [entry] = await store.readMailbox(member, 0n, 10);
      assert.equal(entry?.kind, DeliveryKind.THREAT_NOTICE);
      assert.deepEqual(entry?.sender, SERVER_REPORTER);
      assert.deepEqual(entry?.payload, item.payload);
      assert.equal(entry?.storedAt, 5_000);
      await assertCode(store.putSystemMail(uniqueName('ghost'), item, 5_000), ErrorCode.UNKNOWN_ACCOUNT);
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

    test('expire deletes old anomalies and expired links and keeps the rest', async () => {
      const reporter = await account('rep');
      const sender = await account('snd');
      const member = await account('lnk');
      await store.recordAnomalies([
        { reporter, sender, target: '', kind: AnomalyKind.MALFORMED, count: 1, at: 1_000 },
        { reporter, sender, target: '', kind: AnomalyKind.MALFORMED, count: 2, at: 3_000 },
      ]);
      const stale = randomBytes(32);
      const live = randomBytes(32);
      const byDefault = randomBytes(32);
      await store.createContactLink(member.username, stale, 4_000);
      await store.createContactLink(member.username, live, 10_000);
      await store.expire(2_000, 5_000);
      assert.deepEqual(await store.tallyAnomalies({ sender: sender.username, since: 0 }), [
        { reporter: reporter.username, sender: sender.username, target: '', kind: AnomalyKind.MALFORMED, count: 2, firstAt: 3_000, lastAt: 3_000 },
      ]);
      // Asked at a time it was still live, the stale link is gone: deleted, not just expired.
      await assertCode(store.putContactRequest(await account(), member.username, 'hi', 1_000, { linkTokenHash: stale }), ErrorCode.LINK_REQUIRED, BAD_LINK);
      assert.equal((await store.putContactRequest(await account(), member.username, 'hi', 6_000, { linkTokenHash: live })).recipients.length, 1);
      // Without `now`, links are expired at `before`.
      await store.createContactLink(member.username, byDefault, 2_500);
      await store.expire(3_000);
      await assertCode(store.putContactRequest(await account(), member.username, 'hi', 1_000, { linkTokenHash: byDefault }), ErrorCode.LINK_REQUIRED, BAD_LINK);
    });
  });
}

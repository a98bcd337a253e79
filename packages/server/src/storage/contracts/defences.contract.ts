/**
 * @module storage/contracts/defences.contract
 * The defences and audit contract: restrictions, anomaly tallies, incidents, audit, lockdown and
 * contact links, their expiry. Every backend runs it (through storage/contracts/index.ts), each
 * test on a fresh store.
 */
import { beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AnomalyKind, ContactAction, ContactState, DeliveryKind, ErrorCode } from '@sotto/protocol';
import { ServerError } from '../../errors.js';
import type { Store } from '../store.js';
import { SERVER_REPORTER, type AnomalyRecord, type AnomalyTally, type DeviceAddress, type IncidentRecord } from '../types.js';
import { freshStorePerTest, type MakeStore, uniqueName, randomBytes, assertCode, LINK_ONLY, BAD_LINK, text, sortTallies, counter } from './harness.js';

export function runDefencesContract(name: string, makeStore: MakeStore): void {
  describe(`defences and audit contract: ${name}`, () => {
    const fresh = freshStorePerTest(makeStore);
    const { account, contacts, drain } = fresh.helpers;
    let store: Store;
    beforeEach(() => {
      store = fresh.store();
    });

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

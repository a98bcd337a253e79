/**
 * @module storage/contracts/mailboxes.contract
 * The mailboxes contract: readers following seq, acknowledgement and expiry, system mail, and
 * disappearing messages (entries that carry an expiry: read with it, swept by it). Every backend
 * runs it (through storage/contracts/index.ts), each test on a fresh store.
 */
import { beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DeliveryKind, ErrorCode } from '@sotto/protocol';
import type { Store } from '../store.js';
import { mailExpired, SERVER_REPORTER, type DeviceAddress, type MailboxEntry, type MailItem } from '../types.js';
import { freshStorePerTest, type MakeStore, uniqueName, randomBytes, assertCode } from './harness.js';

export function runMailboxesContract(name: string, makeStore: MakeStore): void {
  describe(`mailboxes contract: ${name}`, () => {
    const fresh = freshStorePerTest(makeStore);
    const { account, mail, drain } = fresh.helpers;
    let store: Store;
    beforeEach(() => {
      store = fresh.store();
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

    /** What the gateway's pump would deliver to `device` at `now`: the mailbox less what has expired. */
    const deliverable = async (device: DeviceAddress, now: number, afterSeq = 0n): Promise<MailboxEntry[]> =>
      (await store.readMailbox(device, afterSeq, 1_000)).filter((entry) => !mailExpired(entry, now));
    const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

    test('an entry with an expiry is read with it, deliverable before it and not from it on, and swept then', async () => {
      const a = await account();
      const b = await account();
      const groupId = randomBytes(32);
      await store.createGroup({ groupId, epoch: 1n, creator: a, members: [b], welcome: mail(a, groupId), now: 1_000 });
      await drain(b);
      const item: MailItem = { ...mail(a, groupId), expiresAt: 5_000 };
      await store.sendToGroup(item, 2_000);
      const [entry] = await store.readMailbox(b, 0n, 10);
      assert.equal(entry?.expiresAt, 5_000);
      assert.deepEqual((await deliverable(b, 4_999)).map((e) => hex(e.messageId)), [hex(item.messageId)], 'delivered before its expiry');
      assert.equal(await store.expireMail(4_999, 100), 0, 'not swept before its expiry');
      assert.deepEqual(await deliverable(b, 5_000), [], 'not delivered from its expiry on');
      assert.equal(await store.expireMail(5_000, 100), 1);
      assert.equal(await store.countMailbox(b), 0, 'no row of it is left');
      assert.equal(await store.expireMail(5_000, 100), 0, 'sweeping again deletes nothing');
    });

    test('entries without an expiry read as 0 and are never swept by it', async () => {
      const a = await account();
      const b = await account();
      const groupId = randomBytes(32);
      await store.createGroup({ groupId, epoch: 1n, creator: a, members: [b], welcome: mail(a, groupId), now: 1_000 });
      await store.sendToGroup(mail(a, groupId), 2_000);
      await store.sendToGroup({ ...mail(a, groupId), expiresAt: 0 }, 2_000);
      const threat: MailItem = { kind: DeliveryKind.THREAT_NOTICE, sender: SERVER_REPORTER, groupId: new Uint8Array(), messageId: randomBytes(16), payload: randomBytes(8), epoch: 0n };
      await store.putSystemMail(b.username, threat, 2_000);
      const far = Number.MAX_SAFE_INTEGER;
      assert.deepEqual((await store.readMailbox(b, 0n, 10)).map((e) => e.expiresAt), [0, 0, 0, 0]);
      assert.equal(await store.expireMail(far, 100), 0);
      assert.equal((await deliverable(b, far)).length, 4, 'welcome, two messages and the notice');
    });

    test('a mixed batch: each entry keeps its own expiry for every recipient, the sweep takes only the expired and keeps its bound', async () => {
      const a = await account();
      const b = await account();
      const c = await account();
      const groupId = randomBytes(32);
      await store.createGroup({ groupId, epoch: 1n, creator: a, members: [b, c], welcome: mail(a, groupId), now: 1_000 });
      const [welcome] = await store.readMailbox(b, 0n, 10);
      // The reader is caught up before the batch, so a backend that keeps recent entries in memory serves the next reads from there.
      assert.deepEqual(await store.readMailbox(b, welcome!.seq, 10), []);
      const expiries = [3_000, 0, 6_000, undefined, 3_000];
      const items: MailItem[] = expiries.map((expiresAt) => ({ ...mail(a, groupId), ...(expiresAt === undefined ? {} : { expiresAt }) }));
      // Sent at once: a backend that batches writes puts them in one batch.
      await Promise.all(items.map((item) => store.sendToGroup(item, 2_000)));
      const ids = (entries: readonly MailboxEntry[]): string[] => entries.map((e) => hex(e.messageId));
      const expiriesOf = (entries: readonly MailboxEntry[]): (number | undefined)[] => {
        const byId = new Map(entries.map((e) => [hex(e.messageId), e.expiresAt]));
        return items.map((item) => byId.get(hex(item.messageId)));
      };
      // b reads on from its cursor (from memory, where a backend keeps one); c from the start (the table).
      const before = await store.readMailbox(b, welcome!.seq, 10);
      assert.deepEqual(expiriesOf(before), [3_000, 0, 6_000, 0, 3_000], 'each its own expiry');
      assert.deepEqual(expiriesOf((await store.readMailbox(c, 0n, 10)).slice(1)), [3_000, 0, 6_000, 0, 3_000]);
      assert.equal(await store.expireMail(3_000, 100), 4, 'two entries for each of two devices');
      assert.deepEqual(ids(await store.readMailbox(b, welcome!.seq, 10)), ids(before.filter((e) => e.expiresAt !== 3_000)), 'the rest, in seq order');
      assert.deepEqual(ids((await store.readMailbox(c, 0n, 10)).slice(1)), ids(before.filter((e) => e.expiresAt !== 3_000)));
      assert.equal(await store.expireMail(6_000, 1), 1, 'at most `limit` per call');
      assert.equal(await store.expireMail(6_000, 1), 1);
      assert.equal(await store.expireMail(6_000, 1), 0);
      for (const device of [b, c]) {
        assert.deepEqual(
          (await store.readMailbox(device, 0n, 10)).slice(1).map((e) => e.expiresAt),
          [0, 0],
          'only the entries without expiry are left',
        );
      }
      assert.deepEqual((await deliverable(b, Number.MAX_SAFE_INTEGER, welcome!.seq)).length, 2);
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
  });
}

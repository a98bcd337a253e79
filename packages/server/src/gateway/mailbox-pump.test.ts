/** @module gateway/mailbox-pump.test In-flight bound, coalesced passes, the drained notice, expired entries and entries carried by mail events, on a real in-memory store. */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DeliveryKind } from '@sotto/protocol';
import { createLogger } from '../logger.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import { mailExpired, type DeviceAddress, type MailboxEntry } from '../storage/types.js';
import type { Store } from '../storage/store.js';
import { ACK_FLUSH_MS, CARRIED_MAX, MailboxPump, MAX_IN_FLIGHT, type PumpSink } from './mailbox-pump.js';

const log = createLogger('test', { level: 'silent' });

describe('mailbox pump', () => {
  let store: SqliteStore;
  const a: DeviceAddress = { username: 'alice', deviceId: 'a1' };
  const b: DeviceAddress = { username: 'bob', deviceId: 'b1' };
  const groupId = new Uint8Array(randomBytes(32));

  beforeEach(async () => {
    store = new SqliteStore({ path: ':memory:' });
    for (const device of [a, b]) {
      await store.createAccount({ ...device, identityKey: new Uint8Array(32), requireInvite: false, now: 1 });
    }
    await store.createGroup({
      groupId,
      epoch: 1n,
      creator: a,
      members: [b],
      welcome: { kind: DeliveryKind.MLS_WELCOME, sender: a, groupId, messageId: new Uint8Array(), payload: new Uint8Array([1]), epoch: 1n },
      now: 1,
    });
  });
  afterEach(() => store.close());

  async function send(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const item = { kind: DeliveryKind.MLS_MESSAGE, sender: a, groupId, messageId: new Uint8Array(randomBytes(16)), payload: new Uint8Array([i & 0xff]), epoch: 0n };
      await store.sendToGroup(item, 2);
    }
  }

  function sink(
    options: { failOn?: (entry: MailboxEntry) => boolean; whenWritable?: () => Promise<void> | undefined } = {},
  ): PumpSink & { seqs: bigint[]; drainedCounts: number[] } {
    const seqs: bigint[] = [];
    const drainedCounts: number[] = [];
    return {
      seqs,
      drainedCounts,
      deliver(entry) {
        if (options.failOn?.(entry)) throw new Error('cannot encode');
        seqs.push(entry.seq);
        return Promise.resolve();
      },
      whenWritable: options.whenWritable ?? (() => undefined),
      drained: (count) => drainedCounts.push(count),
    };
  }

  /** The store as the pump sees it, counting its reads. */
  function counted(): { view: Store; reads: () => number } {
    let reads = 0;
    const view = {
      readMailbox: (...args: Parameters<Store['readMailbox']>) => {
        reads += 1;
        return store.readMailbox(...args);
      },
      ackMailbox: (...args: Parameters<Store['ackMailbox']>) => store.ackMailbox(...args),
    } as unknown as Store;
    return { view, reads: () => reads };
  }

  test('keeps at most MAX_IN_FLIGHT un-acked, resumes on ack, and reports the initial drain once', async () => {
    await send(MAX_IN_FLIGHT + 499); // plus the welcome: MAX_IN_FLIGHT + 500 entries
    const out = sink();
    const { view, reads } = counted();
    let reportedReads = 0;
    const pump = new MailboxPump(view, b, out, () => log, () => false, { carried: () => {}, read: () => (reportedReads += 1) });
    pump.trigger();
    await pump.idle();
    assert.equal(out.seqs.length, MAX_IN_FLIGHT);
    assert.equal(pump.unacked, MAX_IN_FLIGHT);
    assert.deepEqual(out.drainedCounts, [], 'not drained while blocked');
    assert.equal(reportedReads, reads(), 'every read is counted, the peek at a full window too');

    pump.ack(out.seqs.slice(0, 500));
    await pump.idle();
    await pump.flushAcks();
    assert.equal(out.seqs.length, MAX_IN_FLIGHT + 500);
    assert.deepEqual(out.drainedCounts, [MAX_IN_FLIGHT + 500]);
    assert.equal(new Set(out.seqs).size, out.seqs.length, 'nothing sent twice');
    assert.ok(out.seqs.every((seq, i) => i === 0 || seq > out.seqs[i - 1]!), 'mailbox order');
    assert.equal(await store.countMailbox(b), MAX_IN_FLIGHT);

    pump.ack(out.seqs.slice(500));
    await send(3);
    pump.trigger();
    await pump.idle();
    assert.equal(out.seqs.length, MAX_IN_FLIGHT + 503);
    assert.deepEqual(out.drainedCounts, [MAX_IN_FLIGHT + 500], 'the drained notice is sent once');
    await pump.stop();
  });

  test('acks free the window at once and reach the store together within ACK_FLUSH_MS, or at stop', async () => {
    await send(20);
    const total = await store.countMailbox(b);
    const out = sink();
    const pump = new MailboxPump(store, b, out, () => log, () => false);
    pump.trigger();
    await pump.idle();
    const delivered = out.seqs.slice();
    assert.equal(delivered.length, total);
    assert.equal(pump.unacked, total);
    for (const seq of delivered.slice(0, 10)) pump.ack([seq]);
    assert.equal(pump.unacked, delivered.length - 10, 'the window is freed before anything is written');
    assert.equal(await store.countMailbox(b), total, 'not yet deleted');
    await new Promise((resolve) => setTimeout(resolve, ACK_FLUSH_MS * 5));
    assert.equal(await store.countMailbox(b), total - 10, 'ten acks, written together by the timer');
    pump.ack(delivered.slice(10));
    await pump.stop();
    assert.equal(await store.countMailbox(b), 0, 'stop writes the acks still waiting');
  });

  test('triggers during a pass coalesce into one more pass, never a concurrent one', async () => {
    await send(450);
    const out = sink();
    const pump = new MailboxPump(store, b, out, () => log, () => false);
    for (let i = 0; i < 5; i++) pump.trigger();
    await send(10);
    pump.trigger();
    await pump.idle();
    assert.equal(out.seqs.length, 461);
    assert.equal(new Set(out.seqs).size, 461);
    await pump.stop();
  });

  test('an entry that cannot be sent is skipped, not retried forever', async () => {
    await send(3);
    const out = sink({ failOn: (entry) => entry.kind === DeliveryKind.MLS_MESSAGE && entry.payload[0] === 1 });
    const pump = new MailboxPump(store, b, out, () => log, () => false);
    pump.trigger();
    await pump.idle();
    assert.equal(out.seqs.length, 3, 'welcome and two of three messages');
    assert.deepEqual(out.drainedCounts, [3]);
    await pump.stop();
  });

  test('a connection without room for more gets nothing more until it has room, then the rest in order', async () => {
    await send(9); // plus the welcome: 10 entries
    let room: (() => void) | undefined;
    let full = false;
    const out = sink({ whenWritable: () => (full ? new Promise<void>((resolve) => (room = resolve)) : undefined) });
    const deliver = out.deliver.bind(out);
    // The socket fills after the fourth entry, as a client that stopped reading would make it.
    out.deliver = (entry) => {
      const sent = deliver(entry);
      if (out.seqs.length === 4) full = true;
      return sent;
    };
    const pump = new MailboxPump(store, b, out, () => log, () => false);
    pump.trigger();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(out.seqs.length, 4, 'nothing more while full');
    full = false;
    room!();
    await pump.idle();
    assert.equal(out.seqs.length, 10);
    assert.ok(out.seqs.every((seq, i) => i === 0 || seq > out.seqs[i - 1]!), 'mailbox order');
    await pump.stop();
  });

  describe('entries carried by mail events', () => {
    /** Stores `count` messages and returns b's copies as the store holds them: what a node would publish. */
    async function stored(count: number): Promise<MailboxEntry[]> {
      const before = (await store.readMailbox(b, 0n, 10_000)).at(-1)?.seq ?? 0n;
      await send(count);
      return store.readMailbox(b, before, count);
    }

    /** A pump past its initial drain (the welcome), with its reads counted, and what it reported to the metrics. */
    async function drainedPump(out: PumpSink): Promise<{ pump: MailboxPump; reads: () => number; reported: { carried: number; reads: number } }> {
      const { view, reads } = counted();
      const reported = { carried: 0, reads: 0 };
      const counts = { carried: (entries: number) => (reported.carried += entries), read: () => (reported.reads += 1) };
      const pump = new MailboxPump(view, b, out, () => log, () => false, counts);
      pump.trigger();
      await pump.idle();
      return { pump, reads, reported };
    }

    test('the next entries are delivered as carried, in order, without reading the store', async () => {
      const out = sink();
      const { pump, reads, reported } = await drainedPump(out);
      const readsAfterDrain = reads();
      const entries = await stored(3);
      for (const entry of entries) pump.offer(entry);
      await pump.idle();
      assert.deepEqual(out.seqs.slice(1), entries.map((e) => e.seq));
      assert.equal(reads(), readsAfterDrain, 'no read for carried entries');
      assert.deepEqual(reported, { carried: 3, reads: reads() }, 'the metrics count the carried entries and every read');
      await pump.stop();
    });

    test('a gap reads the store: every entry once, in order, whatever order the events arrive in', async () => {
      const out = sink();
      const { pump, reads, reported } = await drainedPump(out);
      const readsAfterDrain = reads();
      const [first, second, third] = await stored(3);
      pump.offer(second!); // the event for `first` is still on its way (another node published it)
      await pump.idle();
      assert.ok(reads() > readsAfterDrain, 'the store was read');
      pump.offer(first!);
      pump.offer(third!);
      await pump.idle();
      assert.deepEqual(out.seqs.slice(1), [first!.seq, second!.seq, third!.seq], 'each once, in mailbox order');
      assert.equal(reported.reads, reads(), 'every read is counted');
      assert.equal(reported.carried, 0, 'the read had delivered them all; late events are not counted as carried');
      await pump.stop();
    });

    test('before the initial drain an offered entry reads the store, and nothing is sent twice', async () => {
      const [entry] = await stored(1);
      const out = sink();
      const { view, reads } = counted();
      const pump = new MailboxPump(view, b, out, () => log, () => false);
      pump.offer(entry!);
      await pump.idle();
      assert.equal(reads(), 1);
      assert.equal(out.seqs.length, 2, 'the welcome and the entry');
      assert.deepEqual(out.drainedCounts, [2]);
      await pump.stop();
    });

    test('a mail event without an entry reads the store even while carried entries are held', async () => {
      const out = sink();
      const { pump } = await drainedPump(out);
      const [carried] = await stored(1);
      const [announcedOnly] = await stored(1); // e.g. a commit, announced without its entry
      pump.offer(carried!);
      pump.trigger();
      await pump.idle();
      assert.deepEqual(out.seqs.slice(1), [carried!.seq, announcedOnly!.seq]);
      await pump.stop();
    });

    test('more than the pump keeps, offered while the connection is full: each entry once, in order', async () => {
      let room: (() => void) | undefined;
      let full = false;
      const out = sink({ whenWritable: () => (full ? new Promise<void>((resolve) => (room = resolve)) : undefined) });
      const { pump } = await drainedPump(out);
      const [head, ...rest] = await stored(CARRIED_MAX + 10);
      full = true;
      pump.offer(head!);
      await new Promise((resolve) => setTimeout(resolve, 10));
      for (const entry of rest) pump.offer(entry);
      pump.offer(rest[0]!); // a duplicate event
      full = false;
      room!();
      await pump.idle();
      assert.equal(out.seqs.length, 1 + CARRIED_MAX + 10);
      assert.equal(new Set(out.seqs).size, out.seqs.length, 'nothing sent twice');
      assert.ok(out.seqs.every((seq, i) => i === 0 || seq > out.seqs[i - 1]!), 'mailbox order');
      await pump.stop();
    });
  });

  test('a stopped pump sends nothing more', async () => {
    await send(5);
    const out = sink();
    const pump = new MailboxPump(store, b, out, () => log, () => false);
    await pump.stop();
    pump.trigger();
    await pump.idle();
    assert.equal(out.seqs.length, 0);
  });

  test('entries past their expiry are never delivered and are deleted before the drained notice; a later connection skips what expired since', async () => {
    const expiries = [100, undefined, 100, 300, undefined];
    for (const [i, expiresAt] of expiries.entries()) {
      const item = { kind: DeliveryKind.MLS_MESSAGE, sender: a, groupId, messageId: new Uint8Array(randomBytes(16)), payload: new Uint8Array([i]), epoch: 0n };
      await store.sendToGroup(expiresAt === undefined ? item : { ...item, expiresAt }, 2);
    }
    let now = 200;
    const expired = (entry: MailboxEntry): boolean => mailExpired(entry, now);
    const out = sink();
    let storedAtDrain: Promise<number> | undefined;
    out.drained = (count) => {
      out.drainedCounts.push(count);
      storedAtDrain = store.countMailbox(b);
    };
    const pump = new MailboxPump(store, b, out, () => log, expired);
    pump.trigger();
    await pump.idle();
    const payloads = async (seqs: readonly bigint[]): Promise<number[]> => {
      const entries = await store.readMailbox(b, 0n, 100);
      return seqs.map((seq) => entries.find((e) => e.seq === seq)?.payload[0] ?? -1);
    };
    assert.deepEqual(await payloads(out.seqs.slice(1)), [1, 3, 4], 'the welcome, then only the entries not expired');
    assert.deepEqual(out.drainedCounts, [4]);
    assert.equal(await storedAtDrain, 4, 'the two expired entries were deleted before the drained notice');
    await pump.stop();

    // Nothing was acked; at 300 the entry with expiry 300 has expired too and the next connection skips it.
    now = 300;
    const again = sink();
    const next = new MailboxPump(store, b, again, () => log, expired);
    next.trigger();
    await next.idle();
    await next.stop();
    assert.equal(again.seqs.length, 3, 'the welcome and the two entries without expiry');
    assert.deepEqual(again.drainedCounts, [3]);
    assert.equal(await store.countMailbox(b), 3);
  });
});

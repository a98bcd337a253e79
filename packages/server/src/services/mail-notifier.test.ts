/**
 * @module services/mail-notifier.test
 * What a mail event carries. On PostgreSQL a send's event carries each recipient's entry exactly as
 * the mailbox holds it (what readMailbox returns), through the function (a lone send) and through
 * the statements (a large batch); on SQLite, which gives no seqs, for a payload over
 * CARRIED_PAYLOAD_MAX, for mail to more than CARRIED_RECIPIENTS_MAX devices, and with
 * `--no-bus-entries`, the event only says "look in the mailbox".
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DeliveryKind } from '@sotto/protocol';
import { CARRIED_PAYLOAD_MAX, type BusEvent } from '../bus/bus.js';
import { LocalBus } from '../bus/local/local-bus.js';
import { createLogger } from '../logger.js';
import { PostgresStore } from '../storage/postgres/postgres-store.js';
import { describeWithPostgres, withTestSchema, type TestSchema } from '../storage/postgres/test-database.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import type { Store } from '../storage/store.js';
import type { DeviceAddress, MailItem } from '../storage/types.js';
import { CARRIED_RECIPIENTS_MAX, MailNotifier } from './mail-notifier.js';

const log = createLogger('test', { level: 'silent' });
const ann: DeviceAddress = { username: 'ann', deviceId: 'a1' };
const members: DeviceAddress[] = [{ username: 'bea', deviceId: 'b1' }, { username: 'cid', deviceId: 'c1' }];
const groupId = new Uint8Array(32).fill(5);

async function withGroup(store: Store): Promise<void> {
  for (const device of [ann, ...members]) await store.createAccount({ ...device, identityKey: new Uint8Array(32), requireInvite: false, now: 1 });
  const welcome: MailItem = { kind: DeliveryKind.MLS_WELCOME, sender: ann, groupId, messageId: new Uint8Array(16), payload: new Uint8Array([1]), epoch: 1n };
  await store.createGroup({ groupId, epoch: 1n, creator: ann, members, welcome, now: 2 });
}

/** The events each member's subscription heard. */
function listen(bus: LocalBus): Map<string, BusEvent[]> {
  const heard = new Map<string, BusEvent[]>();
  for (const device of members) {
    heard.set(device.username, []);
    bus.subscribe(device, (event) => heard.get(device.username)!.push(event));
  }
  return heard;
}

const item = (payloadBytes: number, expiresAt?: number): MailItem => ({
  kind: DeliveryKind.MLS_MESSAGE, sender: ann, groupId, messageId: new Uint8Array(randomBytes(16)), payload: new Uint8Array(randomBytes(payloadBytes)), epoch: 0n,
  ...(expiresAt === undefined ? {} : { expiresAt }),
});

await describeWithPostgres('mail events on PostgreSQL', () => {
  let schema: TestSchema;
  let store: PostgresStore;
  before(async () => {
    schema = await withTestSchema();
    store = await PostgresStore.connect(schema.url, { maxConnections: 4 });
    await withGroup(store);
  });
  after(async () => {
    await store.close();
    await schema.drop();
  });

  test('a send\'s event carries each recipient\'s entry as the mailbox holds it; one over CARRIED_PAYLOAD_MAX only announces', async () => {
    const bus = new LocalBus();
    const heard = listen(bus);
    const notifier = new MailNotifier(bus, log);
    // A lone send (the function), one with an expiry, and 40 at once (a batch that goes as statements).
    const lone = item(200);
    await notifier.stored(await store.sendToGroup(lone, 10), { item: lone });
    const expiring = item(CARRIED_PAYLOAD_MAX, 99_000);
    await notifier.stored(await store.sendToGroup(expiring, 11), { item: expiring });
    const many = Array.from({ length: 40 }, () => item(64));
    const stored = await Promise.all(many.map((m) => store.sendToGroup(m, 12)));
    await Promise.all(stored.map((mail, i) => notifier.stored(mail, { item: many[i]! })));
    const large = item(CARRIED_PAYLOAD_MAX + 1);
    await notifier.stored(await store.sendToGroup(large, 13), { item: large });

    for (const device of members) {
      const events = heard.get(device.username)!;
      assert.equal(events.length, 43);
      const mailbox = await store.readMailbox(device, 1n, 100); // after the welcome
      assert.equal(mailbox.length, 43);
      const carried = events.flatMap((e) => (e.kind === 'mail' && e.entry ? [e.entry] : []));
      assert.equal(carried.length, 42, 'all but the large one carried');
      for (const entry of carried) assert.deepEqual(entry, mailbox.find((m) => m.seq === entry.seq), 'exactly what a read returns');
      assert.deepEqual(events.at(-1), { kind: 'mail' });
    }
  });
});

test('on SQLite (no seqs from the store) a send\'s event only announces', async () => {
  const store = new SqliteStore({ path: ':memory:' });
  await withGroup(store);
  const bus = new LocalBus();
  const heard = listen(bus);
  const one = item(100);
  await new MailNotifier(bus, log).stored(await store.sendToGroup(one, 10), { item: one });
  for (const device of members) assert.deepEqual(heard.get(device.username), [{ kind: 'mail' }]);
  store.close();
});

test('mail to more than CARRIED_RECIPIENTS_MAX devices, or with carrying turned off, only announces', async () => {
  const many = Array.from({ length: CARRIED_RECIPIENTS_MAX + 1 }, (_, i): DeviceAddress => ({ username: `m${i}`, deviceId: 'd1' }));
  const heard: BusEvent[] = [];
  const bus = new LocalBus();
  for (const device of many) bus.subscribe(device, (event) => heard.push(event));
  const one = item(10);
  const stored = (recipients: DeviceAddress[]) => ({ storedAt: 5, duplicate: false, recipients, seqs: recipients.map((_, i) => BigInt(i + 1)) });
  await new MailNotifier(bus, log).stored(stored(many), { item: one });
  assert.ok(heard.length === many.length && heard.every((e) => e.kind === 'mail' && e.entry === undefined), 'a large fan-out only announces');
  heard.length = 0;
  await new MailNotifier(bus, log).stored(stored(many.slice(0, CARRIED_RECIPIENTS_MAX)), { item: one });
  assert.ok(heard.length === CARRIED_RECIPIENTS_MAX && heard.every((e) => e.kind === 'mail' && e.entry !== undefined), 'up to the bound, each event carries');
  heard.length = 0;
  await new MailNotifier(bus, log, undefined, undefined, false).stored(stored(many.slice(0, 2)), { item: one });
  assert.deepEqual(heard, [{ kind: 'mail' }, { kind: 'mail' }], '--no-bus-entries');
});

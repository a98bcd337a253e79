/** @module bus/bus.contract */
// The bus contract suite every adapter runs (`runBusContract`). Negative
// checks ("B did not get A's event") publish a marker afterwards and wait for
// it, instead of sleeping, so they hold on asynchronous transports too.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DeliveryKind, NoticeKind } from '@sotto/protocol';
import { BusClosedError, type Bus, type BusEvent, type DeviceAddress } from './bus.js';

const WAIT_MS = 5_000;

/** A fresh device address no other test uses. */
export function device(): DeviceAddress {
  return { username: `u${randomUUID().slice(0, 8)}`, deviceId: randomUUID().replaceAll('-', '').slice(0, 16) };
}

/** Records events and lets a test wait until a predicate holds. */
export class Recorder {
  readonly events: BusEvent[] = [];
  private waiters: (() => void)[] = [];

  readonly handler = (event: BusEvent): void => {
    this.events.push(event);
    for (const wake of this.waiters.splice(0)) wake();
  };

  async until(predicate: (events: readonly BusEvent[]) => boolean): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!predicate(this.events)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; got ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** An event to publish last and wait for, proving nothing sent before it is still on its way. */
export const marker = (id: string): BusEvent => ({ kind: 'replaced', connectionId: id });
export const hasMarker = (id: string) => (events: readonly BusEvent[]) => events.some((e) => e.kind === 'replaced' && e.connectionId === id);

export interface BusContractOptions {
  /** Skip the whole suite, with the reason shown in the report (a service that is not running). */
  readonly skip?: string;
}

/**
 * `makeBus` is called once for the shared bus and again by tests that need a
 * bus of their own; every bus it returns must route to the others (the same
 * process for the local bus, the same cluster for NATS).
 */
export function runBusContract(name: string, makeBus: () => Promise<Bus>, options: BusContractOptions = {}): void {
  describe(`bus contract: ${name}`, options.skip ? { skip: options.skip } : {}, () => {
    let bus: Bus;
    before(async () => {
      bus = await makeBus();
    });
    after(async () => {
      await bus.close();
    });

    test('an event reaches the subscribers of its device and no other device', async () => {
      const a = device();
      const b = device();
      const atA = new Recorder();
      const atB = new Recorder();
      bus.subscribe(a, atA.handler);
      bus.subscribe(b, atB.handler);
      await bus.publish(a, { kind: 'mail' });
      const done = randomUUID();
      await bus.publish(b, marker(done));
      await atA.until((events) => events.length === 1);
      await atB.until(hasMarker(done));
      assert.deepEqual(atA.events, [{ kind: 'mail' }]);
      assert.deepEqual(atB.events, [marker(done)]);
    });

    test('a mail event carrying its entry arrives with the entry intact, bytes and 64-bit numbers included', async () => {
      const a = device();
      const atA = new Recorder();
      bus.subscribe(a, atA.handler);
      const entry = {
        seq: 2n ** 62n + 1n, kind: DeliveryKind.MLS_MESSAGE, sender: { username: 'alice', deviceId: 'd-1' },
        groupId: new Uint8Array(32).fill(3), messageId: new Uint8Array(16).fill(4), payload: Uint8Array.from({ length: 300 }, (_, i) => i & 0xff),
        epoch: 2n ** 60n, storedAt: 1_700_000_000_123, expiresAt: 1_700_000_060_123,
      };
      await bus.publish(a, { kind: 'mail', entry });
      await atA.until((events) => events.length === 1);
      assert.deepEqual(atA.events, [{ kind: 'mail', entry }]);
    });

    test('devices of one account are separate', async () => {
      const a = device();
      const sibling = { username: a.username, deviceId: `${a.deviceId}x` };
      const atSibling = new Recorder();
      bus.subscribe(sibling, atSibling.handler);
      await bus.publish(a, { kind: 'mail' });
      const done = randomUUID();
      await bus.publish(sibling, marker(done));
      await atSibling.until(hasMarker(done));
      assert.deepEqual(atSibling.events, [marker(done)]);
    });

    test('a device is held while it has a subscriber, and not after the last one left', async () => {
      const a = device();
      assert.equal(await bus.isHeld(a), false, 'nobody subscribed yet');
      const first = bus.subscribe(a, () => {});
      const second = bus.subscribe(a, () => {});
      assert.equal(await bus.isHeld(a), true);
      first();
      assert.equal(await bus.isHeld(a), true, 'one subscriber is left');
      second();
      assert.equal(await bus.isHeld(a), false, 'the last subscriber left');
      assert.equal(await bus.isHeld({ username: a.username, deviceId: `${a.deviceId}x` }), false, 'a sibling device is not held');
    });

    test('every subscriber of a device gets the event', async () => {
      const a = device();
      const recorders = [new Recorder(), new Recorder(), new Recorder()];
      for (const r of recorders) bus.subscribe(a, r.handler);
      await bus.publish(a, { kind: 'mail' });
      for (const r of recorders) await r.until((events) => events.length === 1);
    });

    test('the same handler subscribed twice is called twice, and unsubscribing one leaves the other', async () => {
      const a = device();
      const r = new Recorder();
      const first = bus.subscribe(a, r.handler);
      bus.subscribe(a, r.handler);
      await bus.publish(a, { kind: 'mail' });
      await r.until((events) => events.length === 2);
      first();
      const done = randomUUID();
      await bus.publish(a, marker(done));
      await r.until(hasMarker(done));
      assert.equal(r.events.length, 3);
    });

    test('after unsubscribing, a handler gets nothing more', async () => {
      const a = device();
      const gone = new Recorder();
      const stays = new Recorder();
      const unsubscribe = bus.subscribe(a, gone.handler);
      bus.subscribe(a, stays.handler);
      unsubscribe();
      unsubscribe(); // twice is harmless
      await bus.publish(a, { kind: 'mail' });
      const done = randomUUID();
      await bus.publish(a, marker(done));
      await stays.until(hasMarker(done));
      assert.deepEqual(gone.events, []);
    });

    test('events keep their order and their fields', async () => {
      const a = device();
      const r = new Recorder();
      bus.subscribe(a, r.handler);
      const sent: BusEvent[] = [
        { kind: 'mail' },
        { kind: 'notice', notice: { kind: NoticeKind.KEY_PACKAGES_LOW, count: 3, message: 'Upload more key packages.' } },
        { kind: 'replaced', connectionId: randomUUID() },
        { kind: 'mail' },
      ];
      for (const event of sent) await bus.publish(a, event);
      await r.until((events) => events.length === sent.length);
      assert.deepEqual(r.events, sent);
    });

    test('publishing to a device nobody listens to is fine', async () => {
      await bus.publish(device(), { kind: 'mail' });
    });

    test('among many devices, each gets exactly its own events', async () => {
      const devices = Array.from({ length: 50 }, device);
      const recorders = devices.map((d) => {
        const r = new Recorder();
        bus.subscribe(d, r.handler);
        return r;
      });
      const notice = (i: number): BusEvent => ({ kind: 'notice', notice: { kind: NoticeKind.KEY_PACKAGES_LOW, count: i, message: 'm' } });
      await Promise.all(devices.map((d, i) => bus.publish(d, notice(i))));
      for (const [i, r] of recorders.entries()) {
        const done = randomUUID();
        await bus.publish(devices[i]!, marker(done));
        await r.until(hasMarker(done));
        assert.deepEqual(r.events, [notice(i), marker(done)]);
      }
    });

    test('a burst from one publisher to one device arrives complete and in order', async () => {
      // Publishes are started without awaiting each one: order is that of the calls, not of the resolutions.
      const a = device();
      const r = new Recorder();
      bus.subscribe(a, r.handler);
      const sent: BusEvent[] = Array.from({ length: 300 }, (_, i): BusEvent =>
        i % 50 === 49
          ? { kind: 'replaced', connectionId: `c${i}` }
          : { kind: 'notice', notice: { kind: NoticeKind.KEY_PACKAGES_LOW, count: i, message: '' } },
      );
      await Promise.all(sent.map((event) => bus.publish(a, event)));
      await r.until((events) => events.length >= sent.length);
      assert.deepEqual(r.events, sent);
    });

    test('a bus is connected until closed, and its health events can be listened to and released', async () => {
      assert.equal(bus.connected, true);
      const stopDown = bus.onDidDisconnect(() => {});
      const stopUp = bus.onDidReconnect(() => {});
      stopDown();
      stopUp();
      stopDown(); // twice is harmless
    });

    test('after close, publish is refused, subscribe is inert and no handler is called', async () => {
      const own = await makeBus();
      const a = device();
      const before = new Recorder();
      own.subscribe(a, before.handler);
      await own.close();
      await own.close(); // twice is harmless
      assert.equal(own.connected, false);
      await assert.rejects(own.publish(a, { kind: 'mail' }), BusClosedError);
      const after = new Recorder();
      const unsubscribe = own.subscribe(a, after.handler);
      unsubscribe();
      // Events from a live bus (another node, for a transport) no longer reach the closed one.
      const live = new Recorder();
      bus.subscribe(a, live.handler);
      await bus.publish(a, { kind: 'mail' });
      const done = randomUUID();
      await bus.publish(a, marker(done));
      await live.until(hasMarker(done));
      assert.deepEqual(before.events, []);
      assert.deepEqual(after.events, []);
    });

    test('a throwing handler does not keep the event from the others', async () => {
      const a = device();
      const r = new Recorder();
      bus.subscribe(a, () => {
        throw new Error('subscriber bug');
      });
      bus.subscribe(a, r.handler);
      await bus.publish(a, { kind: 'mail' });
      await r.until((events) => events.length === 1);
    });
  });
}

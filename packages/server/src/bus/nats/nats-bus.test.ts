/** @module bus/nats/nats-bus.test The NATS bus runs the bus contract suite, then what only a cluster has: several nodes. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import { DeliveryKind, NoticeKind } from '@sotto/protocol';
import { ConfigError } from '../../errors.js';
import { BusUnavailableError, CARRIED_PAYLOAD_MAX } from '../bus.js';
import { device, hasMarker, marker, Recorder, runBusContract } from '../bus.contract.js';
import { createNatsBus } from './create-nats-bus.js';
import type { NatsBus } from './nats-bus.js';
import { NATS_URL, natsSkipReason, quietLogger, uniqueCluster } from './nats-test-env.js';
import { deviceSubject } from './subject.js';

const skip = await natsSkipReason();
const cluster = uniqueCluster();
const node = (name: string, inCluster = cluster): Promise<NatsBus> => createNatsBus(NATS_URL, { cluster: inCluster, name, logger: quietLogger() });

runBusContract('nats', () => node('contract'), skip ? { skip } : {});

describe('NatsBus: start-up', () => {
  test('an unreachable server is a clear error', async () => {
    await assert.rejects(createNatsBus('nats://127.0.0.1:1', { logger: quietLogger(), connectTimeoutMs: 1_000 }), (error: unknown) => {
      assert.ok(error instanceof BusUnavailableError);
      assert.match(error.message, /^cannot reach NATS at nats:\/\/127\.0\.0\.1:1: connection refused/);
      return true;
    });
  });

  test('a cluster name that is not one subject token is refused before connecting', async () => {
    for (const bad of ['', 'a.b', 'a*', 'a>', 'a b', 'x'.repeat(65)]) {
      await assert.rejects(createNatsBus('nats://127.0.0.1:1', { cluster: bad, logger: quietLogger() }), ConfigError);
    }
  });

  test('a subject names no member: only a digest of username and device id', () => {
    const subject = deviceSubject('prod', { username: 'alice', deviceId: 'd1' });
    assert.match(subject, /^sotto\.prod\.dev\.[0-9a-f]{64}$/);
    assert.doesNotMatch(subject, /alice|d1\b/);
    assert.notEqual(subject, deviceSubject('prod', { username: 'alice', deviceId: 'd2' }));
    // NUL separates the parts, so ("ab", "c") and ("a", "bc") differ.
    assert.notEqual(deviceSubject('p', { username: 'ab', deviceId: 'c' }), deviceSubject('p', { username: 'a', deviceId: 'bc' }));
  });
});

describe('NatsBus: two nodes', skip ? { skip } : {}, () => {
  let a: NatsBus;
  let b: NatsBus;
  let raw: NatsConnection;
  before(async () => {
    [a, b] = await Promise.all([node('node-a'), node('node-b')]);
    raw = await connect({ servers: NATS_URL, name: 'bus-test-raw' });
  });
  after(async () => {
    await Promise.all([a.close(), b.close(), raw.close()]);
  });

  test('an event published on node A reaches a subscriber on node B', async () => {
    const d = device();
    const atB = new Recorder();
    b.subscribe(d, atB.handler);
    await b.flush(); // the subscription is known to the server
    await a.publish(d, { kind: 'mail' });
    await atB.until((events) => events.length === 1);
    assert.deepEqual(atB.events, [{ kind: 'mail' }]);
  });

  test('a mail event whose entry the codec refuses still announces the mail, without the entry', async () => {
    const d = device();
    const atB = new Recorder();
    b.subscribe(d, atB.handler);
    await b.flush();
    const entry = {
      seq: 1n, kind: DeliveryKind.MLS_MESSAGE, sender: { username: 'alice', deviceId: 'd-1' }, groupId: new Uint8Array(32),
      messageId: new Uint8Array(16), payload: new Uint8Array(CARRIED_PAYLOAD_MAX + 1), epoch: 0n, storedAt: 1, expiresAt: 0,
    };
    await a.publish(d, { kind: 'mail', entry });
    await atB.until((events) => events.length === 1);
    assert.deepEqual(atB.events, [{ kind: 'mail' }]);
  });

  test('a device held on node B is held as node A sees it, until B lets it go', async () => {
    const d = device();
    assert.equal(await a.isHeld(d), false);
    const stop = b.subscribe(d, () => {});
    await b.flush(); // the subscription is known to the server
    assert.equal(await a.isHeld(d), true);
    stop();
    await b.flush();
    assert.equal(await a.isHeld(d), false);
  });

  test('a takeover on node B has reached node A once publish resolves', async () => {
    // The old connection lives on A, the new one on B; B subscribes before claiming, as the gateway does.
    const d = device();
    const oldAtA = new Recorder();
    const newAtB = new Recorder();
    a.subscribe(d, oldAtA.handler);
    await a.flush();
    b.subscribe(d, newAtB.handler);
    await b.publish(d, { kind: 'replaced', connectionId: 'new' });
    // B's own subscriber shares B's connection, so its copy was read before the confirming PONG.
    assert.deepEqual(newAtB.events, [{ kind: 'replaced', connectionId: 'new' }]);
    // The server had routed A's copy before confirming to B; one round-trip on A proves it is there, with no waiting or polling.
    await a.flush();
    assert.deepEqual(oldAtA.events, [{ kind: 'replaced', connectionId: 'new' }]);
  });

  test('unsubscribing stops delivery, and the last one releases the NATS subscription', async () => {
    const d = device();
    const other = device();
    const base = b.subscriptionCount;
    const gone = new Recorder();
    const first = b.subscribe(d, gone.handler);
    const second = b.subscribe(d, gone.handler);
    assert.equal(b.subscriptionCount, base + 1, 'one NATS subscription per device, however many handlers');
    first();
    assert.equal(b.subscriptionCount, base + 1);
    second();
    assert.equal(b.subscriptionCount, base);
    const probe = new Recorder();
    b.subscribe(other, probe.handler);
    await b.flush(); // the UNSUB reached the server
    await a.publish(d, { kind: 'mail' });
    const done = randomUUID();
    await a.publish(other, marker(done));
    // One publisher's events reach one node in order, so the mail would have come before the marker.
    await probe.until(hasMarker(done));
    assert.deepEqual(gone.events, []);
  });

  test('publishing to a device no node holds is harmless, for every kind', async () => {
    const d = device();
    await a.publish(d, { kind: 'mail' });
    await a.publish(d, { kind: 'replaced', connectionId: 'c' });
    await a.publish(d, { kind: 'notice', notice: { kind: NoticeKind.KEY_PACKAGES_LOW, count: 1, message: 'm' } });
    assert.equal(a.connected, true);
  });

  test('close drains: an event published just before close still arrives', async () => {
    const leaving = await node('leaving');
    const d = device();
    const atB = new Recorder();
    b.subscribe(d, atB.handler);
    await b.flush();
    await leaving.publish(d, { kind: 'mail' }); // not confirmed: still in the client's buffer
    await leaving.close();
    assert.equal(leaving.connected, false);
    await atB.until((events) => events.length === 1);
  });

  test('nodes of different clusters never see each other, even for the same device', async () => {
    const elsewhere = await node('node-c', uniqueCluster());
    try {
      const d = device();
      const here = new Recorder();
      const there = new Recorder();
      b.subscribe(d, here.handler);
      elsewhere.subscribe(d, there.handler);
      await Promise.all([b.flush(), elsewhere.flush()]);
      await a.publish(d, { kind: 'mail' });
      const done = randomUUID();
      await elsewhere.publish(d, marker(done));
      await here.until((events) => events.length === 1);
      await there.until(hasMarker(done));
      assert.deepEqual(here.events, [{ kind: 'mail' }]);
      assert.deepEqual(there.events, [marker(done)]);
    } finally {
      await elsewhere.close();
    }
  });

  test('on the wire: the subject hides the member, the event names its node', async () => {
    const d = { username: 'wire-test-user', deviceId: 'wire-test-device' };
    const seen: { subject: string; text: string }[] = [];
    const sub = raw.subscribe(`sotto.${cluster}.dev.>`, { callback: (_error, msg) => seen.push({ subject: msg.subject, text: msg.string() }) });
    await raw.flush();
    await a.publish(d, { kind: 'mail' });
    await a.flush(); // mail is not confirmed by publish: the server has it only after A's round-trip
    await raw.flush();
    const mine = seen.filter((s) => s.subject === deviceSubject(cluster, d));
    assert.equal(mine.length, 1);
    assert.doesNotMatch(mine[0]!.subject, /wire-test/);
    assert.deepEqual(JSON.parse(mine[0]!.text), { v: 1, n: a.nodeId, e: { kind: 'mail' } });
    sub.unsubscribe();
  });

  test('malformed events on a device subject are dropped; the next good one is delivered', async () => {
    const d = device();
    const r = new Recorder();
    b.subscribe(d, r.handler);
    await b.flush();
    const subject = deviceSubject(cluster, d);
    const bad = [
      'not json',
      '{"v":1,"n":"x","e":{"kind":"mail"},"extra":1}',
      '{"v":2,"n":"x","e":{"kind":"mail"}}',
      '{"v":1,"n":"x","e":{"kind":"explode"}}',
      '{"v":1,"n":"x","e":{"kind":"replaced","connectionId":""}}',
      '{"v":1,"n":"x","e":{"kind":"notice","notice":{"kind":999,"count":1,"message":""}}}',
      `{"v":1,"n":"x","e":{"kind":"mail"},"pad":"${'x'.repeat(4096)}"}`,
      new Uint8Array([0xff, 0xfe, 0x00]),
    ];
    for (const payload of bad) raw.publish(subject, payload);
    raw.publish(subject, JSON.stringify({ v: 1, n: 'x', e: { kind: 'mail' } }));
    await raw.flush();
    await r.until((events) => events.length >= 1);
    await b.flush();
    assert.deepEqual(r.events, [{ kind: 'mail' }]);
  });
});

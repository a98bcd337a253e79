/** @module bus/nats/nats-outage.test One node loses NATS while the rest of the cluster keeps it: what it is told, refuses and replays. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NoticeKind } from '@sotto/protocol';
import { BusUnavailableError, type BusReconnected } from '../bus.js';
import { device, Recorder } from '../bus.contract.js';
import { createNatsBus } from './create-nats-bus.js';
import type { NatsBus } from './nats-bus.js';
import { NATS_URL, NatsLink, natsSkipReason, quietLogger, uniqueCluster, waitUntil } from './nats-test-env.js';
import { guardBusOutage } from './outage-guard.js';

const skip = await natsSkipReason();

describe('NatsBus: a node losing NATS', skip ? { skip } : {}, () => {
  const cluster = uniqueCluster();
  let link: NatsLink;
  let cutOff: NatsBus; // reaches NATS through the link
  let healthy: NatsBus; // reaches NATS directly
  const downs: string[] = [];
  const ups: BusReconnected[] = [];

  before(async () => {
    link = await NatsLink.open(NATS_URL);
    // Fast pings and retries, so a silent link is noticed in well under a second.
    cutOff = await createNatsBus(link.url, { cluster, name: 'cut-off', logger: quietLogger(), pingIntervalMs: 150, reconnectWaitMs: 50, confirmTimeoutMs: 500 });
    healthy = await createNatsBus(NATS_URL, { cluster, name: 'healthy', logger: quietLogger() });
    cutOff.onDidDisconnect((info) => downs.push(info.reason));
    cutOff.onDidReconnect((info) => ups.push(info));
  });
  after(async () => {
    await Promise.all([cutOff.close(), healthy.close()]);
    await link.cut();
  });

  test('it is told, refuses what it cannot route, and replays mail notifications once back', async () => {
    const recipient = device(); // connected to the healthy node
    const member = device(); // connected to the node that is cut off
    const atHealthy = new Recorder();
    const atCutOff = new Recorder();
    healthy.subscribe(recipient, atHealthy.handler);
    cutOff.subscribe(member, atCutOff.handler);
    await Promise.all([healthy.flush(), cutOff.flush()]);
    const outages: string[] = [];
    const recoveries: boolean[] = [];
    const stopGuard = guardBusOutage(cutOff, { graceMs: 100, onOutage: (o) => outages.push(o.reason), onRecovery: (r) => recoveries.push(r.afterOutage) });

    await link.cut();
    await waitUntil(() => downs.length === 1, 'the node never noticed it was cut off');
    assert.equal(cutOff.connected, false);
    assert.equal(healthy.connected, true);
    await assert.rejects(cutOff.publish(recipient, { kind: 'replaced', connectionId: 'c' }), BusUnavailableError);
    await assert.rejects(cutOff.publish(recipient, { kind: 'notice', notice: { kind: NoticeKind.KEY_PACKAGES_LOW, count: 1, message: '' } }), BusUnavailableError);
    await cutOff.publish(recipient, { kind: 'mail' }); // held: the mailbox is durable, the notification waits
    await waitUntil(() => outages.length === 1, 'the grace period never ran out');

    await link.restore();
    await waitUntil(() => ups.length === 1, 'the node never reconnected');
    assert.equal(cutOff.connected, true);
    assert.ok(ups[0]!.downMs >= 100, `down for ${ups[0]!.downMs} ms`);
    assert.deepEqual(recoveries, [true]);
    await atHealthy.until((events) => events.length === 1);
    assert.deepEqual(atHealthy.events, [{ kind: 'mail' }], 'the held notification was replayed');
    // nats.js re-sent the node's subscriptions: its member hears from the cluster again.
    await healthy.publish(member, { kind: 'mail' });
    await atCutOff.until((events) => events.length === 1);
    stopGuard();
  });

  test('a notification sent into a silently dead link is replayed after the node reconnects', async () => {
    const recipient = device();
    const atHealthy = new Recorder();
    healthy.subscribe(recipient, atHealthy.handler);
    await healthy.flush();
    const before = { downs: downs.length, ups: ups.length };

    link.blackhole();
    // The node still believes it is connected: the notification goes into the void, unconfirmed.
    assert.equal(cutOff.connected, true);
    await cutOff.publish(recipient, { kind: 'mail' });
    await waitUntil(() => downs.length === before.downs + 1, 'unanswered pings never marked the link dead');
    assert.deepEqual(atHealthy.events, []);

    await link.restore();
    await waitUntil(() => ups.length === before.ups + 1, 'the node never reconnected');
    await atHealthy.until((events) => events.length === 1);
    assert.deepEqual(atHealthy.events, [{ kind: 'mail' }]);
  });

  test('closing a node that is cut off does not hang', async () => {
    const node = await createNatsBus(link.url, { cluster, name: 'closing', logger: quietLogger(), reconnectWaitMs: 50 });
    await link.cut();
    try {
      await waitUntil(() => !node.connected, 'the node never noticed');
      const started = Date.now();
      await node.close();
      assert.ok(Date.now() - started < 6_000);
      assert.equal(node.connected, false);
    } finally {
      await link.restore();
    }
  });
});

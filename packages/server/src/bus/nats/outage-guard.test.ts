/** @module bus/nats/outage-guard.test The grace period: blips are ridden out, long outages send members away, recovery always catches up. */
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BusDisconnected, BusReconnected } from '../bus.js';
import { Emitter } from './emitter.js';
import { guardBusOutage } from './outage-guard.js';

// The health events alone; the real NATS bus drives the guard in nats-outage.test.ts.
function health() {
  const fail = (error: unknown): never => {
    throw error;
  };
  const down = new Emitter<BusDisconnected>(fail);
  const up = new Emitter<BusReconnected>(fail);
  return { bus: { onDidDisconnect: down.event, onDidReconnect: up.event }, down, up };
}

describe('guardBusOutage', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  test('a blip shorter than the grace period keeps the members and catches up', () => {
    const { bus, down, up } = health();
    const calls: string[] = [];
    guardBusOutage(bus, { graceMs: 1000, onOutage: () => calls.push('outage'), onRecovery: (r) => calls.push(`recovery ${r.afterOutage}`) });
    down.fire({ reason: 'x' });
    mock.timers.tick(999);
    up.fire({ downMs: 999 });
    mock.timers.tick(10_000);
    assert.deepEqual(calls, ['recovery false']);
  });

  test('a long outage gives up the members once, then catches up on recovery', () => {
    const { bus, down, up } = health();
    const calls: string[] = [];
    guardBusOutage(bus, { graceMs: 1000, onOutage: (o) => calls.push(`outage ${o.reason}`), onRecovery: (r) => calls.push(`recovery ${r.afterOutage}`) });
    down.fire({ reason: 'first' });
    down.fire({ reason: 'second' }); // a repeated report does not restart the clock
    mock.timers.tick(1000);
    mock.timers.tick(10_000);
    up.fire({ downMs: 11_000 });
    assert.deepEqual(calls, ['outage first', 'recovery true']);
    down.fire({ reason: 'again' });
    mock.timers.tick(1000);
    assert.deepEqual(calls, ['outage first', 'recovery true', 'outage again']);
  });

  test('stopping the guard cancels a pending grace timer', () => {
    const { bus, down, up } = health();
    const calls: string[] = [];
    const stop = guardBusOutage(bus, { graceMs: 1000, onOutage: () => calls.push('outage'), onRecovery: () => calls.push('recovery') });
    down.fire({ reason: 'x' });
    stop();
    mock.timers.tick(5000);
    up.fire({ downMs: 5000 });
    assert.deepEqual(calls, []);
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnomalyKind, FrameType, type ReportAnomalies } from '@sotto/protocol';
import { AnomalyReporter } from './anomaly-reporter.js';
import { ClientError, RemoteError } from './errors.js';
import type { Session } from './session.js';

function setup(fail?: () => Error) {
  const sent: ReportAnomalies[] = [];
  const timers: (() => void)[] = [];
  const session = {
    currentState: 'ready',
    request: async (type: FrameType, body: ReportAnomalies) => {
      assert.equal(type, FrameType.REPORT_ANOMALIES);
      if (fail) throw fail();
      sent.push(body);
      return { case: 'ok', value: {} };
    },
  } as unknown as Session;
  const clock = { now: () => 0, setTimeout: (fn: () => void) => timers.push(fn), clearTimeout: () => undefined };
  const reporter = new AnomalyReporter(session, 'me', clock, { debug() {}, info() {}, warn() {}, error() {} });
  return { reporter, sent, fire: () => timers.splice(0).forEach((fn) => fn()) };
}

test('lines are summed per sender device and kind and sent after a delay, 32 to a frame', async () => {
  const { reporter, sent, fire } = setup();
  for (let i = 0; i < 5; i += 1) reporter.record({ user: 'mallory', device: 'd1' }, AnomalyKind.UNDECRYPTABLE);
  reporter.record({ user: 'mallory', device: 'd1' }, AnomalyKind.MALFORMED);
  for (let i = 0; i < 40; i += 1) reporter.record({ user: `fresh${i}`, device: 'x' }, AnomalyKind.MALFORMED);
  reporter.record({ user: 'me', device: 'other' }, AnomalyKind.MALFORMED); // about itself: never
  assert.equal(sent.length, 0);
  fire();
  await reporter.flush();
  assert.deepEqual(sent.map((s) => s.reports.length), [32, 10]);
  assert.deepEqual(
    sent[0]!.reports.slice(0, 2).map((r) => [r.senderUsername, r.senderDeviceId, r.kind, r.count]),
    [['mallory', 'd1', AnomalyKind.UNDECRYPTABLE, 5], ['mallory', 'd1', AnomalyKind.MALFORMED, 1]],
  );
  assert.equal(reporter.sent, 42);
});

test('lines that could not be sent wait for the next connection; a refused report is dropped', async () => {
  let error: Error = new ClientError('NOT_CONNECTED', 'offline');
  const { reporter, sent, fire } = setup(() => error);
  reporter.record({ user: 'mallory', device: 'd1' }, AnomalyKind.CONSENT_VIOLATION);
  fire();
  await reporter.flush();
  assert.equal(reporter.sent, 0);
  error = new RemoteError(9, 'bad report');
  await reporter.flush();
  await reporter.flush();
  assert.equal(sent.length, 0);
  assert.equal(reporter.sent, 0);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnomalyKind } from '@sotto/protocol';
import type { AnomalyTally } from '../storage/types.js';
import { DEFAULT_THRESHOLDS, findingForTarget, findingsForSender } from './correlation.js';

const NOW = 1_800_000_000_000;
const tally = (reporter: string, sender: string, kind: AnomalyKind, count = 1, target = '', at = NOW): AnomalyTally => ({ reporter, sender, target, kind, count, firstAt: at, lastAt: at });

test('one sender reported by three members is a many-targets finding naming all three', () => {
  const tallies = ['alice', 'bob', 'carol'].map((r) => tally(r, 'mallory', AnomalyKind.UNDECRYPTABLE));
  const [finding, ...rest] = findingsForSender('mallory', tallies, DEFAULT_THRESHOLDS);
  assert.equal(rest.length, 0);
  assert.equal(finding?.rule, 'many-targets');
  assert.deepEqual(finding?.subjects, ['mallory']);
  assert.deepEqual(finding?.targets, ['alice', 'bob', 'carol']);
});

test('two members are not enough; three kinds from one sender are', () => {
  assert.deepEqual(findingsForSender('mallory', ['alice', 'bob'].map((r) => tally(r, 'mallory', AnomalyKind.MALFORMED)), DEFAULT_THRESHOLDS), []);
  const kinds = [AnomalyKind.MALFORMED, AnomalyKind.CONSENT_VIOLATION, AnomalyKind.REFUSED_MEDIA].map((k) => tally('alice', 'mallory', k));
  assert.equal(findingsForSender('mallory', kinds, DEFAULT_THRESHOLDS)[0]?.rule, 'many-kinds');
});

test('ten rate-limit refusals counted by the server are a flood, aimed at whom it tried to reach', () => {
  const hits = [tally('', 'spammer', AnomalyKind.RATE_LIMITED, 6, 'alice'), tally('', 'spammer', AnomalyKind.RATE_LIMITED, 3, 'bob')];
  assert.deepEqual(findingsForSender('spammer', hits, DEFAULT_THRESHOLDS), []);
  const more = [...hits, tally('', 'spammer', AnomalyKind.RATE_LIMITED, 1, 'carol')];
  const [finding] = findingsForSender('spammer', more, DEFAULT_THRESHOLDS);
  assert.equal(finding?.rule, 'rate-limit-flood');
  assert.deepEqual(finding?.targets, ['alice', 'bob', 'carol']);
});

test('three fresh accounts aimed at one member within the hour are a burst; old accounts and old anomalies are not', () => {
  const created = new Map([['f1', NOW - 3_600_000], ['f2', NOW - 60_000], ['f3', NOW - 10], ['veteran', NOW - 30 * 86_400_000]]);
  const tallies = [
    tally('alice', 'f1', AnomalyKind.MALFORMED),
    tally('alice', 'f2', AnomalyKind.UNDECRYPTABLE),
    tally('', 'f3', AnomalyKind.UNSOLICITED_CALL, 1, 'alice'),
    tally('alice', 'veteran', AnomalyKind.MALFORMED),
  ];
  const finding = findingForTarget('alice', tallies, created, NOW, DEFAULT_THRESHOLDS);
  assert.equal(finding?.rule, 'fresh-account-burst');
  assert.deepEqual(finding?.subjects, ['f1', 'f2', 'f3']);
  assert.deepEqual(finding?.targets, ['alice']);
  const stale = tallies.map((t) => (t.sender === 'f3' ? { ...t, lastAt: NOW - 2 * 3_600_000 } : t));
  assert.equal(findingForTarget('alice', stale, created, NOW, DEFAULT_THRESHOLDS), undefined);
  // Another member's tallies do not count towards alice.
  assert.equal(findingForTarget('bob', tallies, created, NOW, DEFAULT_THRESHOLDS), undefined);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { AnomalyKind, ThreatNoticeSchema } from './gen/sotto/v1/wire_pb.js';
import { checkThreatNotice, encodeThreatNotice, THREAT_NOTICE_MAX_BYTES } from './threat-notice.js';

const good = () => create(ThreatNoticeSchema, { incidentId: 'inc-0123456789', openedAt: 1_800_000_000_000n, kinds: [AnomalyKind.MALFORMED], senders: 3, operatorContact: 'security@example.org' });

test('a well-formed notice round-trips', () => {
  const result = checkThreatNotice(encodeThreatNotice(good()));
  assert.ok(result.ok);
  assert.equal(result.notice.senders, 3);
});

test('bad notices are refused with a reason, never half-shown', () => {
  const cases: [string, Uint8Array][] = [
    ['oversized', new Uint8Array(THREAT_NOTICE_MAX_BYTES + 1)],
    ['garbage', Uint8Array.of(0xff, 0xff, 0xff)],
    ['bad id', encodeThreatNotice({ ...good(), incidentId: '../../etc' })],
    ['no time', encodeThreatNotice({ ...good(), openedAt: 0n })],
    ['unknown kind', encodeThreatNotice({ ...good(), kinds: [99 as AnomalyKind] })],
    ['control characters', encodeThreatNotice({ ...good(), operatorContact: 'call \u202Eevil' })],
    ['long contact', encodeThreatNotice({ ...good(), operatorContact: 'x'.repeat(201) })],
  ];
  for (const [name, bytes] of cases) assert.equal(checkThreatNotice(bytes).ok, false, name);
});

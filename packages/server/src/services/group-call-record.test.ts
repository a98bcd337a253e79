/** @module services/group-call-record.test The stored group call document: round trip, nothing kept when empty, clear errors for other shapes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '@sotto/protocol';
import { ServerError } from '../errors.js';
import { decodeGroupCallRecord, encodeGroupCallRecord, expiryOf, feedsOf, MAX_CLEANUPS_KEPT, type GroupCallRecord } from './group-call-record.js';

const record = (): GroupCallRecord => ({
  room: {
    sfu: 'ws://sfu.example:8188',
    roomId: 77,
    participants: [{ device: 'ada\nd1', reference: 'ab12', admissions: [{ feedId: 5, joinToken: 't1', expiresAt: 1_000 }, { feedId: 6, joinToken: 't2', expiresAt: 2_000 }] }],
  },
  cleanups: [
    { what: 'destroy', sfu: 'ws://old.example:8188', roomId: 3 },
    { what: 'revoke', sfu: 'ws://sfu.example:8188', roomId: 77, reference: 'cd34', joinTokens: ['t0'], feedIds: [4] },
  ],
});

test('a record round-trips; one with no room and no clean-up is not kept', () => {
  assert.deepEqual(decodeGroupCallRecord(encodeGroupCallRecord(record())), record());
  assert.equal(encodeGroupCallRecord({ room: undefined, cleanups: [] }), undefined);
  assert.deepEqual(decodeGroupCallRecord(undefined), { room: undefined, cleanups: [] });
  const participant = record().room!.participants[0]!;
  assert.deepEqual([feedsOf(participant), expiryOf(participant)], [[5, 6], 2_000]);
});

test('only the newest clean-ups are kept', () => {
  const many: GroupCallRecord = { room: undefined, cleanups: Array.from({ length: MAX_CLEANUPS_KEPT + 5 }, (_, i) => ({ what: 'destroy' as const, sfu: 'ws://s', roomId: i + 1 })) };
  const kept = decodeGroupCallRecord(encodeGroupCallRecord(many)).cleanups;
  assert.equal(kept.length, MAX_CLEANUPS_KEPT);
  assert.equal(kept[0]!.roomId, 6);
});

test('a record of another shape is an INTERNAL error that says what is wrong', () => {
  const cases: [string, RegExp][] = [
    ['not json', /not JSON/],
    ['[]', /the record is not an object/],
    ['{"v":2,"room":null,"cleanups":[]}', /version is 2/],
    ['{"v":1,"room":{"sfu":"x","roomId":-1,"participants":[]},"cleanups":[]}', /room\.roomId is not a whole number/],
    ['{"v":1,"room":{"sfu":"","roomId":1,"participants":[]},"cleanups":[]}', /room\.sfu is not a string/],
    ['{"v":1,"room":{"sfu":"x","roomId":1,"participants":{}},"cleanups":[]}', /participants is not a list/],
    ['{"v":1,"room":{"sfu":"x","roomId":1,"participants":[{"device":"a","reference":"r","admissions":[{"feedId":1.5,"joinToken":"t","expiresAt":1}]}]},"cleanups":[]}', /admission\.feedId/],
    ['{"v":1,"room":null,"cleanups":[{"what":"explode","sfu":"x","roomId":1}]}', /neither a destroy nor a revoke/],
    ['{"v":1,"room":null}', /cleanups is not a list/],
  ];
  for (const [stored, message] of cases) {
    assert.throws(() => decodeGroupCallRecord(stored), (error: unknown) => error instanceof ServerError && error.code === ErrorCode.INTERNAL && message.test(error.message), stored);
  }
});

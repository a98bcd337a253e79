/** @module services/group-call-record.test The stored group call document: round trip, nothing kept when empty, clear errors for other shapes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '@sotto/protocol';
import { ServerError } from '../errors.js';
import { decodeGroupCallRecord, encodeGroupCallRecord, expiryOf, feedsOf, MAX_CLEANUPS_KEPT, NewerRecordError, salvageRoom, type GroupCallRecord } from './group-call-record.js';
import { MAX_GROUP_CALL_RECORD_CHARS } from '../storage/domains/group-calls.js';

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
    ['{"v":0,"room":null,"cleanups":[]}', /version is 0/],
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

test("a newer server's record is refused as such (a rolling upgrade), not read as broken", () => {
  assert.throws(() => decodeGroupCallRecord('{"v":2,"room":{"whatever":true},"cleanups":[]}'), (error: unknown) => error instanceof NewerRecordError && /newer server \(record version 2\); update this node/.test(error.message));
});

test("a broken record's room is saved to be ended, when it can be read at all", () => {
  assert.deepEqual(salvageRoom('{"v":1,"room":{"sfu":"ws://s","roomId":42,"participants":"garbage"}}'), { sfu: 'ws://s', roomId: 42 });
  assert.equal(salvageRoom('{"v":1,"room":{"sfu":"ws://s","roomId":-1}}'), undefined);
  assert.equal(salvageRoom('not json'), undefined);
});

test('the largest record the service makes is well within what the store keeps', () => {
  const token = 'x'.repeat(120);
  const largest: GroupCallRecord = {
    room: {
      sfu: `ws://${'s'.repeat(200)}`,
      roomId: 2 ** 48,
      participants: Array.from({ length: 32 }, (_, i) => ({
        device: `${'u'.repeat(32)}\n${'d'.repeat(32)}${i}`,
        reference: 'r'.repeat(24),
        admissions: Array.from({ length: 4 }, () => ({ feedId: 2 ** 48, joinToken: token, expiresAt: 2 ** 45 })),
      })),
    },
    cleanups: Array.from({ length: MAX_CLEANUPS_KEPT }, () => ({ what: 'revoke' as const, sfu: `ws://${'s'.repeat(200)}`, roomId: 2 ** 48, reference: 'r'.repeat(24), joinTokens: Array(4).fill(token), feedIds: Array(4).fill(2 ** 48) })),
  };
  const size = encodeGroupCallRecord(largest)!.length;
  assert.ok(size * 2 <= MAX_GROUP_CALL_RECORD_CHARS, `${size} characters`);
});

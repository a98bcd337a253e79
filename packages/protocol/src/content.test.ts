import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create, toBinary } from '@bufbuild/protobuf';
import { AppContentSchema, CallMedia, ErrorCode, GroupCallEvent } from './gen/sotto/v1/wire_pb.js';
import { ProtocolError } from './errors.js';
import { CALL_CANDIDATE_MAX_CHARS, CALL_SDP_MAX_CHARS, decodeAppContent } from './content.js';

const id = new Uint8Array(16).fill(7);
const callId = 'ab'.repeat(16);

function call(kind: unknown): Uint8Array {
  return toBinary(AppContentSchema, create(AppContentSchema, { messageId: id, body: { case: 'call', value: { callId, kind: kind as never } } }));
}

function refused(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(() => decodeAppContent(bytes), (e: unknown) => e instanceof ProtocolError && e.code === ErrorCode.INVALID_ARGUMENT && pattern.test(e.message));
}

test('well-formed call signals decode', () => {
  const ring = decodeAppContent(call({ case: 'ring', value: { media: CallMedia.AUDIO, sentAt: 5n } }));
  assert.equal(ring.body.case, 'call');
  const video = decodeAppContent(call({ case: 'ring', value: { media: CallMedia.VIDEO, sentAt: 5n } }));
  assert.equal(video.body.case === 'call' && video.body.value.kind.case === 'ring' && video.body.value.kind.value.media, CallMedia.VIDEO);
  decodeAppContent(call({ case: 'offer', value: { sdp: 'v=0' } }));
  decodeAppContent(call({ case: 'ice', value: { candidate: 'candidate:1 1 udp 1 192.0.2.1 9 typ host' } }));
  decodeAppContent(call({ case: 'hangup', value: {} }));
});

test('bad call ids, media, empty kinds and oversized SDP or candidates are refused with a reason', () => {
  const bad = (callIdValue: string) =>
    toBinary(AppContentSchema, create(AppContentSchema, { messageId: id, body: { case: 'call', value: { callId: callIdValue, kind: { case: 'accept', value: {} } } } }));
  refused(bad('not-hex'), /Call id/);
  refused(bad('AB'.repeat(16)), /Call id/);
  refused(call({ case: 'ring', value: { media: CallMedia.UNSPECIFIED, sentAt: 1n } }), /audio or a video/);
  refused(call({ case: 'ring', value: { media: 3 as CallMedia, sentAt: 1n } }), /audio or a video/);
  refused(call({ case: undefined }), /no kind/);
  refused(call({ case: 'offer', value: { sdp: 'x'.repeat(CALL_SDP_MAX_CHARS + 1) } }), /session description/);
  refused(call({ case: 'answer', value: { sdp: '' } }), /session description/);
  refused(call({ case: 'ice', value: { candidate: 'c'.repeat(CALL_CANDIDATE_MAX_CHARS + 1) } }), /candidate/);
});

test('a call signal names its one recipient device as a device id, or none', () => {
  const to = (toDevice: string) =>
    toBinary(AppContentSchema, create(AppContentSchema, { messageId: id, body: { case: 'call', value: { callId, toDevice, kind: { case: 'accept', value: {} } } } }));
  const decoded = decodeAppContent(to('0a1b2c'));
  assert.equal(decoded.body.case === 'call' && decoded.body.value.toDevice, '0a1b2c');
  assert.equal(decodeAppContent(to('')).body.case, 'call');
  for (const bad of ['../x', 'AB12', 'a'.repeat(65), 'dev ice']) refused(to(bad), /names no valid device/);
});

test('message actions: replies, reactions, edits and deletions name a 16-byte message; reactions are one emoji; edits are text', () => {
  const content = (body: unknown) => toBinary(AppContentSchema, create(AppContentSchema, { messageId: id, body: body as never }));
  const target = new Uint8Array(16).fill(7);
  assert.equal(decodeAppContent(content({ case: 'text', value: { body: 'yes', replyTo: target } })).body.case, 'text');
  refused(content({ case: 'text', value: { body: 'yes', replyTo: new Uint8Array(3) } }), /reply names a 16-byte/);
  for (const emoji of ['👍', '❤️', '👨‍👩‍👧', '🇺🇦', '👍🏽', '']) assert.equal(decodeAppContent(content({ case: 'reaction', value: { messageId: target, emoji } })).body.case, 'reaction', emoji);
  for (const emoji of ['lol', 'a👍', '1', '👍👍👍👍👍👍👍👍👍', '\u202e👍']) refused(content({ case: 'reaction', value: { messageId: target, emoji } }), /one emoji/);
  refused(content({ case: 'reaction', value: { messageId: new Uint8Array(0), emoji: '👍' } }), /reaction names a 16-byte/);
  assert.equal(decodeAppContent(content({ case: 'edit', value: { messageId: target, body: 'fixed' } })).body.case, 'edit');
  refused(content({ case: 'edit', value: { messageId: target, body: '   ' } }), /edited text/);
  refused(content({ case: 'edit', value: { messageId: target, body: 'x'.repeat(4001) } }), /edited text/);
  assert.equal(decodeAppContent(content({ case: 'retract', value: { messageId: target } })).body.case, 'retract');
  refused(content({ case: 'retract', value: { messageId: new Uint8Array(17) } }), /deletion names a 16-byte/);
});

test('a typing indicator is one bool: it decodes, started or stopped, within the content limit', () => {
  const content = (stopped: boolean) => toBinary(AppContentSchema, create(AppContentSchema, { messageId: id, body: { case: 'typing', value: { stopped } } }));
  const started = decodeAppContent(content(false));
  assert.equal(started.body.case, 'typing');
  assert.equal(started.body.case === 'typing' && started.body.value.stopped, false);
  const stopped = decodeAppContent(content(true));
  assert.equal(stopped.body.case === 'typing' && stopped.body.value.stopped, true);
  assert.ok(content(true).byteLength < 32, 'a few bytes');
});

test('a group call notice says joined or left; no event, or one this version does not know, is refused', () => {
  const notice = (event: GroupCallEvent) => toBinary(AppContentSchema, create(AppContentSchema, { messageId: id, body: { case: 'groupCall', value: { event } } }));
  const joined = decodeAppContent(notice(GroupCallEvent.JOINED));
  assert.equal(joined.body.case === 'groupCall' && joined.body.value.event, GroupCallEvent.JOINED);
  assert.equal(decodeAppContent(notice(GroupCallEvent.LEFT)).body.case, 'groupCall');
  refused(notice(GroupCallEvent.UNSPECIFIED), /joined or left/);
  refused(notice(7 as GroupCallEvent), /joined or left/);
});

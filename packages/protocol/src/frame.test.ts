import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { create } from '@bufbuild/protobuf';
import { decodeFrame, encodeFrame, peekFrameHeader } from './frame.js';
import { ErrorCode, FrameType, SendSchema, HelloSchema } from './gen/sotto/v1/wire_pb.js';
import { ProtocolError } from './errors.js';
import { FRAME_BODY_LIMITS, FRAME_HEADER_BYTES, MAX_FRAME_BYTES } from './limits.js';

function codeOf(fn: () => unknown): ErrorCode | undefined {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ProtocolError, `expected ProtocolError, got ${String(error)}`);
    return error.code;
  }
  assert.fail('expected an error');
}

test('a frame round-trips with its type and id', () => {
  const body = create(SendSchema, { groupId: new Uint8Array(32).fill(1), messageId: new Uint8Array(16).fill(2), payload: new Uint8Array([9, 9]) });
  const frame = decodeFrame(encodeFrame(FrameType.SEND, 4242, body));
  assert.equal(frame.type, FrameType.SEND);
  assert.equal(frame.id, 4242);
  assert.deepEqual(frame.type === FrameType.SEND && frame.body.payload, new Uint8Array([9, 9]));
});

test('a body over its type limit is refused before decoding', () => {
  const limit = FRAME_BODY_LIMITS[FrameType.HELLO]!;
  const bytes = new Uint8Array(FRAME_HEADER_BYTES + limit + 1);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, 1);
  view.setUint16(1, FrameType.HELLO);
  assert.equal(codeOf(() => decodeFrame(bytes)), ErrorCode.FRAME_TOO_LARGE);
});

test('a frame over the global maximum is refused', () => {
  assert.equal(codeOf(() => decodeFrame(new Uint8Array(MAX_FRAME_BYTES + 1))), ErrorCode.FRAME_TOO_LARGE);
});

test('encoding refuses a body over its limit', () => {
  const body = create(HelloSchema, { clientVersion: 'x'.repeat(5000) });
  assert.equal(codeOf(() => encodeFrame(FrameType.HELLO, 1, body)), ErrorCode.FRAME_TOO_LARGE);
});

test('a truncated frame is malformed', () => {
  assert.equal(codeOf(() => decodeFrame(new Uint8Array([1, 0]))), ErrorCode.FRAME_MALFORMED);
  const good = encodeFrame(FrameType.SEND, 1, create(SendSchema, { payload: new Uint8Array(100).fill(7) }));
  assert.equal(codeOf(() => decodeFrame(good.subarray(0, good.byteLength - 10))), ErrorCode.FRAME_MALFORMED);
});

test('an unknown frame type and an unknown version are refused', () => {
  assert.equal(codeOf(() => decodeFrame(new Uint8Array([1, 0x7f, 0x7f, 0, 0, 0, 1]))), ErrorCode.UNKNOWN_FRAME_TYPE);
  assert.equal(codeOf(() => decodeFrame(new Uint8Array([9, 0, 24, 0, 0, 0, 1]))), ErrorCode.UNSUPPORTED_PROTOCOL);
});

test('the header can be read from a frame whose body is bad', () => {
  assert.deepEqual(peekFrameHeader(new Uint8Array([1, 0, 24, 0, 0, 1, 0, 0xff])), { version: 1, type: 24, id: 256 });
});

test('arbitrary bytes either decode or fail with a ProtocolError, never anything else', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.constantFrom(...Object.keys(FRAME_BODY_LIMITS).map(Number)), (body, type) => {
      const bytes = new Uint8Array(FRAME_HEADER_BYTES + body.byteLength);
      new DataView(bytes.buffer).setUint8(0, 1);
      new DataView(bytes.buffer).setUint16(1, type);
      bytes.set(body, FRAME_HEADER_BYTES);
      try {
        decodeFrame(bytes);
      } catch (error) {
        assert.ok(error instanceof ProtocolError);
      }
    }),
    { numRuns: 2000 },
  );
});

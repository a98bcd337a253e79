/**
 * @module fuzz/targets/frame-bodies
 * Every frame type's body decoder: the first byte picks a known frame type (the type number
 * itself when it is one, so seeds stay valid when types are added), the second the request id,
 * and the rest is the body behind a valid header. Raw bytes (the `frame` target) rarely get past
 * the header checks; this target starts past them.
 */
import { FRAME_HEADER_BYTES, FRAME_SCHEMAS, PROTOCOL_VERSION } from '@sotto/protocol';
import { ByteReader } from '../lib/byte-reader.mjs';
import { checkDecodeFrame } from '../lib/frame-checks.mjs';

const TYPES = Object.keys(FRAME_SCHEMAS).map(Number).sort((a, b) => a - b);

/** @param {Buffer} data */
export function fuzz(data) {
  const input = new ByteReader(data);
  const choice = input.byte();
  const type = TYPES.includes(choice) ? choice : TYPES[choice % TYPES.length];
  const id = input.byte();
  const body = input.rest();
  const frame = new Uint8Array(FRAME_HEADER_BYTES + body.byteLength);
  const view = new DataView(frame.buffer);
  view.setUint8(0, PROTOCOL_VERSION);
  view.setUint16(1, type);
  view.setUint32(3, id);
  frame.set(body, FRAME_HEADER_BYTES);
  checkDecodeFrame(frame);
}

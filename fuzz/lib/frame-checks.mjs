/**
 * @module fuzz/lib/frame-checks
 * The properties of `decodeFrame` that hold for any bytes: it either returns a frame that agrees
 * with its header and survives a round trip through `encodeFrame`, or throws a `ProtocolError`
 * with one of the four codes its doc names. Anything else is thrown on as a finding.
 */
import { decodeFrame, encodeFrame, peekFrameHeader, ErrorCode, ProtocolError } from '@sotto/protocol';

const DECODE_ERRORS = new Set([
  ErrorCode.FRAME_TOO_LARGE, ErrorCode.FRAME_MALFORMED, ErrorCode.UNSUPPORTED_PROTOCOL, ErrorCode.UNKNOWN_FRAME_TYPE,
]);

function sameBytes(a, b) {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i]);
}

/** Decodes `bytes`; returns the frame or undefined when it was refused the documented way. */
export function checkDecodeFrame(bytes) {
  let frame;
  try {
    frame = decodeFrame(bytes);
  } catch (error) {
    if (error instanceof ProtocolError && DECODE_ERRORS.has(error.code)) return undefined;
    throw error; // a TypeError, a RangeError, or a ProtocolError with a code decodeFrame never names
  }
  const header = peekFrameHeader(bytes);
  if (!header || frame.type !== header.type || frame.id !== header.id) {
    throw new Error(`decoded frame ${frame.type}/${frame.id} disagrees with its header ${JSON.stringify(header)}`);
  }
  // Re-encoding canonicalises the body (unknown fields dropped, varints shortened); after that
  // the encoding must be a fixed point, or sender and receiver disagree about a message.
  const once = encodeFrame(frame.type, frame.id, frame.body);
  const twice = encodeFrame(frame.type, frame.id, decodeFrame(once).body);
  if (!sameBytes(once, twice)) throw new Error('encodeFrame(decodeFrame(x)) is not a fixed point');
  return frame;
}

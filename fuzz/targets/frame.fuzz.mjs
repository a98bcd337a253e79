/**
 * @module fuzz/targets/frame
 * `decodeFrame` on raw bytes, as a server or client receives them from a socket.
 */
import { checkDecodeFrame } from '../lib/frame-checks.mjs';

/** @param {Buffer} data */
export function fuzz(data) {
  // A plain Uint8Array view, as the WebSocket transports hand over, not Node's Buffer subclass.
  checkDecodeFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/**
 * @module fuzz/targets/contact-request
 * The one message a stranger can send a member. The first byte chooses how the rest is read:
 * even, as a CONTACT_REQUEST frame body (decoded the way the server decodes it); odd, as UTF-16
 * code units, which reach the lone surrogates valid UTF-8 cannot carry (other callers of the rules
 * may pass any JavaScript string). The second byte is a `maxChars` to check besides 280. Either
 * way `isValidUsername` and `isPlainText` must agree with the naive oracles.
 */
import { FRAME_HEADER_BYTES, FrameType, LIMITS, PROTOCOL_VERSION, isPlainText, isValidUsername } from '@sotto/protocol';
import { ByteReader, utf16 } from '../lib/byte-reader.mjs';
import { checkDecodeFrame } from '../lib/frame-checks.mjs';
import { plainTextOracle, usernameOracle } from '../lib/text-oracle.mjs';

function checkRules(username, text, maxChars) {
  if (isValidUsername(username) !== usernameOracle(username)) {
    throw new Error(`isValidUsername(${JSON.stringify(username)}) = ${isValidUsername(username)}, oracle says ${usernameOracle(username)}`);
  }
  for (const max of [maxChars, LIMITS.contactRequestMaxChars]) {
    if (isPlainText(text, max) !== plainTextOracle(text, max)) {
      throw new Error(`isPlainText(${JSON.stringify(text)}, ${max}) = ${isPlainText(text, max)}, oracle says ${plainTextOracle(text, max)}`);
    }
  }
}

function asFrame(body) {
  const frame = new Uint8Array(FRAME_HEADER_BYTES + body.byteLength);
  const view = new DataView(frame.buffer);
  view.setUint8(0, PROTOCOL_VERSION);
  view.setUint16(1, FrameType.CONTACT_REQUEST);
  frame.set(body, FRAME_HEADER_BYTES);
  return frame;
}

/** @param {Buffer} data */
export function fuzz(data) {
  const input = new ByteReader(data);
  const mode = input.byte();
  const maxChars = input.byte();
  if ((mode & 1) === 0) {
    const frame = checkDecodeFrame(asFrame(input.rest()));
    if (frame) checkRules(frame.body.toUsername, frame.body.text, maxChars);
  } else {
    // The same string as both fields: the two rules then see every input.
    const text = utf16(input.rest());
    checkRules(text, text, maxChars);
  }
}

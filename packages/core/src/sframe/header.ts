/**
 * @module sframe/header
 * The SFrame header (RFC 9605 section 4.3): a config byte X|K|Y|C, then the KID and the CTR, each
 * in the config byte when below 8, else as the shortest big-endian integer (1 to 8 bytes).
 *
 * Values are `bigint`: KID and CTR are 64-bit, and the RFC's vectors go up to 2^64-1, past what a
 * JavaScript number holds exactly.
 */
import { SFrameError } from './sframe-error.js';

export interface SFrameHeader {
  readonly kid: bigint;
  readonly ctr: bigint;
}

export interface DecodedHeader extends SFrameHeader {
  /** Bytes the header takes at the start of the input. */
  readonly length: number;
}

export const MAX_U64 = (1n << 64n) - 1n;
/** The config byte and two 8-byte values. */
export const MAX_HEADER_BYTES = 17;

const EXTENDED = 0b1000;

function checkU64(name: string, value: bigint): void {
  if (typeof value !== 'bigint' || value < 0n || value > MAX_U64) {
    throw new SFrameError('BAD_INPUT', `the ${name} must be an integer from 0 to 2^64-1.`);
  }
}

/** Bytes the value takes after the config byte: none below 8, else the fewest that hold it. */
function extensionBytes(value: bigint): number {
  if (value < 8n) return 0;
  let bytes = 0;
  for (let rest = value; rest > 0n; rest >>= 8n) bytes++;
  return bytes;
}

/** The 4-bit half of the config byte: the value itself, or the extended flag and length - 1. */
function nibble(value: bigint): number {
  const bytes = extensionBytes(value);
  return bytes === 0 ? Number(value) : EXTENDED | (bytes - 1);
}

function writeBigEndian(out: Uint8Array, offset: number, value: bigint, bytes: number): void {
  let rest = value;
  for (let i = offset + bytes - 1; i >= offset; i--) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
}

export function encodedHeaderLength(header: SFrameHeader): number {
  return 1 + extensionBytes(header.kid) + extensionBytes(header.ctr);
}

export function encodeHeader(header: SFrameHeader): Uint8Array {
  checkU64('KID', header.kid);
  checkU64('CTR', header.ctr);
  const kidBytes = extensionBytes(header.kid);
  const ctrBytes = extensionBytes(header.ctr);
  const out = new Uint8Array(1 + kidBytes + ctrBytes);
  out[0] = (nibble(header.kid) << 4) | nibble(header.ctr);
  writeBigEndian(out, 1, header.kid, kidBytes);
  writeBigEndian(out, 1 + kidBytes, header.ctr, ctrBytes);
  return out;
}

/** Reads one field: from the nibble itself, or from the bytes after `offset`. */
function readField(bytes: Uint8Array, offset: number, field: number, name: string): { value: bigint; next: number } {
  if ((field & EXTENDED) === 0) return { value: BigInt(field), next: offset };
  const length = (field & 0b0111) + 1;
  if (offset + length > bytes.byteLength) {
    throw new SFrameError('BAD_HEADER', `the header is truncated: its ${name} needs ${length} byte${length === 1 ? '' : 's'}.`);
  }
  let value = 0n;
  for (let i = offset; i < offset + length; i++) value = (value << 8n) | BigInt(bytes[i]!);
  // Section 4.3: a value MUST take the fewest bytes. Refusing other forms keeps one header per
  // (KID, CTR), so the authenticated header bytes cannot be varied while naming the same frame.
  if (extensionBytes(value) !== length) {
    throw new SFrameError('BAD_HEADER', `the header's ${name} is not in its shortest form.`);
  }
  return { value, next: offset + length };
}

/** Decodes the header at the start of `bytes`; what follows it is the caller's (the ciphertext). */
export function decodeHeader(bytes: Uint8Array): DecodedHeader {
  if (!(bytes instanceof Uint8Array)) throw new SFrameError('BAD_INPUT', 'a header must be bytes.');
  if (bytes.byteLength === 0) throw new SFrameError('BAD_HEADER', 'the header is empty.');
  const config = bytes[0]!;
  const kid = readField(bytes, 1, config >> 4, 'KID');
  const ctr = readField(bytes, kid.next, config & 0x0f, 'CTR');
  return { kid: kid.value, ctr: ctr.value, length: ctr.next };
}

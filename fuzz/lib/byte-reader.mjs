/**
 * @module fuzz/lib/byte-reader
 * Reads structured choices from fuzz bytes, front to back. Running out of bytes yields zeros, so
 * every input decodes to something and short inputs stay meaningful to the fuzzer.
 */
export class ByteReader {
  /** @param {Uint8Array} bytes */
  constructor(bytes) {
    this.bytes = bytes;
    this.offset = 0;
  }

  get remaining() {
    return this.bytes.byteLength - this.offset;
  }

  byte() {
    return this.offset < this.bytes.byteLength ? this.bytes[this.offset++] : 0;
  }

  /** One of `items`, chosen by one byte. */
  pick(items) {
    return items[this.byte() % items.length];
  }

  /** The rest of the input, consumed. */
  rest() {
    const out = this.bytes.subarray(this.offset);
    this.offset = this.bytes.byteLength;
    return out;
  }
}

/** Little-endian UTF-16 code units: unlike UTF-8, they reach lone surrogates. */
export function utf16(bytes) {
  let s = '';
  for (let i = 0; i + 1 < bytes.byteLength; i += 2) s += String.fromCharCode(bytes[i] | (bytes[i + 1] << 8));
  return s;
}

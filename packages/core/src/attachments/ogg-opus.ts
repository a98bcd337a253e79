/**
 * @module attachments/ogg-opus
 * Writes Opus packets into an Ogg Opus file (RFC 7845 over RFC 3533): the container a voice note
 * travels in, the one type Sotto plays as a voice note. Both senders produce the packets
 * themselves (the CLI with libopus, the web app with WebCodecs) and share this writer. It only
 * writes; reading a received file is the browser's media stack's job, on the member's tap.
 */

/** Opus always counts time in 48 kHz samples (RFC 7845 §4). */
export const OPUS_GRANULE_RATE = 48_000;

export interface OggOpusOptions {
  readonly channels: 1 | 2;
  /** The rate the audio was recorded at, for information only (OpusHead's input sample rate). */
  readonly inputSampleRate: number;
  /** Samples (at 48 kHz) the decoder drops at the start: the encoder's look-ahead. */
  readonly preSkip: number;
  /** Samples (at 48 kHz) each packet holds, in order: 960 for 20 ms frames. */
  readonly packetSamples: number;
  /** The stream's serial number (any 32-bit value; random keeps streams apart when chained). */
  readonly serial: number;
}

/** An Ogg page holds at most 255 lacing values; keep pages near 4 KiB, as libopusenc does. */
const MAX_SEGMENTS = 255;
const TARGET_PAGE_BYTES = 4096;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let bit = 0; bit < 8; bit++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

/** Ogg's CRC-32: polynomial 0x04c11db7, no reflection, initial value 0 (RFC 3533 §6). */
export function oggCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  return crc;
}

function lacing(length: number): number[] {
  const values: number[] = [];
  let left = length;
  while (left >= 255) {
    values.push(255);
    left -= 255;
  }
  values.push(left);
  return values;
}

interface PageSpec {
  readonly packets: readonly Uint8Array[];
  readonly granule: bigint;
  readonly flags: number;
  readonly sequence: number;
}

function page(serial: number, spec: PageSpec): Uint8Array {
  const segments = spec.packets.flatMap((p) => lacing(p.byteLength));
  const bodyLength = spec.packets.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(27 + segments.length + bodyLength);
  const view = new DataView(out.buffer);
  out.set([0x4f, 0x67, 0x67, 0x53], 0); // "OggS"
  out[4] = 0; // version
  out[5] = spec.flags;
  view.setBigInt64(6, spec.granule, true);
  view.setUint32(14, serial >>> 0, true);
  view.setUint32(18, spec.sequence, true);
  // bytes 22-25: the CRC, computed over the page with this field zero
  out[26] = segments.length;
  out.set(segments, 27);
  let at = 27 + segments.length;
  for (const packet of spec.packets) {
    out.set(packet, at);
    at += packet.byteLength;
  }
  view.setUint32(22, oggCrc(out), true);
  return out;
}

function opusHead(options: OggOpusOptions): Uint8Array {
  const head = new Uint8Array(19);
  const view = new DataView(head.buffer);
  head.set([0x4f, 0x70, 0x75, 0x73, 0x48, 0x65, 0x61, 0x64], 0); // "OpusHead"
  head[8] = 1; // version
  head[9] = options.channels;
  view.setUint16(10, options.preSkip, true);
  view.setUint32(12, options.inputSampleRate, true);
  view.setInt16(16, 0, true); // output gain
  head[18] = 0; // channel mapping family 0: mono or stereo
  return head;
}

function opusTags(): Uint8Array {
  // A vendor string and no comments: nothing about the device, the member or the time.
  const vendor = new TextEncoder().encode('sotto');
  const tags = new Uint8Array(8 + 4 + vendor.byteLength + 4);
  const view = new DataView(tags.buffer);
  tags.set([0x4f, 0x70, 0x75, 0x73, 0x54, 0x61, 0x67, 0x73], 0); // "OpusTags"
  view.setUint32(8, vendor.byteLength, true);
  tags.set(vendor, 12);
  view.setUint32(12 + vendor.byteLength, 0, true);
  return tags;
}

/** The Ogg Opus file of `packets` (each one whole Opus packet of `packetSamples` samples). */
export function oggOpusFile(packets: readonly Uint8Array[], options: OggOpusOptions): Uint8Array {
  if (packets.length === 0) throw new RangeError('A voice note holds at least one Opus packet.');
  const pages: Uint8Array[] = [
    page(options.serial, { packets: [opusHead(options)], granule: 0n, flags: 0x02, sequence: 0 }),
    page(options.serial, { packets: [opusTags()], granule: 0n, flags: 0, sequence: 1 }),
  ];
  let sequence = 2;
  let samples = BigInt(options.preSkip);
  let current: Uint8Array[] = [];
  let segments = 0;
  let bytes = 0;
  const flush = (last: boolean) => {
    pages.push(page(options.serial, { packets: current, granule: samples, flags: last ? 0x04 : 0, sequence: sequence++ }));
    current = [];
    segments = 0;
    bytes = 0;
  };
  packets.forEach((packet, i) => {
    const laces = lacing(packet.byteLength).length;
    if (current.length > 0 && (segments + laces > MAX_SEGMENTS || bytes + packet.byteLength > TARGET_PAGE_BYTES)) flush(false);
    current.push(packet);
    segments += laces;
    bytes += packet.byteLength;
    samples += BigInt(options.packetSamples);
    if (i === packets.length - 1) flush(true);
  });
  const total = pages.reduce((n, p) => n + p.byteLength, 0);
  const file = new Uint8Array(total);
  let at = 0;
  for (const p of pages) {
    file.set(p, at);
    at += p.byteLength;
  }
  return file;
}

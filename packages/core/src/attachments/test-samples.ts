/**
 * @module attachments/test-samples
 * Small files and headers for the attachment tests: hand-made headers of each listed type with
 * chosen sizes, and two real images. Nothing here is decoded; sizes are what the headers say, so
 * an "image bomb" costs a few bytes.
 */
import { fromHex } from '../bytes.js';

const ascii = (text: string) => Array.from(text, (c) => c.charCodeAt(0));
const u16be = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const u16le = (n: number) => [n & 0xff, (n >> 8) & 0xff];
const u24le = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff];
const u32be = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const u32le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

/** PNG signature and IHDR (CRC left zero: nothing here checks it). */
export function pngHeader(width: number, height: number): Uint8Array {
  return Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...u32be(13), ...ascii('IHDR'), ...u32be(width), ...u32be(height), 8, 2, 0, 0, 0, 0, 0, 0, 0]);
}

/** SOI, a JFIF APP0, then a frame header (SOF0 unless `sof` says) with the size, then the start of a scan. */
export function jpegHeader(width: number, height: number, sof = 0xc0): Uint8Array {
  return Uint8Array.from([
    0xff, 0xd8,
    0xff, 0xe0, ...u16be(16), ...ascii('JFIF'), 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
    0xff, sof, ...u16be(17), 8, ...u16be(height), ...u16be(width), 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1,
    0xff, 0xda, ...u16be(12), 3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3f, 0,
  ]);
}

function riff(form: string, chunk: string, body: number[]): Uint8Array {
  return Uint8Array.from([...ascii('RIFF'), ...u32le(4 + 8 + body.length), ...ascii(form), ...ascii(chunk), ...u32le(body.length), ...body]);
}

/** WebP lossy (VP8): frame tag, start code, 14-bit sizes. */
export function webpLossyHeader(width: number, height: number): Uint8Array {
  return riff('WEBP', 'VP8 ', [0x30, 0x01, 0x00, 0x9d, 0x01, 0x2a, ...u16le(width & 0x3fff), ...u16le(height & 0x3fff), 0, 0]);
}

/** WebP lossless (VP8L): signature, then width - 1 and height - 1 in 14 bits each. */
export function webpLosslessHeader(width: number, height: number): Uint8Array {
  const bits = ((width - 1) & 0x3fff) | (((height - 1) & 0x3fff) << 14);
  return riff('WEBP', 'VP8L', [0x2f, ...u32le(bits), 0, 0, 0, 0, 0]);
}

/** WebP extended (VP8X): flags, then canvas width - 1 and height - 1 in 24 bits each. */
export function webpExtendedHeader(width: number, height: number): Uint8Array {
  return riff('WEBP', 'VP8X', [0, 0, 0, 0, ...u24le(width - 1), ...u24le(height - 1)]);
}

export function pdfHeader(): Uint8Array {
  return Uint8Array.from(ascii('%PDF-1.7\n%\u00e2\u00e3\n1 0 obj << /Type /Catalog >> endobj\n'));
}

function oggPage(packet: number[]): Uint8Array {
  // "OggS", version 0, beginning of stream, granule 0, serial, page 0, CRC (unchecked here), one segment.
  return Uint8Array.from([...ascii('OggS'), 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, ...u32le(0x1234), ...u32le(0), ...u32le(0), 1, packet.length, ...packet]);
}

/** An Ogg page holding an Opus identification header at byte 28. */
export function oggOpusHeader(): Uint8Array {
  return oggPage([...ascii('OpusHead'), 1, 1, ...u16le(312), ...u32le(48000), 0, 0, 0]);
}

/** The same page holding a Vorbis header instead: Ogg, but not a voice note. */
export function oggVorbisHeader(): Uint8Array {
  return oggPage([1, ...ascii('vorbis'), 0, 0, 0, 0, 1, ...u32le(44100), 0, 0, 0, 0]);
}

/** A 16-bit mono PCM WAV header followed by `samples` silent samples. */
export function wavFile(samples = 4): Uint8Array {
  const fmt = [...u16le(1), ...u16le(1), ...u32le(8000), ...u32le(16000), ...u16le(2), ...u16le(16)];
  const data = new Array<number>(samples * 2).fill(0);
  return Uint8Array.from([...ascii('RIFF'), ...u32le(4 + 8 + fmt.length + 8 + data.length), ...ascii('WAVE'), ...ascii('fmt '), ...u32le(fmt.length), ...fmt, ...ascii('data'), ...u32le(data.length), ...data]);
}

/** A Windows program's first bytes ("MZ", then a PE header further on). */
export function exeHeader(): Uint8Array {
  const bytes = new Uint8Array(256);
  bytes.set(ascii('MZ'), 0);
  bytes.set(u32le(128), 0x3c);
  bytes.set(ascii('PE\u0000\u0000'), 128);
  return bytes;
}

/** CPython's Lib/test/imghdrdata/python.jpg: a real 16 x 16 JFIF baseline JPEG (543 bytes). */
export const REAL_JPEG = fromHex([
  'ffd8ffe000104a46494600010101000100010000ffdb00430003020202020203020202030303030406040404040408060605',
  '0609080a0a090809090a0c0f0c0a0b0e0b09090d110d0e0f101011100a0c12131210130f101010ffdb004301030303040304',
  '08040408100b090b101010101010101010101010101010101010101010101010101010101010101010101010101010101010',
  '1010101010101010ffc00011080010001003012200021101031101ffc4001600010101000000000000000000000000000704',
  '05ffc4002410000104010402020300000000000000000102030406050708121311220014093132ffc4001501010100000000',
  '000000000000000000000006ffc400231100010205030500000000000000000000010211030405062100123115166181e1ff',
  'da000c03010002110311003f0014a6d26a1b73c1e61312d4951cf31163e42565beba5aec694540b1e520b254a51fd2cab8fa',
  'f220ab963d976c9335e69b77d7e66da71781a5571c7f1cea71e24b39d7e32253f21a69ded4714a38b482e84b892a71691ecd',
  '2d213bf1efb91a74aceea15a758ed548ac655b858b81857b21299867a96b94b949654fb9c88529114b812af07ad9f23c807e',
  '55be0df662a140cce8e69a3d5cb743b3d77a6558b1d9512188bf64b8d3f1c3680429c0d0febb3c02e03c5407b4bdd97b54e6',
  '27fb6edf9460148262138db8529828370589727960e432896fc3828ea7528cea208dbe78191f07ad7fffd9',
].join(''));

/** CPython's Lib/test/imghdrdata/python.webp: a real 16 x 16 extended (VP8X) WebP (432 bytes). */
export const REAL_WEBP = fromHex([
  '52494646a801000057454250565038580a000000100000000f00000f0000414c5048c30000000127a2a89124e57ae7185fe7',
  'df2a998898ff74718de02630e2e18b7732c8c1115c832b30e8b078158e785135c1080c024f92a06ab055191cd6b66d462f4e',
  'c6763cb6ed77fbaf29ae21a2ff49d1fd8f90f7ba4449241b3a259134f3146d0ec7d3e51620f40b14be90e183b71a329e3682',
  '7f1d297e4e7608fb889eb391ef997346e83282dbf8cc48b2f745307d20fd36178c2132562da5d66b23bc5de3a55915d59c81',
  'a4d96e96758a18310f8aaa2c5034fa3082dfba6b505229b52dcfe954140a0100000056503820be0000009002009d012a1000',
  '100003003425b00274304f08850c7c031d082cfde800fefd74a0fd029b1f8af7437c9c37f6d20cafd3ff3568e2eea7bdc96f',
  '1bf4aac563aeba9f9784df41a23bda5be4eff8cbf1bd7fe1affa3fe509ecf4bb665fffaa29d97fc96ce786e6ac97b9e4c6f4',
  '93238c5fdd8f3955207f954ffc39f8ff6fd26b03e89fbc8398666db1d513ff7617e6b1fe5d8ae49f47bfb3fabffe1d1df312',
  '8ffe5ccfc1faf918c3bdcfcf1f9139a001fd9a014b312cdebcd97baaac000000',
].join(''));

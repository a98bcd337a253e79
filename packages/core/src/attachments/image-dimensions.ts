/**
 * @module attachments/image-dimensions
 * Reads an image's width and height from its header bytes (JPEG, PNG, WebP) and refuses an image
 * too large to decode safely, before any decoder sees it: an "image bomb" of 50,000 x 50,000
 * pixels is a few kilobytes of file and gigabytes of bitmap. `file-type` names the type but not
 * the size, and the decoder sandbox (a worker in the browser) is the second line, not the first.
 * Only fixed header fields are read, with every offset checked: no decompression, no allocation.
 */
import { LIMITS } from '@sotto/protocol';

/** Pixels a side, as the protocol bounds `Attachment.width`/`height`. */
export const IMAGE_MAX_SIDE = LIMITS.attachmentMaxPixelsPerSide;
/**
 * Total pixels: a 50-megapixel photo (the largest phone sensors) decodes to 200 MB of RGBA, the
 * most a browser worker should be asked for; 16,384 x 16,384 (268 MP) would be over 1 GB.
 */
export const IMAGE_MAX_PIXELS = 50_000_000;

export type ImageDimensions = { ok: true; width: number; height: number } | { ok: false; reason: string };

const refuse = (reason: string): ImageDimensions => ({ ok: false, reason });

function ascii(bytes: Uint8Array, at: number, text: string): boolean {
  if (at + text.length > bytes.byteLength) return false;
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

const u16be = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;
const u16le = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8);
const u24le = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16);
const u32be = (b: Uint8Array, at: number) => (b[at]! * 2 ** 24) + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);

function pngSize(b: Uint8Array): [number, number] | undefined {
  // Signature (8), IHDR length (4) = 13, "IHDR", width, height: all big-endian.
  if (b.byteLength < 24 || !ascii(b, 12, 'IHDR') || u32be(b, 8) !== 13) return undefined;
  return [u32be(b, 16), u32be(b, 20)];
}

/** Start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not frames. */
const isStartOfFrame = (marker: number) => marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

function jpegSize(b: Uint8Array): [number, number] | undefined {
  if (b.byteLength < 4 || b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  let at = 2;
  while (at + 1 < b.byteLength) {
    if (b[at] !== 0xff) return undefined; // every segment starts with a marker
    while (at < b.byteLength && b[at] === 0xff) at++; // fill bytes
    if (at >= b.byteLength) return undefined;
    const marker = b[at]!;
    at++;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // no length
    if (marker === 0xd9 || marker === 0xda) return undefined; // end, or scan data, before any frame header
    if (at + 2 > b.byteLength) return undefined;
    const length = u16be(b, at);
    if (length < 2) return undefined;
    if (isStartOfFrame(marker)) {
      if (at + 7 > b.byteLength || length < 7) return undefined;
      return [u16be(b, at + 5), u16be(b, at + 3)]; // precision (1), height (2), width (2)
    }
    at += length;
  }
  return undefined;
}

function webpSize(b: Uint8Array): [number, number] | undefined {
  if (b.byteLength < 30 || !ascii(b, 0, 'RIFF') || !ascii(b, 8, 'WEBP')) return undefined;
  if (ascii(b, 12, 'VP8 ')) {
    // Lossy: frame tag (3) then the start code 9d 01 2a, then 14-bit width and height (2 bits of scale each).
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return undefined;
    return [u16le(b, 26) & 0x3fff, u16le(b, 28) & 0x3fff];
  }
  if (ascii(b, 12, 'VP8L')) {
    // Lossless: signature 0x2f, then width - 1 and height - 1 in 14 bits each, little-endian.
    if (b[20] !== 0x2f) return undefined;
    const bits = b[21]! | (b[22]! << 8) | (b[23]! << 16) | (b[24]! << 24);
    return [(bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1];
  }
  if (ascii(b, 12, 'VP8X')) {
    // Extended: flags (4), then canvas width - 1 and height - 1 in 24 bits each.
    return [u24le(b, 24) + 1, u24le(b, 27) + 1];
  }
  return undefined;
}

/** A Map, not an object: a media type like `constructor` must find nothing. */
const READERS: ReadonlyMap<string, (bytes: Uint8Array) => [number, number] | undefined> = new Map([
  ['image/png', pngSize],
  ['image/jpeg', jpegSize],
  ['image/webp', webpSize],
]);

/**
 * The image's size from the first bytes of the file (64 KiB is plenty for a sender's re-encoded
 * photo; a JPEG whose size lies further in, behind large metadata, is refused as unreadable),
 * refused when it is not a listed image type, cannot be read, or is too large to decode safely.
 */
export function checkImageDimensions(head: Uint8Array, mediaType: string): ImageDimensions {
  const read = READERS.get(mediaType);
  if (read === undefined) return refuse('It is not an image type Sotto shows.');
  const size = read(head);
  if (size === undefined) return refuse("Its size could not be read from the image's header.");
  const [width, height] = size;
  if (width < 1 || height < 1) return refuse('Its header gives it no size.');
  if (width > IMAGE_MAX_SIDE || height > IMAGE_MAX_SIDE || width * height > IMAGE_MAX_PIXELS) {
    return refuse(`It is ${width} x ${height} pixels, too large to open safely.`);
  }
  return { ok: true, width, height };
}

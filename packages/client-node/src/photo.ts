/**
 * @module photo
 * A photo as the CLI sends it: re-encoded by sharp (libvips) so that nothing but the pixels
 * leaves the device. Location, camera serials, the editing software, the original time: EXIF, XMP
 * and IPTC are all dropped, because a fresh JPEG is written from the decoded image (its
 * orientation applied first, so nothing needs the orientation tag). A small preview (at most
 * 12 KiB) goes inside the message. The member's own photo is decoded here, on the sending side,
 * and only after its header showed a size that is safe to decode.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import sharp, { type OutputInfo, type Sharp } from 'sharp';
import { LIMITS } from '@sotto/protocol';
import { ClientError, IMAGE_MAX_PIXELS, SNIFF_HEAD_BYTES, checkImageDimensions, sniffMediaType, type FileSource, type SendFileOptions } from '@sotto/core';

/** Sent photos are at most this many pixels on their longest side (as messengers send "standard quality"). */
export const PHOTO_MAX_SIDE = 2560;
const PHOTO_QUALITY = 85;
/** The preview: small enough to sit inside the MLS message. */
const THUMBNAIL_SIDE = 160;
/** Files larger than this are not read whole to be re-encoded (the photo cap; bigger go as files). */
const MAX_PHOTO_BYTES = 50 * 1024 * 1024;

export interface PreparedPhoto {
  readonly file: FileSource;
  readonly options: Pick<SendFileOptions, 'width' | 'height' | 'thumbnail'>;
}

/** Whether the file at `path` is a photo Sotto shows as one (JPEG, PNG or WebP, by its bytes). */
export async function isPhoto(head: Uint8Array): Promise<boolean> {
  const { mediaType } = await sniffMediaType(head);
  return mediaType === 'image/jpeg' || mediaType === 'image/png' || mediaType === 'image/webp';
}

async function thumbnailOf(image: Sharp): Promise<Uint8Array> {
  for (const [side, quality] of [[THUMBNAIL_SIDE, 70], [THUMBNAIL_SIDE, 50], [120, 45], [96, 40], [64, 35]] as const) {
    const bytes = await image.clone().resize(side, side, { fit: 'inside' }).jpeg({ quality, mozjpeg: true }).toBuffer();
    if (bytes.byteLength <= LIMITS.attachmentThumbnailMaxBytes) return new Uint8Array(bytes);
  }
  throw new ClientError('INVALID_INPUT', 'No preview of this photo fits in a message; send it as a file.');
}

/** Re-encodes the photo at `path`, or returns undefined when it is not a photo (then it goes as a file). */
export async function preparePhoto(path: string): Promise<PreparedPhoto | undefined> {
  if ((await stat(path)).size > MAX_PHOTO_BYTES) return undefined;
  const original = await readFile(path);
  const head = new Uint8Array(original.subarray(0, SNIFF_HEAD_BYTES));
  if (!(await isPhoto(head))) return undefined;
  const { mediaType } = await sniffMediaType(head);
  if (!checkImageDimensions(head, mediaType).ok) return undefined;
  let encoded: { data: Buffer; info: OutputInfo };
  let thumbnail: Uint8Array;
  try {
    const image = sharp(original, { limitInputPixels: IMAGE_MAX_PIXELS, failOn: 'error' }).rotate();
    encoded = await image.clone().resize(PHOTO_MAX_SIDE, PHOTO_MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: PHOTO_QUALITY, mozjpeg: true }).toBuffer({ resolveWithObject: true });
    thumbnail = await thumbnailOf(image);
  } catch (error) {
    if (error instanceof ClientError) throw error;
    throw new ClientError('INVALID_INPUT', `${basename(path)} could not be read as a photo; send it as a file (--as-file).`);
  }
  const bytes = new Uint8Array(encoded.data);
  return {
    file: {
      name: `${basename(path, extname(path)) || 'photo'}.jpg`,
      size: bytes.byteLength,
      async *read() {
        yield bytes;
      },
    },
    options: { width: encoded.info.width, height: encoded.info.height, thumbnail },
  };
}

/** An avatar from an image file: cropped square, 256 pixels, re-encoded (metadata gone) to at most 12 KiB. */
export async function avatarFromFile(path: string): Promise<Uint8Array> {
  const original = await readFile(path);
  const head = new Uint8Array(original.subarray(0, SNIFF_HEAD_BYTES));
  if (!(await isPhoto(head))) throw new ClientError('INVALID_INPUT', `${basename(path)} is not a JPEG, PNG or WebP image.`);
  const { mediaType } = await sniffMediaType(head);
  const size = checkImageDimensions(head, mediaType);
  if (!size.ok) throw new ClientError('INVALID_INPUT', `${basename(path)} cannot be used: ${size.reason}`);
  try {
    const image = sharp(original, { limitInputPixels: IMAGE_MAX_PIXELS, failOn: 'error' }).rotate();
    for (const [side, quality] of [[256, 80], [256, 60], [192, 55], [128, 50]] as const) {
      const bytes = await image.clone().resize(side, side, { fit: 'cover' }).jpeg({ quality, mozjpeg: true }).toBuffer();
      if (bytes.byteLength <= LIMITS.avatarMaxBytes) return new Uint8Array(bytes);
    }
  } catch {
    throw new ClientError('INVALID_INPUT', `${basename(path)} could not be read as an image.`);
  }
  throw new ClientError('INVALID_INPUT', `No small enough avatar could be made from ${basename(path)}.`);
}

/**
 * @module media/avatar-image
 * Avatars through the image sandbox. The member's chosen picture is decoded and redrawn by the
 * sandbox worker (its metadata does not survive the redraw); the page crops the worker's fresh
 * bitmap to a centred square of AVATAR_SIDE pixels and encodes those pixels as JPEG, lowering the
 * quality until it fits the protocol's avatar limit. A contact's avatar is drawn only from the
 * worker's bitmap: the page never decodes avatar bytes itself.
 */
import { LIMITS } from '@sotto/protocol';
import { checkImageHeader } from './image-checks.js';
import { decodeInSandbox, ImageRefused, PHOTO_MAX_SIDE } from './image-sandbox.js';

/** The side of every avatar this app makes. */
export const AVATAR_SIDE = 256;
/** Lower and lower JPEG qualities: the first that fits the limit is kept. */
const QUALITIES = [0.85, 0.75, 0.65, 0.55, 0.45, 0.35, 0.25, 0.15];

/** The member's picture as an avatar: a square JPEG of AVATAR_SIDE pixels, at most `LIMITS.avatarMaxBytes`. */
export async function makeAvatar(bytes: Uint8Array): Promise<Uint8Array> {
  const verdict = checkImageHeader(bytes);
  if (!verdict.ok) throw new ImageRefused(`This picture cannot be used. ${verdict.reason}`);
  // Decoded so that the shorter side is still at least AVATAR_SIDE, when the picture has that many pixels.
  const aspect = Math.max(verdict.width, verdict.height) / Math.max(1, Math.min(verdict.width, verdict.height));
  const bitmap = await decodeInSandbox(bytes, Math.min(PHOTO_MAX_SIDE, Math.ceil(AVATAR_SIDE * aspect)));
  const canvas = new OffscreenCanvas(AVATAR_SIDE, AVATAR_SIDE);
  try {
    const context = canvas.getContext('2d');
    if (!context) throw new ImageRefused('This browser cannot make an avatar here.');
    const square = Math.min(bitmap.width, bitmap.height);
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, AVATAR_SIDE, AVATAR_SIDE);
    context.imageSmoothingQuality = 'high';
    context.drawImage(bitmap, (bitmap.width - square) / 2, (bitmap.height - square) / 2, square, square, 0, 0, AVATAR_SIDE, AVATAR_SIDE);
  } finally {
    bitmap.close();
  }
  for (const quality of QUALITIES) {
    const jpeg = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/jpeg', quality })).arrayBuffer());
    if (jpeg.byteLength <= LIMITS.avatarMaxBytes) return jpeg;
  }
  throw new ImageRefused(`This picture cannot be made small enough for an avatar (${LIMITS.avatarMaxBytes / 1024} KiB). Try another one.`);
}

/** A bitmap of an avatar (the member's own or a contact's) drawn by the sandbox, at most `side` pixels a side. */
export function drawAvatar(avatar: Uint8Array, side: number): Promise<ImageBitmap> {
  return decodeInSandbox(avatar, side, LIMITS.avatarMaxPixelsPerSide);
}

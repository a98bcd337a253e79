/**
 * @module media/image-checks
 * What the page may check of image bytes without decoding them: which image type they begin as
 * (by signature) and whether the size their header states is safe to decode, for a received
 * photo's preview (at most 1,024 a side) and its stated size (at most 50 MP). Fixed header fields
 * only (`checkImageDimensions`): no decompression, no allocation.
 */
import { checkImageDimensions, IMAGE_MAX_PIXELS, matchesSignature } from '@sotto/core';
import { LIMITS } from '@sotto/protocol';

/** A thumbnail is small by construction (about 160 px); a bigger one is refused before decoding. */
export const THUMBNAIL_MAX_SIDE = 1024;
const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;

export type Verdict = { readonly ok: true; readonly mediaType: string; readonly width: number; readonly height: number } | { readonly ok: false; readonly reason: string };

function formatPixels(n: number): string {
  return n.toLocaleString('en-GB');
}

/** Which image type `bytes` begin as (by signature), and whether their header's size is safe to decode. */
export function checkImageHeader(bytes: Uint8Array, maxSide: number = LIMITS.attachmentMaxPixelsPerSide): Verdict {
  const mediaType = IMAGE_TYPES.find((type) => matchesSignature(bytes, type));
  if (!mediaType) return { ok: false, reason: 'It is not a JPEG, PNG or WebP image.' };
  const size = checkImageDimensions(bytes, mediaType);
  if (!size.ok) return { ok: false, reason: size.reason };
  if (size.width > maxSide || size.height > maxSide) {
    return { ok: false, reason: `It claims to be ${formatPixels(size.width)} × ${formatPixels(size.height)} pixels, more than ${formatPixels(maxSide)} a side.` };
  }
  return { ok: true, mediaType, width: size.width, height: size.height };
}

/**
 * Whether a received image's preview may be decoded at all: the photo's stated size must be one a
 * browser can open, and the preview's own header must be a small image. Otherwise the message is
 * shown as a file, with the reason.
 */
export function checkReceivedPreview(photo: { width?: number; height?: number; thumbnail?: Uint8Array }): Verdict | undefined {
  const width = photo.width ?? 0;
  const height = photo.height ?? 0;
  if (width * height > IMAGE_MAX_PIXELS) {
    return { ok: false, reason: `It says it is ${formatPixels(width)} × ${formatPixels(height)} pixels, too large to open safely, so it is shown as a file.` };
  }
  if (!photo.thumbnail || photo.thumbnail.byteLength === 0) return undefined;
  const verdict = checkImageHeader(photo.thumbnail, THUMBNAIL_MAX_SIDE);
  return verdict.ok ? verdict : { ok: false, reason: `Its preview was not opened: ${lowerFirst(verdict.reason)} It is shown as a file.` };
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

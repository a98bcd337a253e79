import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkImageHeader, checkReceivedPreview, THUMBNAIL_MAX_SIDE } from './image-checks.js';

/** A PNG signature and IHDR claiming `width` x `height` (no pixels: only the header is read). */
function pngHeader(width: number, height: number): Uint8Array {
  const bytes = new Uint8Array(33);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const view = new DataView(bytes.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  bytes[24] = 8;
  bytes[25] = 2;
  return bytes;
}

test('a small PNG header passes, with its type and size', () => {
  assert.deepEqual(checkImageHeader(pngHeader(160, 120), THUMBNAIL_MAX_SIDE), { ok: true, mediaType: 'image/png', width: 160, height: 120 });
});

test('a preview larger than 1,024 a side is refused before decoding', () => {
  const verdict = checkImageHeader(pngHeader(2000, 100), THUMBNAIL_MAX_SIDE);
  assert.equal(verdict.ok, false);
  assert.match(!verdict.ok ? verdict.reason : '', /2,000 × 100 pixels, more than 1,024 a side/);
});

test('an image bomb header (50,000 x 50,000) is refused by the core check', () => {
  const verdict = checkImageHeader(pngHeader(50_000, 50_000));
  assert.equal(verdict.ok, false);
  assert.match(!verdict.ok ? verdict.reason : '', /too large to open safely/);
});

test('bytes that are no image (a PDF) are refused', () => {
  const verdict = checkImageHeader(new TextEncoder().encode('%PDF-1.7\n1 0 obj'));
  assert.deepEqual(verdict, { ok: false, reason: 'It is not a JPEG, PNG or WebP image.' });
});

test('a received photo: too many pixels claimed, or a bomb preview, is shown as a file with the reason', () => {
  const huge = checkReceivedPreview({ width: 16_384, height: 16_384 });
  assert.equal(huge?.ok, false);
  assert.match(huge && !huge.ok ? huge.reason : '', /16,384 × 16,384 pixels, too large to open safely, so it is shown as a file/);
  const bomb = checkReceivedPreview({ width: 1000, height: 1000, thumbnail: pngHeader(50_000, 50_000) });
  assert.equal(bomb?.ok, false);
  assert.match(bomb && !bomb.ok ? bomb.reason : '', /^Its preview was not opened: it is 50000 x 50000 pixels.*shown as a file\.$/);
});

test('a received photo without a preview needs no check; one with a small preview passes', () => {
  assert.equal(checkReceivedPreview({ width: 640, height: 480 }), undefined);
  assert.equal(checkReceivedPreview({ width: 640, height: 480, thumbnail: pngHeader(160, 120) })?.ok, true);
});

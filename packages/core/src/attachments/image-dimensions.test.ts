import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IMAGE_MAX_PIXELS, IMAGE_MAX_SIDE, checkImageDimensions } from './image-dimensions.js';
import { jpegHeader, pngHeader, webpLosslessHeader, webpLossyHeader, webpExtendedHeader, REAL_JPEG, REAL_WEBP } from './test-samples.js';
import { concatBytes } from '../bytes.js';

test('reads the size from PNG, JPEG and all three WebP headers', () => {
  assert.deepEqual(checkImageDimensions(pngHeader(640, 480), 'image/png'), { ok: true, width: 640, height: 480 });
  assert.deepEqual(checkImageDimensions(jpegHeader(4032, 3024), 'image/jpeg'), { ok: true, width: 4032, height: 3024 });
  assert.deepEqual(checkImageDimensions(webpLossyHeader(1000, 750), 'image/webp'), { ok: true, width: 1000, height: 750 });
  assert.deepEqual(checkImageDimensions(webpLosslessHeader(16, 9), 'image/webp'), { ok: true, width: 16, height: 9 });
  assert.deepEqual(checkImageDimensions(webpExtendedHeader(5000, 4000), 'image/webp'), { ok: true, width: 5000, height: 4000 });
});

test('reads real files (CPython test images, 16 x 16)', () => {
  assert.deepEqual(checkImageDimensions(REAL_JPEG, 'image/jpeg'), { ok: true, width: 16, height: 16 });
  assert.deepEqual(checkImageDimensions(REAL_WEBP, 'image/webp'), { ok: true, width: 16, height: 16 });
});

test('skips JPEG segments and fill bytes before the frame header, and takes SOF2 (progressive)', () => {
  const app1 = [0xff, 0xe1, 0x00, 0x08, 1, 2, 3, 4, 5, 6];
  const withFill = concatBytes(new Uint8Array([0xff, 0xd8]), new Uint8Array(app1), new Uint8Array([0xff, 0xff]), jpegHeader(300, 200, 0xc2).subarray(2));
  assert.deepEqual(checkImageDimensions(withFill, 'image/jpeg'), { ok: true, width: 300, height: 200 });
});

test('an image bomb is refused before any decode', () => {
  for (const [bytes, type] of [
    [pngHeader(50_000, 50_000), 'image/png'],
    [jpegHeader(65_535, 65_535), 'image/jpeg'],
    [webpExtendedHeader(16_777_216, 2), 'image/webp'],
    [pngHeader(IMAGE_MAX_SIDE + 1, 1), 'image/png'],
    [pngHeader(1, 2 ** 32 - 1), 'image/png'],
  ] as const) {
    const r = checkImageDimensions(bytes, type);
    assert.equal(r.ok, false);
    assert.match((r as { reason: string }).reason, /too large to open safely/);
  }
});

test('a size within each side but over the pixel budget is refused; at the budget it passes', () => {
  assert.equal(checkImageDimensions(pngHeader(10_000, 5_001), 'image/png').ok, false);
  assert.equal(checkImageDimensions(pngHeader(10_000, 5_000), 'image/png').ok, true);
  assert.equal(10_000 * 5_000, IMAGE_MAX_PIXELS);
  assert.equal(checkImageDimensions(pngHeader(IMAGE_MAX_SIDE, 1), 'image/png').ok, true);
});

test('a zero size is refused', () => {
  assert.deepEqual(checkImageDimensions(pngHeader(0, 10), 'image/png'), { ok: false, reason: 'Its header gives it no size.' });
  assert.deepEqual(checkImageDimensions(jpegHeader(10, 0), 'image/jpeg'), { ok: false, reason: 'Its header gives it no size.' });
});

test('unreadable headers are refused with a reason: truncated, scan before frame, wrong chunk, not an image', () => {
  const unreadable = { ok: false, reason: "Its size could not be read from the image's header." };
  assert.deepEqual(checkImageDimensions(pngHeader(10, 10).subarray(0, 20), 'image/png'), unreadable);
  assert.deepEqual(checkImageDimensions(jpegHeader(10, 10).subarray(0, 24), 'image/jpeg'), unreadable);
  assert.deepEqual(checkImageDimensions(new Uint8Array([0xff, 0xd8, 0xff, 0xda, 0, 4, 0, 0]), 'image/jpeg'), unreadable);
  assert.deepEqual(checkImageDimensions(new Uint8Array([0xff, 0xd8, 0x00, 0x00]), 'image/jpeg'), unreadable);
  assert.deepEqual(checkImageDimensions(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01]), 'image/jpeg'), unreadable);
  const badChunk = webpLossyHeader(10, 10);
  badChunk.set([0x41, 0x4c, 0x50, 0x48], 12); // ALPH where VP8 belongs
  assert.deepEqual(checkImageDimensions(badChunk, 'image/webp'), unreadable);
  const badStart = webpLossyHeader(10, 10);
  badStart[23] = 0;
  assert.deepEqual(checkImageDimensions(badStart, 'image/webp'), unreadable);
  assert.deepEqual(checkImageDimensions(new Uint8Array(0), 'image/png'), unreadable);
  assert.deepEqual(checkImageDimensions(pngHeader(1, 1), 'image/gif'), { ok: false, reason: 'It is not an image type Sotto shows.' });
  assert.deepEqual(checkImageDimensions(pngHeader(1, 1), 'constructor'), { ok: false, reason: 'It is not an image type Sotto shows.' });
});

test('property: any bytes give a verdict, never a throw, and an accepted size is within the limits', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom('image/png', 'image/jpeg', 'image/webp'), fc.nat(40), (bytes, type, prefix) => {
      // Half the time behind a real signature, so the readers get past their first check.
      const start = prefix % 2 === 0 ? bytes : concatBytes({ 'image/png': pngHeader(1, 1), 'image/jpeg': jpegHeader(1, 1), 'image/webp': webpLossyHeader(1, 1) }[type].subarray(0, prefix), bytes);
      const r = checkImageDimensions(start, type);
      if (r.ok) {
        assert.ok(r.width >= 1 && r.height >= 1 && r.width <= IMAGE_MAX_SIDE && r.height <= IMAGE_MAX_SIDE && r.width * r.height <= IMAGE_MAX_PIXELS);
      } else {
        assert.ok(r.reason.length > 0);
      }
    }),
    { numRuns: 3000 },
  );
});

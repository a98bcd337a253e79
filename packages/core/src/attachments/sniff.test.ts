import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AttachmentKind } from '@sotto/protocol';
import { classify, decideDisplay, matchesSignature, sniffMediaType, type ClaimedAttachment } from './sniff.js';
import { ALLOWED_MEDIA_TYPES, OCTET_STREAM } from './media-types.js';
import {
  REAL_JPEG, REAL_WEBP, exeHeader, jpegHeader, oggOpusHeader, oggVorbisHeader, pdfHeader, pngHeader, wavFile, webpLossyHeader,
} from './test-samples.js';
import { concatBytes } from '../bytes.js';

const { IMAGE, VOICE_NOTE, FILE, UNSPECIFIED } = AttachmentKind;
const claim = (mediaType: string, kind: AttachmentKind, fileName = 'f'): ClaimedAttachment => ({ mediaType, kind, fileName });
const ascii = (text: string) => new TextEncoder().encode(text);

test('sniffs each listed type from its bytes (file-type and the signature agreeing)', async () => {
  const cases: [Uint8Array, string][] = [
    [REAL_JPEG, 'image/jpeg'], [jpegHeader(10, 10), 'image/jpeg'], [pngHeader(4, 4), 'image/png'], [REAL_WEBP, 'image/webp'],
    [webpLossyHeader(5, 5), 'image/webp'], [pdfHeader(), 'application/pdf'], [oggOpusHeader(), 'audio/ogg'], [wavFile(), 'audio/wav'],
  ];
  for (const [bytes, expected] of cases) assert.equal((await sniffMediaType(bytes)).mediaType, expected, expected);
});

test('anything else is application/octet-stream, with what file-type called it', async () => {
  assert.deepEqual(await sniffMediaType(oggVorbisHeader()), { mediaType: OCTET_STREAM, detected: 'audio/ogg' });
  assert.deepEqual(await sniffMediaType(exeHeader()), { mediaType: OCTET_STREAM, detected: 'application/x-msdownload' });
  assert.deepEqual(await sniffMediaType(ascii('GIF89a\u0001\u0000\u0001\u0000')), { mediaType: OCTET_STREAM, detected: 'image/gif' });
  assert.deepEqual(await sniffMediaType(ascii('just some text')), { mediaType: OCTET_STREAM, detected: undefined });
  assert.deepEqual(await sniffMediaType(new Uint8Array(0)), { mediaType: OCTET_STREAM, detected: undefined });
});

test('a listed type whose strict signature fails is not trusted on file-type\'s word alone', async () => {
  // file-type calls any "RIFF....WEBP" a WebP; without a VP8 chunk it is not one here.
  const riffWebpOnly = concatBytes(ascii('RIFF'), new Uint8Array(4), ascii('WEBPJUNK'), new Uint8Array(20));
  assert.deepEqual(await sniffMediaType(riffWebpOnly), { mediaType: OCTET_STREAM, detected: 'image/webp' });
  assert.equal(matchesSignature(riffWebpOnly, 'image/webp'), false);
  assert.equal(matchesSignature(pngHeader(1, 1), 'image/gif'), false);
  assert.equal(matchesSignature(pngHeader(1, 1), 'constructor'), false);
});

test('an honest image, voice note or PDF is shown as what it is', async () => {
  assert.deepEqual(await classify(REAL_JPEG, claim('image/jpeg', IMAGE, 'photo.jpg')), { display: 'image', mediaType: 'image/jpeg', width: 16, height: 16 });
  assert.deepEqual(await classify(pngHeader(800, 600), claim('image/png', IMAGE, 'screen.png')), { display: 'image', mediaType: 'image/png', width: 800, height: 600 });
  assert.deepEqual(await classify(oggOpusHeader(), claim('audio/ogg', VOICE_NOTE, 'voice.ogg')), { display: 'voice-note', mediaType: 'audio/ogg' });
  assert.deepEqual(await classify(pdfHeader(), claim('application/pdf', FILE, 'filing.pdf')), { display: 'file', mediaType: 'application/pdf' });
});

test('a photo sent as a file stays a file, with nothing to explain', async () => {
  assert.deepEqual(await classify(REAL_JPEG, claim('image/jpeg', FILE, 'photo.jpg')), { display: 'file', mediaType: 'image/jpeg' });
});

test('a PDF claiming to be a JPEG photo is a file, and the reason says so', async () => {
  const r = await classify(pdfHeader(), claim('image/jpeg', IMAGE, 'photo.jpg'));
  assert.deepEqual(r, { display: 'file', mediaType: 'application/pdf', reason: 'This file says it is a JPEG photo but its bytes are a PDF; it is shown as a file.' });
});

test('a PDF claiming only the image kind is a file', async () => {
  const r = await classify(pdfHeader(), claim('application/pdf', IMAGE, 'x.pdf'));
  assert.equal(r.display, 'file');
  assert.equal(r.reason, 'This file says it is a photo but its bytes are a PDF; it is shown as a file.');
});

test('a JPEG claimed as a PNG is a file', async () => {
  const r = await classify(REAL_JPEG, claim('image/png', IMAGE, 'a.png'));
  assert.deepEqual(r, { display: 'file', mediaType: 'image/jpeg', reason: 'This file says it is a PNG image but its bytes are a JPEG photo; it is shown as a file.' });
});

test('a name whose ending says another listed type makes it a file', async () => {
  const r = await classify(REAL_JPEG, claim('image/jpeg', IMAGE, 'scan.pdf'));
  assert.deepEqual(r, { display: 'file', mediaType: 'image/jpeg', reason: "This file's name says it is a PDF but its bytes are a JPEG photo; it is shown as a file." });
});

test('a voice note whose bytes are Vorbis, WAV or a program is a file', async () => {
  const vorbis = await classify(oggVorbisHeader(), claim('audio/ogg', VOICE_NOTE, 'v.ogg'));
  assert.deepEqual(vorbis, { display: 'file', mediaType: OCTET_STREAM, reason: 'This file says it is an Opus voice note but its bytes are a different kind of file (audio/ogg); it is shown as a file.' });
  const wav = await classify(wavFile(), claim('audio/ogg', VOICE_NOTE, 'v.ogg'));
  assert.equal(wav.display, 'file');
  assert.equal(wav.reason, 'This file says it is an Opus voice note but its bytes are a WAV recording; it is shown as a file.');
  const wavClaimed = await classify(wavFile(), claim('audio/wav', VOICE_NOTE, 'v.wav'));
  assert.equal(wavClaimed.display, 'file');
  assert.equal(wavClaimed.reason, 'This file says it is a voice note but its bytes are a WAV recording; it is shown as a file.');
  const exe = await classify(exeHeader(), claim('image/jpeg', IMAGE, 'cute.jpg'));
  assert.equal(exe.reason, 'This file says it is a JPEG photo but its bytes are a different kind of file (application/x-msdownload); it is shown as a file.');
});

test('unknown bytes claiming nothing are a file without a reason', async () => {
  assert.deepEqual(await classify(exeHeader(), claim(OCTET_STREAM, FILE, 'setup.exe')), { display: 'file', mediaType: OCTET_STREAM });
  assert.deepEqual(await classify(ascii('hello'), claim(OCTET_STREAM, FILE, 'notes.txt')), { display: 'file', mediaType: OCTET_STREAM });
});

test('unknown bytes named like a listed type are a file with a reason', async () => {
  const r = await classify(ascii('hello'), claim(OCTET_STREAM, FILE, 'notes.pdf'));
  assert.deepEqual(r, { display: 'file', mediaType: OCTET_STREAM, reason: 'This file says it is a PDF but its bytes are not a type Sotto shows; it is shown as a file.' });
});

test('a polyglot (a picture that is also a PDF or a web page) is a file', async () => {
  const pdfInside = concatBytes(REAL_JPEG.subarray(0, 100), ascii('%PDF-1.4 hidden'), REAL_JPEG.subarray(100));
  assert.deepEqual(await classify(pdfInside, claim('image/jpeg', IMAGE, 'p.jpg')), {
    display: 'file', mediaType: 'image/jpeg', reason: 'This file is a JPEG photo that also carries a PDF inside; it is shown as a file.',
  });
  const htmlInside = concatBytes(pngHeader(10, 10), ascii('<HTML><ScRiPt>alert(1)</script>'));
  assert.equal((await classify(htmlInside, claim('image/png', IMAGE, 'p.png'))).reason, 'This file is a PNG image that also carries a web page inside; it is shown as a file.');
  const voice = concatBytes(oggOpusHeader(), ascii('<svg onload=x>'));
  assert.equal((await classify(voice, claim('audio/ogg', VOICE_NOTE, 'v.ogg'))).display, 'file');
});

test('an image bomb or an unreadable image header is a file, before any decode', async () => {
  const bomb = await classify(pngHeader(50_000, 50_000), claim('image/png', IMAGE, 'bomb.png'));
  assert.deepEqual(bomb, { display: 'file', mediaType: 'image/png', reason: 'This image cannot be shown: It is 50000 x 50000 pixels, too large to open safely. It is shown as a file.' });
  const truncated = await classify(REAL_JPEG.subarray(0, 40), claim('image/jpeg', IMAGE, 't.jpg'));
  assert.equal(truncated.display, 'file');
  assert.match(truncated.reason!, /size could not be read/);
});

test('an unspecified kind is a file', async () => {
  assert.deepEqual(await classify(REAL_JPEG, claim('image/jpeg', UNSPECIFIED, 'a.jpg')), { display: 'file', mediaType: 'image/jpeg' });
});

const SNIFFED = [...ALLOWED_MEDIA_TYPES.map((e) => e.mediaType), OCTET_STREAM, 'constructor', '__proto__'];
const KINDS = [IMAGE, VOICE_NOTE, FILE, UNSPECIFIED, 99 as AttachmentKind];

test('property: decideDisplay never throws, never shows more than the bytes allow, and explains every downgrade it can', () => {
  const head = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc.constantFrom(REAL_JPEG, REAL_WEBP, pngHeader(30, 30), pngHeader(50_000, 2), oggOpusHeader(), pdfHeader(), wavFile()),
  );
  fc.assert(
    fc.property(
      head, fc.constantFrom(...SNIFFED), fc.option(fc.string(), { nil: undefined }),
      fc.oneof(fc.constantFrom(...SNIFFED), fc.string()), fc.constantFrom(...KINDS), fc.string(),
      (bytes, sniffedType, detected, claimedType, kind, fileName) => {
        const r = decideDisplay({ mediaType: sniffedType, detected }, bytes, claim(claimedType, kind, fileName));
        if (r.display !== 'file') {
          assert.ok(matchesSignature(bytes, r.mediaType), 'shown only with a matching signature');
          assert.equal(r.mediaType, claimedType, 'shown only as what it claimed');
          assert.equal(r.reason, undefined);
        }
        if (r.display === 'image') assert.ok(r.width! >= 1 && r.height! >= 1);
        if (r.display === 'voice-note') assert.equal(r.mediaType, 'audio/ogg');
        if (r.reason !== undefined) assert.match(r.reason, /shown as a file\.$/);
      },
    ),
    { numRuns: 3000 },
  );
});

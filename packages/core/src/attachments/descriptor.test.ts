import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AttachmentKind, AttachmentSchema, AppContentSchema, create, decodeAppContent, encodeAppContent, type MessageInitShape } from '@sotto/protocol';
import { buildAttachment, describeReceived, kindForMediaType, type AttachmentFacts } from './descriptor.js';
import { ClientError } from '../errors.js';

const base: AttachmentFacts = {
  blobId: new Uint8Array(16).fill(1),
  key: new Uint8Array(32).fill(2),
  digest: new Uint8Array(32).fill(3),
  size: 1234,
  mediaType: 'application/pdf',
  fileName: 'Filing.pdf',
};

const refused = (facts: AttachmentFacts, message: RegExp) =>
  assert.throws(() => buildAttachment(facts), (e: unknown) => e instanceof ClientError && e.code === 'INVALID_INPUT' && message.test(e.message));

test('the kind follows the sniffed type: images, Opus voice notes, everything else a file', () => {
  assert.equal(kindForMediaType('image/jpeg'), AttachmentKind.IMAGE);
  assert.equal(kindForMediaType('image/png'), AttachmentKind.IMAGE);
  assert.equal(kindForMediaType('image/webp'), AttachmentKind.IMAGE);
  assert.equal(kindForMediaType('audio/ogg'), AttachmentKind.VOICE_NOTE);
  for (const other of ['application/pdf', 'audio/wav', 'image/gif', 'image/svg+xml', 'text/html', 'application/octet-stream', '']) {
    assert.equal(kindForMediaType(other), AttachmentKind.FILE, other);
  }
});

test('a PDF becomes a FILE descriptor that passes the protocol check and survives the wire', () => {
  const { attachment, nameWarnings } = buildAttachment({ ...base, caption: 'The filing, signed' });
  assert.equal(attachment.kind, AttachmentKind.FILE);
  assert.equal(attachment.mediaType, 'application/pdf');
  assert.equal(attachment.fileName, 'Filing.pdf');
  assert.equal(attachment.size, 1234n);
  assert.equal(attachment.caption, 'The filing, signed');
  assert.deepEqual(nameWarnings, []);
  const content = create(AppContentSchema, { messageId: new Uint8Array(16).fill(9), sentAt: 1n, body: { case: 'attachment', value: attachment } });
  const back = decodeAppContent(encodeAppContent(content));
  assert.equal(back.body.case, 'attachment');
});

test('an image carries its size and preview; a voice note its duration and waveform', () => {
  const image = buildAttachment({ ...base, mediaType: 'image/jpeg', fileName: 'IMG_0001.JPG', width: 4032, height: 3024, thumbnail: new Uint8Array(500) }).attachment;
  assert.equal(image.kind, AttachmentKind.IMAGE);
  assert.deepEqual([image.width, image.height, image.thumbnail.byteLength], [4032, 3024, 500]);
  const voice = buildAttachment({ ...base, mediaType: 'audio/ogg', fileName: 'voice', durationMs: 4200, waveform: new Uint8Array(64).fill(7) }).attachment;
  assert.equal(voice.kind, AttachmentKind.VOICE_NOTE);
  assert.equal(voice.fileName, 'voice.ogg');
  assert.equal(voice.durationMs, 4200);
  assert.equal(voice.waveform.byteLength, 64);
});

test('a photo can be sent as a file, and then carries no image fields', () => {
  const { attachment } = buildAttachment({ ...base, mediaType: 'image/png', fileName: 'scan.png', asFile: true, size: 10n });
  assert.equal(attachment.kind, AttachmentKind.FILE);
  assert.equal(attachment.mediaType, 'image/png');
  refused({ ...base, mediaType: 'image/png', asFile: true, width: 10, height: 10 }, /Only an image sent as an image/);
});

test('an unlisted type travels as application/octet-stream, and its name is made honest', () => {
  const { attachment, nameWarnings } = buildAttachment({ ...base, mediaType: 'application/x-msdownload', fileName: 'invoice.pdf.exe' });
  assert.equal(attachment.mediaType, 'application/octet-stream');
  assert.equal(attachment.kind, AttachmentKind.FILE);
  assert.equal(attachment.fileName, 'invoice.pdf.exe.bin');
  assert.equal(nameWarnings.length, 1);
});

test('the name is sanitised on the way out', () => {
  const { attachment, nameWarnings } = buildAttachment({ ...base, fileName: '../../photo\u202Egpj.jpg' });
  assert.equal(attachment.fileName, 'photogpj.jpg.pdf');
  assert.match(nameWarnings[0]!, /ended in \.jpg but the file is a PDF/);
});

test('fields that do not fit the kind, or break the protocol\'s limits, are refused with the reason', () => {
  refused({ ...base, width: 10 }, /Only an image sent as an image/);
  refused({ ...base, thumbnail: new Uint8Array(1) }, /Only an image sent as an image/);
  refused({ ...base, durationMs: 10 }, /Only a voice note/);
  refused({ ...base, mediaType: 'image/jpeg', durationMs: 10, width: 1, height: 1 }, /Only a voice note/);
  refused({ ...base, mediaType: 'image/jpeg' }, /An image width must be a whole number/);
  refused({ ...base, mediaType: 'image/jpeg', width: 10, height: 0 }, /An image height must be a whole number/);
  refused({ ...base, mediaType: 'image/jpeg', width: 20_000, height: 10 }, /at most 16384 pixels a side/);
  refused({ ...base, mediaType: 'image/jpeg', width: 10, height: 10, thumbnail: new Uint8Array(13 * 1024) }, /preview, of at most 12288 bytes/);
  refused({ ...base, mediaType: 'audio/ogg' }, /A voice note duration must be a whole number/);
  refused({ ...base, mediaType: 'audio/ogg', durationMs: 16 * 60_000 }, /at most 15 minutes/);
  refused({ ...base, mediaType: 'audio/ogg', durationMs: 1000, waveform: new Uint8Array(65) }, /at most 64 samples/);
  refused({ ...base, size: 0 }, /1 byte to 4 GiB/);
  refused({ ...base, size: 5 * 1024 ** 3 }, /1 byte to 4 GiB/);
  refused({ ...base, size: 1.5 }, /whole number of bytes/);
  refused({ ...base, key: new Uint8Array(16) }, /key must be 32 bytes/);
  refused({ ...base, blobId: new Uint8Array(15) }, /blob id must be 16 bytes/);
  refused({ ...base, digest: new Uint8Array(0) }, /digest must be 32 bytes/);
  refused({ ...base, caption: 'x'.repeat(1025) }, /caption must be plain text/);
  refused({ ...base, caption: 'bidi \u202E trick' }, /caption must be plain text/);
});

const received = (init: Omit<MessageInitShape<typeof AttachmentSchema>, '$typeName'>) => create(AttachmentSchema, {
  blobId: new Uint8Array(16), key: new Uint8Array(32), digest: new Uint8Array(32), size: 10n, kind: AttachmentKind.FILE,
  mediaType: 'application/pdf', fileName: 'a.pdf', ...init,
});

test('describeReceived shows what the claim allows, with the name sanitised again', () => {
  const image = describeReceived(received({ kind: AttachmentKind.IMAGE, mediaType: 'image/webp', fileName: 'x.webp', width: 10, height: 20, thumbnail: new Uint8Array(3) }));
  assert.deepEqual(image, {
    mediaType: 'image/webp', typeLabel: 'a WebP image', fileName: 'x.webp', nameWarnings: [], size: 10, caption: '',
    display: 'image', width: 10, height: 20, thumbnail: new Uint8Array(3),
  });
  const voice = describeReceived(received({ kind: AttachmentKind.VOICE_NOTE, mediaType: 'audio/ogg', fileName: '', durationMs: 900, waveform: new Uint8Array([1, 2]) }));
  assert.equal(voice.display, 'voice-note');
  assert.equal(voice.fileName, 'file.ogg');
  assert.equal(voice.durationMs, 900);
  const file = describeReceived(received({ fileName: 'photo.jpg' }));
  assert.equal(file.display, 'file');
  assert.equal(file.fileName, 'photo.jpg.pdf');
  assert.equal(file.nameWarnings.length, 1);
});

test('describeReceived: a kind its stated type does not support is a file, with the reason', () => {
  const r = describeReceived(received({ kind: AttachmentKind.IMAGE, mediaType: 'application/pdf', fileName: 'x.pdf' }));
  assert.equal(r.display, 'file');
  assert.equal(r.reason, 'This file says it is a photo but states its type as application/pdf; it is shown as a file.');
  assert.equal(r.width, undefined);
  const svg = describeReceived(received({ kind: AttachmentKind.IMAGE, mediaType: 'image/svg+xml', fileName: 'x.svg' }));
  assert.equal(svg.display, 'file');
  assert.equal(svg.mediaType, 'application/octet-stream');
  assert.equal(svg.typeLabel, 'a file of a type Sotto does not recognise');
  const voice = describeReceived(received({ kind: AttachmentKind.VOICE_NOTE, mediaType: 'audio/wav', fileName: 'x.wav', durationMs: 5 }));
  assert.equal(voice.display, 'file');
});

test('describeReceived refuses a descriptor that never passed the protocol check', () => {
  assert.throws(() => describeReceived(received({ key: new Uint8Array(3) })), (e: unknown) => e instanceof ClientError && e.code === 'INVALID_INPUT' && /malformed: .*key must be 32 bytes/.test(e.message));
  assert.throws(() => describeReceived(received({ kind: AttachmentKind.UNSPECIFIED })), /malformed/);
});

test('property: what buildAttachment accepts, describeReceived shows the same way, with the same name', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('image/jpeg', 'image/png', 'image/webp', 'application/pdf', 'audio/ogg', 'audio/wav', 'application/zip'),
      fc.string({ maxLength: 300 }), fc.boolean(), fc.integer({ min: 1, max: 2 ** 32 }),
      (mediaType, fileName, asFile, size) => {
        const kind = asFile ? AttachmentKind.FILE : kindForMediaType(mediaType);
        const extra = kind === AttachmentKind.IMAGE ? { width: 3, height: 4 } : kind === AttachmentKind.VOICE_NOTE ? { durationMs: 5 } : {};
        const { attachment } = buildAttachment({ ...base, mediaType, fileName, asFile, size, ...extra });
        const view = describeReceived(attachment);
        assert.equal(view.fileName, attachment.fileName, 'the receiver\'s sanitising keeps a sanitised name');
        assert.equal(view.display, kind === AttachmentKind.IMAGE ? 'image' : kind === AttachmentKind.VOICE_NOTE ? 'voice-note' : 'file');
        assert.equal(view.reason, undefined);
        assert.equal(view.size, size);
      },
    ),
    { numRuns: 500 },
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FILE_NAME_MAX_BYTES, sanitizeFileName } from './file-name.js';
import { ALLOWED_MEDIA_TYPES, OCTET_STREAM } from './media-types.js';
import { isPlainText, LIMITS } from '@sotto/protocol';

const JPEG = 'image/jpeg';
const PDF = 'application/pdf';
const name = (raw: string, type = OCTET_STREAM) => sanitizeFileName(raw, type).name;
const bytes = (text: string) => new TextEncoder().encode(text).byteLength;

test('the directory part goes, whichever separator it uses', () => {
  assert.equal(name('../../etc/passwd'), 'passwd');
  assert.equal(name('C:\\Users\\me\\report.pdf', PDF), 'report.pdf');
  assert.equal(name('/abs/path/'), 'path');
  assert.equal(name('a/b\\c.txt'), 'c.txt');
  assert.equal(name('..'), 'file');
  assert.equal(name('../..'), 'file');
});

test('controls, direction marks and invisible characters are removed; whitespace controls become spaces', () => {
  assert.equal(name('inv\u202Efdp.exe'), 'invfdp.exe');
  assert.equal(name('a\u2066b\u2069c\u200Ed\u200Fe\u061Cf'), 'abcdef');
  assert.equal(name('a\u0000b\u0007c\u007Fd\u0085e\u009Ff'), 'ab' + 'cd e' + 'f');
  assert.equal(name('two\tlines\nhere.txt'), 'two lines here.txt');
  assert.equal(name('zero\u200Bwidth\uFEFF.txt'), 'zerowidth.txt');
  assert.equal(name('family \u{1F468}\u200D\u{1F469}.txt'), 'family \u{1F468}\u200D\u{1F469}.txt', 'ZWJ kept for emoji');
});

test('whitespace collapses; leading dots and trailing dots and spaces go', () => {
  assert.equal(name('  my    holiday   notes.txt  '), 'my holiday notes.txt');
  assert.equal(name('.bashrc'), 'bashrc');
  assert.equal(name('...hidden.txt'), 'hidden.txt');
  assert.equal(name('notes.txt. . .'), 'notes.txt');
  assert.equal(name('invoice.pdf      .exe'), 'invoice.pdf .exe.bin');
});

test('characters Windows refuses become underscores', () => {
  assert.equal(name('what? <this>: "is" | it*.txt'), 'what_ _this__ _is_ _ it_.txt');
});

test('Windows reserved names get a leading underscore', () => {
  for (const reserved of ['CON', 'con.txt', 'NUL', 'aux.tar.gz', 'COM1', 'lpt9.log', 'COM\u00B9', 'prn']) {
    assert.equal(name(reserved), `_${reserved}`, reserved);
  }
  assert.equal(name('console.txt'), 'console.txt');
  assert.equal(name('COM10'), 'COM10');
});

test('an empty or fully removed name becomes "file", with the ending the bytes call for', () => {
  assert.equal(name(''), 'file');
  assert.equal(name('   '), 'file');
  assert.equal(name('\u202E\u0000'), 'file');
  assert.equal(name('...'), 'file');
  assert.equal(name('', JPEG), 'file.jpg');
  assert.equal(name(42 as unknown as string), 'file');
});

test('a name without an ending gets the sniffed type\'s, without a warning', () => {
  assert.deepEqual(sanitizeFileName('scan', PDF), { name: 'scan.pdf', warnings: [] });
  assert.deepEqual(sanitizeFileName('voice', 'audio/ogg'), { name: 'voice.ogg', warnings: [] });
});

test('an ending that matches the bytes is kept as it is (any of the type\'s endings, any case)', () => {
  assert.deepEqual(sanitizeFileName('Photo.JPEG', JPEG), { name: 'Photo.JPEG', warnings: [] });
  assert.deepEqual(sanitizeFileName('note.opus', 'audio/ogg'), { name: 'note.opus', warnings: [] });
});

test('an ending that disagrees with the bytes gets the true one added, with a warning', () => {
  const r = sanitizeFileName('photo.jpg', PDF);
  assert.equal(r.name, 'photo.jpg.pdf');
  assert.deepEqual(r.warnings, ['The name ended in .jpg but the file is a PDF, so .pdf was added.']);
  assert.equal(name('invoice.pdf.exe', PDF), 'invoice.pdf.exe.pdf');
  assert.equal(name('image.png', JPEG), 'image.png.jpg');
});

test('an unrecognised file whose name claims a listed type gets .bin, with a warning', () => {
  const r = sanitizeFileName('holiday.jpg', OCTET_STREAM);
  assert.equal(r.name, 'holiday.jpg.bin');
  assert.deepEqual(r.warnings, ['The name ended in .jpg, as a JPEG photo would, but the file is not one, so .bin was added.']);
  assert.equal(name('doc.pdf', 'application/zip'), 'doc.pdf.bin');
});

test('a document ending hiding a program ending gets .bin, with a warning', () => {
  const r = sanitizeFileName('invoice.pdf.exe', OCTET_STREAM);
  assert.equal(r.name, 'invoice.pdf.exe.bin');
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0]!, /looks like a \.pdf but ends in \.exe, a program/);
  assert.deepEqual(sanitizeFileName('setup.exe', OCTET_STREAM), { name: 'setup.exe', warnings: [] });
  assert.deepEqual(sanitizeFileName('archive.tar.gz', OCTET_STREAM), { name: 'archive.tar.gz', warnings: [] });
  assert.deepEqual(sanitizeFileName('notes.txt', OCTET_STREAM), { name: 'notes.txt', warnings: [] });
});

test('a long name is cut to 255 bytes of UTF-8, keeping its ending and whole characters', () => {
  const long = `${'a'.repeat(300)}.pdf`;
  const r = name(long, PDF);
  assert.equal(bytes(r), FILE_NAME_MAX_BYTES);
  assert.ok(r.endsWith('a.pdf'));
  const wide = name(`${'é'.repeat(200)}.txt`);
  assert.ok(bytes(wide) <= FILE_NAME_MAX_BYTES && wide.endsWith('é.txt'));
  const astral = name(`${'\u{1F600}'.repeat(100)}.png`, 'image/png');
  assert.ok(bytes(astral) <= FILE_NAME_MAX_BYTES && astral.endsWith('\u{1F600}.png') && astral.isWellFormed());
  const added = name(`${'b'.repeat(254)}.jpg`, PDF);
  assert.ok(added.endsWith('.jpg.pdf') || added.endsWith('.pdf'));
  assert.equal(bytes(added), FILE_NAME_MAX_BYTES);
  assert.equal(name('x'.repeat(1000)), 'x'.repeat(255));
});

test('names are NFC, also where a removed character stood between a letter and its accent', () => {
  assert.equal(name('Cafe\u0301.txt'), 'Caf\u00e9.txt');
  // Found by the sniff fuzz target: "O", NUL, combining grave; sanitising twice gave two names.
  assert.equal(name('O\u0000\u0300.txt'), '\u00d2.txt');
});

test('an ending that appears only when a long name is cut is judged too (found by the sniff fuzz target)', () => {
  const raw = `${'x'.repeat(250)}.webp\u4952\u4646${'y'.repeat(20)}`; // no ending until cut to 255 bytes
  const once = sanitizeFileName(raw, OCTET_STREAM);
  assert.equal(once.name, `${'x'.repeat(250)}.bin`); // cut to 250 x + .webp, which claims a type: .bin added, the stem cut again
  assert.equal(once.warnings.length, 1);
  assert.equal(sanitizeFileName(once.name, OCTET_STREAM).name, once.name);
});

test('lone surrogates become replacement characters', () => {
  assert.equal(name('a\uD800b.txt'), 'a\uFFFDb.txt');
});

const BIDI_OR_CONTROL = /[\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
const TYPES = [...ALLOWED_MEDIA_TYPES.map((e) => e.mediaType), OCTET_STREAM, 'application/zip', ''];

test('property: never a separator, control or direction character; never empty; at most 255 bytes; valid on the wire', () => {
  const nasty = fc.constantFrom('/', '\\', '.', ' ', '\u202E', '\u2066', '\u200F', '\u0000', '\n', '\u0085', 'CON', '.exe', '.pdf', '.jpg', '\uD800', 'é', '\u{1F600}', ':');
  const rawName = fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), nasty, fc.string({ unit: 'grapheme', maxLength: 8 })), { maxLength: 30 }).map((parts) => parts.join(''));
  fc.assert(
    fc.property(rawName, fc.constantFrom(...TYPES), (raw, type) => {
      const { name: out, warnings } = sanitizeFileName(raw, type);
      assert.ok(out.length > 0);
      assert.ok(!out.includes('/') && !out.includes('\\'), out);
      assert.ok(!BIDI_OR_CONTROL.test(out), JSON.stringify(out));
      assert.ok(bytes(out) <= FILE_NAME_MAX_BYTES);
      assert.ok(!out.startsWith('.') && !out.endsWith('.') && !out.endsWith(' ') && !out.startsWith(' '));
      assert.ok(isPlainText(out, LIMITS.attachmentFileNameMaxBytes));
      assert.ok(warnings.every((w) => w.length > 0));
      // Idempotent: sanitising a sanitised name again changes nothing.
      assert.equal(sanitizeFileName(out, type).name, out);
    }),
    { numRuns: 2000 },
  );
});

/**
 * @module fuzz/targets/sniff
 * The receiver's decision about a downloaded file's first bytes (core attachments/sniff.ts
 * `decideDisplay`, the synchronous part of `classify`), the image-size guard
 * (`checkImageDimensions`) and the file-name sanitiser, on arbitrary bytes and names.
 *
 * Layout: byte 0 picks the sniffed media type and byte 1 what `file-type` reported; byte 2 the
 * claimed media type; byte 3 the claimed kind; byte 4 the name's length in UTF-16 code units
 * (lone surrogates reachable); then the name; the rest is the file's head. `file-type` itself is
 * asynchronous and so not driven here (the fuzz runner is synchronous); bytes 0 and 1 stand in
 * for its verdict and cover every answer it could give, right or wrong.
 *
 * A finding is a throw; an image or voice note shown without its signature, or as anything but
 * what it claimed; a size outside the limits; a downgrade explained badly; a name that breaks
 * `lib/file-name-oracle.mjs` or changes when sanitised again.
 */
import { AttachmentKind } from '@sotto/protocol';
import {
  ALLOWED_MEDIA_TYPES, IMAGE_MAX_PIXELS, IMAGE_MAX_SIDE, OCTET_STREAM, checkImageDimensions, decideDisplay, matchesSignature, sanitizeFileName,
} from '@sotto/core';
import { ByteReader, utf16 } from '../lib/byte-reader.mjs';
import { brokenFileNameRule } from '../lib/file-name-oracle.mjs';

const LISTED = ALLOWED_MEDIA_TYPES.map((entry) => entry.mediaType);
const TYPES = [...LISTED, OCTET_STREAM, 'image/gif', 'image/svg+xml', 'text/html', '', 'constructor', '__proto__'];
const DETECTED = [undefined, ...ALLOWED_MEDIA_TYPES.map((entry) => entry.sniffedAs), 'audio/ogg', 'application/x-msdownload', 'image/gif'];
const KINDS = [AttachmentKind.UNSPECIFIED, AttachmentKind.FILE, AttachmentKind.IMAGE, AttachmentKind.VOICE_NOTE, 7];

function expect(condition, rule) {
  if (!condition) throw new Error(`the sniffing path broke: ${rule}`);
}

function checkName(raw, type) {
  const { name, warnings } = sanitizeFileName(raw, type);
  const broken = brokenFileNameRule(name);
  expect(broken === undefined, `the file name keeps its rules (${broken}): ${JSON.stringify(raw)} -> ${JSON.stringify(name)}`);
  expect(warnings.every((w) => typeof w === 'string' && w.length > 0), 'warnings are sentences');
  expect(sanitizeFileName(name, type).name === name, 'a sanitised name is stable when sanitised again');
}

/** @param {Buffer} data */
export function fuzz(data) {
  const reader = new ByteReader(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  const sniffed = { mediaType: reader.pick(TYPES), detected: reader.pick(DETECTED) };
  const claimedType = reader.pick(TYPES);
  const kind = reader.pick(KINDS);
  const nameUnits = reader.byte();
  const nameBytes = [];
  for (let i = 0; i < nameUnits * 2; i++) nameBytes.push(reader.byte());
  const fileName = utf16(Uint8Array.from(nameBytes));
  const head = reader.rest();

  const r = decideDisplay(sniffed, head, { mediaType: claimedType, kind, fileName });
  expect(['image', 'voice-note', 'file'].includes(r.display), 'a known display');
  expect(r.mediaType === OCTET_STREAM || LISTED.includes(r.mediaType), 'the type is listed or octet-stream');
  if (r.display !== 'file') {
    expect(matchesSignature(head, r.mediaType), 'shown only with the signature of its type');
    expect(r.mediaType === claimedType && r.mediaType === sniffed.mediaType, 'shown only as what it claimed and was sniffed as');
    expect(r.reason === undefined, 'no reason when nothing was lowered');
  }
  if (r.display === 'image') {
    expect(Number.isInteger(r.width) && Number.isInteger(r.height) && r.width >= 1 && r.height >= 1, 'an image has a size');
    expect(r.width <= IMAGE_MAX_SIDE && r.height <= IMAGE_MAX_SIDE && r.width * r.height <= IMAGE_MAX_PIXELS, 'an image is within the size limits');
  }
  if (r.display === 'voice-note') expect(r.mediaType === 'audio/ogg', 'a voice note is Ogg Opus');
  if (r.reason !== undefined) expect(r.reason.endsWith('shown as a file.') && r.display === 'file', 'a reason explains a file');

  for (const type of ['image/jpeg', 'image/png', 'image/webp', claimedType]) {
    const size = checkImageDimensions(head, type);
    if (size.ok) {
      expect(size.width >= 1 && size.height >= 1 && size.width <= IMAGE_MAX_SIDE && size.height <= IMAGE_MAX_SIDE, 'accepted sides within limits');
      expect(size.width * size.height <= IMAGE_MAX_PIXELS, 'accepted pixels within the budget');
    } else {
      expect(typeof size.reason === 'string' && size.reason.length > 0, 'a refusal has a reason');
    }
  }

  checkName(fileName, sniffed.mediaType);
  checkName(fileName, claimedType);
}

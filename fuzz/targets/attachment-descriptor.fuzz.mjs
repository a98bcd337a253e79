/**
 * @module fuzz/targets/attachment-descriptor
 * The attachment descriptor inside an MLS message, as a receiver reads it: `decodeAppContent` on
 * raw bytes, then, for an attachment, `describeReceived` (core attachments/descriptor.ts). An
 * accepted descriptor must always be describable (no throw), and the description must keep its
 * promises: a safe file name (checked by `lib/file-name-oracle.mjs`, and stable when sanitised
 * again), nothing shown as an image or voice note that its stated type does not allow, a reason
 * whenever the kind was lowered to a file, and only the fields of the kind shown.
 */
import { AttachmentKind, ErrorCode, ProtocolError, decodeAppContent } from '@sotto/protocol';
import { allowedMediaType, describeReceived, sanitizeFileName } from '@sotto/core';
import { brokenFileNameRule } from '../lib/file-name-oracle.mjs';

const DECODE_ERRORS = new Set([ErrorCode.FRAME_TOO_LARGE, ErrorCode.FRAME_MALFORMED, ErrorCode.INVALID_ARGUMENT]);

function expect(condition, rule) {
  if (!condition) throw new Error(`describeReceived broke: ${rule}`);
}

/** @param {Buffer} data */
export function fuzz(data) {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let content;
  try {
    content = decodeAppContent(bytes);
  } catch (error) {
    if (error instanceof ProtocolError && DECODE_ERRORS.has(error.code)) return;
    throw error;
  }
  if (content.body.case !== 'attachment') return;
  const attachment = content.body.value;
  const view = describeReceived(attachment); // accepted by the protocol check, so never refused here

  const broken = brokenFileNameRule(view.fileName);
  expect(broken === undefined, `the file name keeps its rules (${broken}): ${JSON.stringify(view.fileName)}`);
  expect(sanitizeFileName(view.fileName, view.mediaType).name === view.fileName, 'a sanitised name is stable when sanitised again');

  const entry = allowedMediaType(view.mediaType);
  expect(view.mediaType === attachment.mediaType || (entry === undefined && view.mediaType === 'application/octet-stream'), 'the type shown is the one stated, or octet-stream for an unlisted one');
  expect(view.display === 'file' || entry?.display === view.display, 'shown as an image or voice note only when the stated type allows it');
  const claimed = attachment.kind === AttachmentKind.IMAGE ? 'image' : attachment.kind === AttachmentKind.VOICE_NOTE ? 'voice-note' : 'file';
  expect((view.reason !== undefined) === (claimed !== view.display), 'a reason exactly when the kind was lowered to a file');
  expect(view.display === 'image' || (view.width === undefined && view.thumbnail === undefined), 'only an image shows a size and a preview');
  expect(view.display === 'voice-note' || (view.durationMs === undefined && view.waveform === undefined), 'only a voice note shows a duration and a waveform');
  expect(view.size === Number(attachment.size) && view.size >= 1, 'the size is the stated one');
}

/**
 * @module advisory
 * Operator security advisories: the bytes the operator key signs, and the rules an advisory must
 * meet before a client shows it. Signing and checking use the same transcript function, so the
 * operator's tool and every client cannot drift apart.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { AdvisorySchema, type Advisory } from './gen/sotto/v1/wire_pb.js';
import { isPlainText, LIMITS } from './limits.js';
import { parseVersion } from './versions.js';

const DOMAIN = new TextEncoder().encode('sotto-advisory-v1');

/** `"sotto-advisory-v1" || encodedAdvisory`: what the operator's Ed25519 key signs. */
export function advisoryTranscript(encodedAdvisory: Uint8Array): Uint8Array {
  const out = new Uint8Array(DOMAIN.byteLength + encodedAdvisory.byteLength);
  out.set(DOMAIN, 0);
  out.set(encodedAdvisory, DOMAIN.byteLength);
  return out;
}

export type AdvisoryCheck = { readonly ok: true; readonly advisory: Advisory } | { readonly ok: false; readonly reason: string };

/** Decodes an advisory and checks its fields (not its signature). */
export function checkAdvisory(encoded: Uint8Array): AdvisoryCheck {
  let advisory: Advisory;
  try {
    advisory = fromBinary(AdvisorySchema, encoded);
  } catch {
    return { ok: false, reason: 'advisory does not decode' };
  }
  if (advisory.id.byteLength !== 16) return { ok: false, reason: 'advisory id must be 16 bytes' };
  if (advisory.title.length === 0 || !isPlainText(advisory.title, LIMITS.advisoryTitleMaxChars)) {
    return { ok: false, reason: `advisory titles are 1-${LIMITS.advisoryTitleMaxChars} characters of plain text` };
  }
  if (advisory.text.length === 0 || !isPlainText(advisory.text, LIMITS.advisoryTextMaxChars)) {
    return { ok: false, reason: `advisory texts are 1-${LIMITS.advisoryTextMaxChars} characters of plain text` };
  }
  if (advisory.fixedVersion !== '' && !parseVersion(advisory.fixedVersion)) {
    return { ok: false, reason: 'the fixed version must look like 1.2.3' };
  }
  return { ok: true, advisory };
}

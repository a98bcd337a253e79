/**
 * @module fuzz/targets/server-notices
 * What the server hands a client outside MLS besides frames: an operator advisory
 * (`checkAdvisory`) and a threat notification (`checkThreatNotice`). The first byte picks which;
 * the rest is the encoded message. Either decoder must refuse with a reason or return a value
 * whose every field keeps the rules (checked here again, independently), and that re-encodes to
 * something it accepts again.
 */
import {
  AdvisorySchema, AnomalyKind, LIMITS, OPERATOR_CONTACT_MAX_CHARS, THREAT_NOTICE_MAX_BYTES,
  checkAdvisory, checkThreatNotice, encodeThreatNotice, parseVersion, toBinary,
} from '@sotto/protocol';
import { plainTextOracle } from '../lib/text-oracle.mjs';

const INCIDENT_ID = /^inc-[0-9a-f]{8,32}$/;
const KINDS = new Set([AnomalyKind.UNDECRYPTABLE, AnomalyKind.MALFORMED, AnomalyKind.CONSENT_VIOLATION, AnomalyKind.REFUSED_MEDIA, AnomalyKind.UNSOLICITED_CALL, AnomalyKind.RATE_LIMITED]);

function expect(condition, rule) {
  if (!condition) throw new Error(`a server notice decoder accepted input that breaks: ${rule}`);
}

function fuzzAdvisory(bytes) {
  const result = checkAdvisory(bytes);
  if (!result.ok) {
    expect(typeof result.reason === 'string' && result.reason.length > 0, 'a refusal has a reason');
    return;
  }
  const a = result.advisory;
  expect(a.id.byteLength === 16, 'advisory id is 16 bytes');
  expect(a.title.length > 0 && plainTextOracle(a.title, LIMITS.advisoryTitleMaxChars), 'title is 1-120 characters of plain text');
  expect(a.text.length > 0 && plainTextOracle(a.text, LIMITS.advisoryTextMaxChars), 'text is 1-2000 characters of plain text');
  expect(a.fixedVersion === '' || parseVersion(a.fixedVersion) !== undefined, 'fixed version is empty or MAJOR.MINOR.PATCH');
  expect(checkAdvisory(toBinary(AdvisorySchema, a)).ok, 'an accepted advisory re-encodes to an accepted one');
}

function fuzzThreatNotice(bytes) {
  const result = checkThreatNotice(bytes);
  if (!result.ok) {
    expect(typeof result.reason === 'string' && result.reason.length > 0, 'a refusal has a reason');
    return;
  }
  const n = result.notice;
  expect(bytes.byteLength <= THREAT_NOTICE_MAX_BYTES, 'at most 1,024 bytes');
  expect(INCIDENT_ID.test(n.incidentId), 'incident id is inc- and 8-32 hex digits');
  expect(n.openedAt > 0n, 'opened_at is after the epoch');
  expect(n.kinds.every((k) => KINDS.has(k)), 'only known anomaly kinds');
  expect(plainTextOracle(n.operatorContact, OPERATOR_CONTACT_MAX_CHARS), 'operator contact is short plain text');
  expect(checkThreatNotice(encodeThreatNotice(n)).ok, 'an accepted notice re-encodes to an accepted one');
}

/** @param {Buffer} data */
export function fuzz(data) {
  if (data.byteLength === 0) return;
  const bytes = new Uint8Array(data.buffer, data.byteOffset + 1, data.byteLength - 1);
  if (data[0] % 2 === 0) fuzzAdvisory(bytes);
  else fuzzThreatNotice(bytes);
}

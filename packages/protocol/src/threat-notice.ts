/**
 * @module threat-notice
 * The server's threat notification to a targeted member: encoded by the server, checked by the
 * client before it shows anything. Bounded like every other parser: size first, then fields.
 */
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { AnomalyKind, ThreatNoticeSchema, type ThreatNotice } from './gen/sotto/v1/wire_pb.js';
import { isPlainText } from './limits.js';

export const THREAT_NOTICE_MAX_BYTES = 1024;
export const OPERATOR_CONTACT_MAX_CHARS = 200;
const INCIDENT_ID = /^inc-[0-9a-f]{8,32}$/;
const KNOWN_KINDS = new Set<number>(Object.values(AnomalyKind).filter((v): v is number => typeof v === 'number' && v !== AnomalyKind.UNSPECIFIED));

export function encodeThreatNotice(notice: ThreatNotice): Uint8Array {
  return toBinary(ThreatNoticeSchema, notice);
}

export type ThreatNoticeCheck = { readonly ok: true; readonly notice: ThreatNotice } | { readonly ok: false; readonly reason: string };

/** Decodes a threat notice and checks its fields; anything odd is refused, never half-shown. */
export function checkThreatNotice(bytes: Uint8Array): ThreatNoticeCheck {
  if (bytes.byteLength > THREAT_NOTICE_MAX_BYTES) return { ok: false, reason: `threat notice over ${THREAT_NOTICE_MAX_BYTES} bytes` };
  let notice: ThreatNotice;
  try {
    notice = fromBinary(ThreatNoticeSchema, bytes);
  } catch {
    return { ok: false, reason: 'threat notice does not decode' };
  }
  if (!INCIDENT_ID.test(notice.incidentId)) return { ok: false, reason: 'threat notice has no valid incident id' };
  if (notice.openedAt <= 0n) return { ok: false, reason: 'threat notice has no time' };
  if (notice.kinds.length > KNOWN_KINDS.size || !notice.kinds.every((k) => KNOWN_KINDS.has(k))) {
    return { ok: false, reason: 'threat notice names unknown anomaly kinds' };
  }
  if (!isPlainText(notice.operatorContact, OPERATOR_CONTACT_MAX_CHARS)) return { ok: false, reason: 'operator contact is not short plain text' };
  return { ok: true, notice };
}

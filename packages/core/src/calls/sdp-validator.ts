/**
 * @module calls/sdp-validator: a bounded, allow-list validator for remote SDP (threat scenario 8).
 *
 * It runs before any RTC stack sees a description. Every check is linear in the input, which is
 * capped at 16 KiB before anything else is looked at. Only what a 1:1 Opus voice call needs is
 * accepted: one audio section, DTLS-SRTP, one sha-256 fingerprint, ICE credentials, Opus (plus
 * optional telephone-event) and a short list of attributes. Everything else is refused with a
 * stable code, except remote candidates that are well formed but refused by the candidate policy
 * (TCP, private addresses under a strict policy, mDNS names...): those are dropped from the
 * normalised SDP, because browsers routinely include them and they are harmless once removed.
 */
import {
  DEFAULT_CANDIDATE_POLICY, filterCandidate, parseCandidate,
  type CandidateErrorCode, type CandidatePolicy, type ParsedCandidate,
} from './candidate-filter.js';

export type SdpKind = 'offer' | 'answer';
export type DtlsSetup = 'actpass' | 'active' | 'passive';

export type SdpErrorCode =
  | 'TOO_LARGE'
  | 'TOO_MANY_LINES'
  | 'LINE_TOO_LONG'
  | 'BAD_CHARACTER'
  | 'MALFORMED_LINE'
  | 'TOO_MANY_MEDIA'
  | 'NOT_AUDIO'
  | 'BAD_TRANSPORT'
  | 'MISSING_FINGERPRINT'
  | 'BAD_FINGERPRINT'
  | 'BAD_SETUP'
  | 'BAD_ICE_CREDENTIALS'
  | 'UNEXPECTED_CODEC'
  | 'UNKNOWN_ATTRIBUTE'
  | 'BAD_CANDIDATE';

export const SDP_ERROR_CODES: readonly SdpErrorCode[] = [
  'TOO_LARGE', 'TOO_MANY_LINES', 'LINE_TOO_LONG', 'BAD_CHARACTER', 'MALFORMED_LINE', 'TOO_MANY_MEDIA',
  'NOT_AUDIO', 'BAD_TRANSPORT', 'MISSING_FINGERPRINT', 'BAD_FINGERPRINT', 'BAD_SETUP',
  'BAD_ICE_CREDENTIALS', 'UNEXPECTED_CODEC', 'UNKNOWN_ATTRIBUTE', 'BAD_CANDIDATE',
];

export const MAX_SDP_LENGTH = 16 * 1024;
export const MAX_SDP_LINES = 200;
export const MAX_SDP_LINE_LENGTH = 1024;
export const MAX_EXTMAPS = 8;
const MAX_SSRC_LINES = 16;
const MAX_RTCP_FB = 16;
const MAX_BANDWIDTH_LINES = 4;
const MAX_PAYLOAD_TYPES = 8;

/** A codec the call may use, keyed by payload type. */
export interface SdpCodec {
  readonly payloadType: number;
  readonly name: 'opus' | 'telephone-event';
  readonly clockRate: number;
}

/** A description that passed validation. Only `sdp` (normalised) should reach the RTC stack. */
export interface ValidatedSdp {
  readonly kind: SdpKind;
  /** The sha-256 DTLS fingerprint, upper-case hex bytes joined by ':' (compare with the MLS-carried one). */
  readonly fingerprint: string;
  readonly setup: DtlsSetup;
  readonly iceUfrag: string;
  readonly icePwd: string;
  readonly codecs: readonly SdpCodec[];
  /** Inline candidates accepted by the policy. */
  readonly candidates: readonly ParsedCandidate[];
  /** Inline candidates dropped by the policy, with why (no addresses: logs stay content-free). */
  readonly droppedCandidates: readonly CandidateErrorCode[];
  /** The description, CRLF line endings, dropped candidate lines removed. */
  readonly sdp: string;
}

export type SdpValidationResult =
  | { readonly ok: true; readonly sdp: ValidatedSdp }
  | { readonly ok: false; readonly code: SdpErrorCode; readonly message: string };

export interface SdpValidationOptions {
  /** Policy for inline `a=candidate` lines; defaults to DEFAULT_CANDIDATE_POLICY. */
  readonly candidatePolicy?: CandidatePolicy;
}

type Failure = Extract<SdpValidationResult, { ok: false }>;
const fail = (code: SdpErrorCode, message: string): Failure => ({ ok: false, code, message });

/** UTF-8 length of a string, counting a lone surrogate as the 3 bytes of U+FFFD. */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Splits into lines while checking characters, line lengths and the line count in one pass.
 * Accepts CRLF or LF line ends; a CR not followed by LF is refused (line injection).
 */
function splitLines(sdp: string): string[] | Failure {
  const lines: string[] = [];
  let start = 0;
  for (let i = 0; i < sdp.length; i++) {
    const c = sdp.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) {
      if (c === 0x0d && sdp.charCodeAt(i + 1) !== 0x0a) return fail('BAD_CHARACTER', `bare CR (without LF) at offset ${i}`);
      lines.push(sdp.slice(start, i));
      if (lines.length > MAX_SDP_LINES) return fail('TOO_MANY_LINES', `more than ${MAX_SDP_LINES} lines`);
      if (c === 0x0d) i++;
      start = i + 1;
      continue;
    }
    if (i - start >= MAX_SDP_LINE_LENGTH) return fail('LINE_TOO_LONG', `line ${lines.length + 1} longer than ${MAX_SDP_LINE_LENGTH} characters`);
    if (c >= 0xd800 && c <= 0xdfff) return fail('BAD_CHARACTER', `surrogate code unit at offset ${i} (SDP is ASCII)`);
    if (c > 0x7e) return fail('BAD_CHARACTER', `non-ASCII character at offset ${i}`);
    if (c < 0x20) return fail('BAD_CHARACTER', `control character 0x${c.toString(16).padStart(2, '0')} at offset ${i}`);
  }
  if (start < sdp.length) lines.push(sdp.slice(start));
  if (lines.length > MAX_SDP_LINES) return fail('TOO_MANY_LINES', `more than ${MAX_SDP_LINES} lines`);
  return lines;
}

const LINE = /^([a-z])=(.*)$/;
const ATTRIBUTE = /^([A-Za-z0-9-]{1,32})(?::(.*))?$/;
const ICE_CHARS = /^[A-Za-z0-9+/]+$/;
const TOKEN = /^[\x21-\x7e]{1,64}$/;
const FINGERPRINT = /^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){31}$/;
const EXTMAP_URIS: ReadonlySet<string> = new Set([
  'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'urn:ietf:params:rtp-hdrext:csrc-audio-level',
  'urn:ietf:params:rtp-hdrext:sdes:mid',
  'urn:ietf:params:rtp-hdrext:toffset',
  'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
]);
const DIRECTIONS: ReadonlySet<string> = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);
/** Attributes that are flags: a value is malformed. */
const FLAGS: ReadonlySet<string> = new Set([...DIRECTIONS, 'rtcp-mux', 'rtcp-rsize', 'extmap-allow-mixed', 'end-of-candidates']);
const ATTRIBUTES: ReadonlySet<string> = new Set([
  ...FLAGS, 'rtpmap', 'fmtp', 'rtcp-fb', 'fingerprint', 'setup', 'ice-ufrag', 'ice-pwd', 'ice-options', 'mid', 'rtcp',
  'group', 'msid-semantic', 'msid', 'ssrc', 'candidate', 'ptime', 'maxptime', 'extmap',
]);

const isInt = (s: string, min: number, max: number, maxDigits = 10): boolean =>
  s.length <= maxDigits && /^[0-9]+$/.test(s) && Number(s) >= min && Number(s) <= max;
/** Space-separated bounded tokens. */
const tokens = (s: string, min: number, max: number): string[] | null => {
  const t = s.split(' ');
  return t.length >= min && t.length <= max && t.every((x) => TOKEN.test(x)) ? t : null;
};

/**
 * Validates a remote SDP offer or answer. Never throws; bounded time and memory.
 */
export function validateSdp(sdp: string, kind: SdpKind, options: SdpValidationOptions = {}): SdpValidationResult {
  try {
    return validate(sdp, kind, options.candidatePolicy ?? DEFAULT_CANDIDATE_POLICY);
  } catch {
    // Defence in depth: no path is expected to throw, but a bug must not become a crash.
    return fail('MALFORMED_LINE', 'SDP could not be validated');
  }
}

function validate(sdp: string, kind: SdpKind, policy: CandidatePolicy): SdpValidationResult {
  if (typeof sdp !== 'string') return fail('MALFORMED_LINE', 'SDP is not a string');
  if (kind !== 'offer' && kind !== 'answer') return fail('MALFORMED_LINE', 'kind must be offer or answer');
  if (sdp.length > MAX_SDP_LENGTH) return fail('TOO_LARGE', `SDP longer than ${MAX_SDP_LENGTH} characters`);
  if (utf8Length(sdp) > MAX_SDP_LENGTH) return fail('TOO_LARGE', `SDP larger than ${MAX_SDP_LENGTH} bytes`);
  const split = splitLines(sdp);
  if (!Array.isArray(split)) return split;
  // One final empty line (the terminating CRLF) is normal; any other empty line is not.
  const lines = split.length > 0 && split[split.length - 1] === '' ? split.slice(0, -1) : split;
  if (lines.length === 0) return fail('MALFORMED_LINE', 'SDP is empty');

  const out: string[] = [];
  let mediaCount = 0;
  let sawO = false, sawS = false, sawT = false;
  let fingerprint: string | null = null;
  let setup: DtlsSetup | null = null;
  let iceUfrag: string | null = null;
  let icePwd: string | null = null;
  let mid = false, direction = false;
  let extmaps = 0, ssrcs = 0, rtcpFbs = 0, bandwidths = 0, candidateLines = 0;
  let payloadTypes: number[] = [];
  const codecs = new Map<number, SdpCodec>();
  const fmtps = new Set<number>();
  const extmapIds = new Set<number>();
  const candidates: ParsedCandidate[] = [];
  const dropped: CandidateErrorCode[] = [];

  for (let n = 0; n < lines.length; n++) {
    const line = lines[n] ?? '';
    const where = `line ${n + 1}`;
    const m = LINE.exec(line);
    if (!m) return fail('MALFORMED_LINE', `${where} is not '<letter>=<value>'`);
    const type = m[1] ?? '';
    const value = m[2] ?? '';
    if (n === 0) {
      if (line !== 'v=0') return fail('MALFORMED_LINE', "SDP must start with 'v=0'");
      out.push(line);
      continue;
    }
    const inMedia = mediaCount > 0;
    switch (type) {
      case 'v':
        return fail('MALFORMED_LINE', `${where}: repeated v= line`);
      case 'o': {
        const f = value.split(' ');
        if (inMedia || sawO || f.length !== 6 || !TOKEN.test(f[0] ?? '') || !/^[0-9]{1,20}$/.test(f[1] ?? '')
          || !/^[0-9]{1,20}$/.test(f[2] ?? '') || f[3] !== 'IN' || (f[4] !== 'IP4' && f[4] !== 'IP6') || !TOKEN.test(f[5] ?? '')) {
          return fail('MALFORMED_LINE', `${where}: bad or misplaced o= line`);
        }
        sawO = true;
        break;
      }
      case 's':
        if (inMedia || sawS || value.length === 0) return fail('MALFORMED_LINE', `${where}: bad or misplaced s= line`);
        sawS = true;
        break;
      case 't':
        if (inMedia || sawT || !/^[0-9]{1,20} [0-9]{1,20}$/.test(value)) return fail('MALFORMED_LINE', `${where}: bad or misplaced t= line`);
        sawT = true;
        break;
      case 'c': {
        const f = value.split(' ');
        if (f.length !== 3 || f[0] !== 'IN' || (f[1] !== 'IP4' && f[1] !== 'IP6') || !TOKEN.test(f[2] ?? '')) {
          return fail('MALFORMED_LINE', `${where}: bad c= line`);
        }
        break;
      }
      case 'b':
        if (++bandwidths > MAX_BANDWIDTH_LINES || !/^[A-Za-z0-9-]{1,16}:[0-9]{1,10}$/.test(value)) {
          return fail('MALFORMED_LINE', `${where}: bad or repeated b= line`);
        }
        break;
      case 'm': {
        if (!sawO || !sawS || !sawT) return fail('MALFORMED_LINE', `${where}: m= before the o=, s= and t= lines`);
        const f = value.split(' ');
        if (f[0] !== 'audio') return fail('NOT_AUDIO', `${where}: only an audio section is allowed, got '${(f[0] ?? '').slice(0, 16)}'`);
        if (++mediaCount > 1) return fail('TOO_MANY_MEDIA', `${where}: more than one media section`);
        if (f.length < 4) return fail('MALFORMED_LINE', `${where}: m= line needs port, transport and formats`);
        if (!isInt(f[1] ?? '', 1, 65535, 5)) return fail('MALFORMED_LINE', `${where}: media port must be 1-65535`);
        if (f[2] !== 'UDP/TLS/RTP/SAVPF') return fail('BAD_TRANSPORT', `${where}: transport must be UDP/TLS/RTP/SAVPF (DTLS-SRTP)`);
        const pts = f.slice(3);
        if (pts.length > MAX_PAYLOAD_TYPES) return fail('UNEXPECTED_CODEC', `${where}: more than ${MAX_PAYLOAD_TYPES} payload types`);
        for (const pt of pts) {
          if (!isInt(pt, 0, 127, 3)) return fail('MALFORMED_LINE', `${where}: payload type must be 0-127`);
          if (payloadTypes.includes(Number(pt))) return fail('MALFORMED_LINE', `${where}: repeated payload type ${pt}`);
          payloadTypes = [...payloadTypes, Number(pt)];
        }
        break;
      }
      case 'a': {
        const a = ATTRIBUTE.exec(value);
        if (!a) return fail('MALFORMED_LINE', `${where}: malformed attribute`);
        const name = a[1] ?? '';
        const arg = a[2];
        if (!ATTRIBUTES.has(name)) return fail('UNKNOWN_ATTRIBUTE', `${where}: attribute '${name}' is not allowed`);
        if (FLAGS.has(name)) {
          if (arg !== undefined) return fail('MALFORMED_LINE', `${where}: a=${name} takes no value`);
          if (DIRECTIONS.has(name)) {
            if (direction) return fail('MALFORMED_LINE', `${where}: more than one direction attribute`);
            direction = true;
          }
          break;
        }
        if (arg === undefined || arg.length === 0) return fail('MALFORMED_LINE', `${where}: a=${name} needs a value`);
        const r = checkAttribute(name, arg, kind, where);
        if (r) return r;
        switch (name) {
          case 'fingerprint': {
            if (fingerprint !== null) return fail('BAD_FINGERPRINT', `${where}: more than one fingerprint`);
            const [alg, fp, ...extra] = arg.split(' ');
            if (alg?.toLowerCase() !== 'sha-256') return fail('BAD_FINGERPRINT', `${where}: fingerprint must be sha-256`);
            if (extra.length > 0 || !FINGERPRINT.test(fp ?? '')) return fail('BAD_FINGERPRINT', `${where}: fingerprint must be 32 colon-separated hex bytes`);
            fingerprint = (fp ?? '').toUpperCase();
            break;
          }
          case 'setup':
            if (setup !== null) return fail('BAD_SETUP', `${where}: more than one a=setup`);
            if (arg !== 'actpass' && arg !== 'active' && arg !== 'passive') return fail('BAD_SETUP', `${where}: a=setup must be actpass, active or passive`);
            if (kind === 'answer' && arg === 'actpass') return fail('BAD_SETUP', `${where}: an answer must choose active or passive`);
            setup = arg;
            break;
          case 'ice-ufrag':
            if (iceUfrag !== null || arg.length < 4 || arg.length > 256 || !ICE_CHARS.test(arg)) {
              return fail('BAD_ICE_CREDENTIALS', `${where}: ice-ufrag must appear once, 4-256 ice-chars`);
            }
            iceUfrag = arg;
            break;
          case 'ice-pwd':
            if (icePwd !== null || arg.length < 22 || arg.length > 256 || !ICE_CHARS.test(arg)) {
              return fail('BAD_ICE_CREDENTIALS', `${where}: ice-pwd must appear once, 22-256 ice-chars`);
            }
            icePwd = arg;
            break;
          case 'mid':
            if (!inMedia || mid) return fail('MALFORMED_LINE', `${where}: a=mid must appear once, in the media section`);
            mid = true;
            break;
          case 'rtpmap': {
            const rm = /^([0-9]{1,3}) ([A-Za-z0-9-]{1,32})\/([0-9]{1,6})(?:\/([0-9]{1,2}))?$/.exec(arg);
            if (!inMedia || !rm) return fail('MALFORMED_LINE', `${where}: malformed a=rtpmap`);
            const pt = Number(rm[1]);
            if (!payloadTypes.includes(pt)) return fail('MALFORMED_LINE', `${where}: a=rtpmap for payload type ${pt} not on the m= line`);
            if (codecs.has(pt)) return fail('MALFORMED_LINE', `${where}: repeated a=rtpmap for payload type ${pt}`);
            const codec = (rm[2] ?? '').toLowerCase();
            const rate = rm[3] ?? '';
            const channels = rm[4];
            if (codec === 'opus' && rate === '48000' && channels === '2') {
              codecs.set(pt, { payloadType: pt, name: 'opus', clockRate: 48000 });
            } else if (codec === 'telephone-event' && (rate === '8000' || rate === '48000') && (channels === undefined || channels === '1')) {
              codecs.set(pt, { payloadType: pt, name: 'telephone-event', clockRate: Number(rate) });
            } else {
              return fail('UNEXPECTED_CODEC', `${where}: codec ${codec.slice(0, 32)}/${rate}${channels ? '/' + channels : ''} is not allowed (Opus only)`);
            }
            break;
          }
          case 'fmtp': {
            const fm = /^([0-9]{1,3}) ([\x21-\x7e]{1,256})$/.exec(arg);
            if (!inMedia || !fm) return fail('MALFORMED_LINE', `${where}: malformed a=fmtp`);
            const pt = Number(fm[1]);
            if (!payloadTypes.includes(pt) || fmtps.has(pt)) return fail('MALFORMED_LINE', `${where}: a=fmtp for an unlisted or repeated payload type`);
            fmtps.add(pt);
            break;
          }
          case 'rtcp-fb': {
            const [pt, ...rest] = arg.split(' ');
            if (!inMedia || ++rtcpFbs > MAX_RTCP_FB || (pt !== '*' && !payloadTypes.includes(Number(pt))) || !/^(\*|[0-9]{1,3})$/.test(pt ?? '') || !tokens(rest.join(' '), 1, 2)) {
              return fail('MALFORMED_LINE', `${where}: bad or too many a=rtcp-fb`);
            }
            break;
          }
          case 'extmap': {
            if (++extmaps > MAX_EXTMAPS) return fail('MALFORMED_LINE', `${where}: more than ${MAX_EXTMAPS} a=extmap`);
            const em = /^([0-9]{1,3})(?:\/(sendrecv|sendonly|recvonly|inactive))? ([\x21-\x7e]{1,128})$/.exec(arg);
            if (!em || !isInt(em[1] ?? '', 1, 14, 2) || extmapIds.has(Number(em[1]))) return fail('MALFORMED_LINE', `${where}: malformed a=extmap`);
            if (!EXTMAP_URIS.has(em[3] ?? '')) return fail('UNKNOWN_ATTRIBUTE', `${where}: header extension not allowed`);
            extmapIds.add(Number(em[1]));
            break;
          }
          case 'ssrc':
            if (++ssrcs > MAX_SSRC_LINES) return fail('MALFORMED_LINE', `${where}: more than ${MAX_SSRC_LINES} a=ssrc`);
            break;
          case 'candidate': {
            if (!inMedia) return fail('BAD_CANDIDATE', `${where}: candidate outside the media section`);
            if (candidateLines >= policy.maxCandidates) return fail('BAD_CANDIDATE', `${where}: more than ${policy.maxCandidates} candidates`);
            const parsed = parseCandidate(`candidate:${arg}`);
            if (!parsed.ok && parsed.code === 'MALFORMED') return fail('BAD_CANDIDATE', `${where}: ${parsed.message}`);
            const filtered = parsed.ok ? filterCandidate(parsed.candidate, policy, candidateLines) : parsed;
            candidateLines++;
            if (filtered.ok) candidates.push(filtered.candidate);
            else {
              dropped.push(filtered.code);
              continue; // drop the line from the normalised SDP
            }
            break;
          }
        }
        break;
      }
      default:
        return fail('MALFORMED_LINE', `${where}: line type '${type}=' is not allowed`);
    }
    out.push(line);
  }

  if (!sawO || !sawS || !sawT) return fail('MALFORMED_LINE', 'SDP lacks an o=, s= or t= line');
  if (mediaCount === 0) return fail('NOT_AUDIO', 'SDP has no audio section');
  for (const pt of payloadTypes) {
    if (!codecs.has(pt)) return fail('UNEXPECTED_CODEC', `payload type ${pt} has no allowed a=rtpmap (Opus only)`);
  }
  const codecList = [...codecs.values()];
  if (!codecList.some((c) => c.name === 'opus')) return fail('UNEXPECTED_CODEC', 'no Opus codec');
  if (fingerprint === null) return fail('MISSING_FINGERPRINT', 'no a=fingerprint: DTLS-SRTP needs one');
  if (setup === null) return fail('BAD_SETUP', 'no a=setup');
  if (iceUfrag === null || icePwd === null) return fail('BAD_ICE_CREDENTIALS', 'missing a=ice-ufrag or a=ice-pwd');

  return {
    ok: true,
    sdp: {
      kind, fingerprint, setup, iceUfrag, icePwd, codecs: codecList, candidates, droppedCandidates: dropped,
      sdp: out.join('\r\n') + '\r\n',
    },
  };
}

/** Bounded shape checks for attributes whose content we do not otherwise use. */
function checkAttribute(name: string, arg: string, _kind: SdpKind, where: string): Failure | null {
  const bad = (): Failure => fail('MALFORMED_LINE', `${where}: malformed a=${name}`);
  switch (name) {
    case 'ice-options': return tokens(arg, 1, 4) ? null : bad();
    case 'mid': return /^[A-Za-z0-9_-]{1,32}$/.test(arg) ? null : bad();
    case 'rtcp': return /^[0-9]{1,5}(?: IN IP[46] [0-9A-Fa-f.:]{1,45})?$/.test(arg) && isInt(arg.split(' ')[0] ?? '', 1, 65535, 5) ? null : bad();
    case 'group': return /^BUNDLE(?: [A-Za-z0-9_-]{1,32}){0,1}$/.test(arg) ? null : bad();
    // Chrome writes "a=msid-semantic: WMS" (note the space), werift "a=msid-semantic:WMS *".
    case 'msid-semantic': return /^ ?WMS(?: [\x21-\x7e]{1,64}){0,4}$/.test(arg) ? null : bad();
    case 'msid': return tokens(arg, 1, 2) ? null : bad();
    case 'ssrc': return /^[0-9]{1,10} [A-Za-z0-9-]{1,32}(?::[\x20-\x7e]{1,128})?$/.test(arg) && isInt(arg.split(' ')[0] ?? '', 0, 0xffffffff) ? null : bad();
    case 'ptime': case 'maxptime': return isInt(arg, 1, 1000, 4) ? null : bad();
    default: return null;
  }
}

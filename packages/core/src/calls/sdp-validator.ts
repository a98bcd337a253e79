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
  readonly name: 'opus' | 'telephone-event' | 'vp8' | 'rtx';
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
  /** The video section's codecs (VP8, and rtx for it); empty when there is none or it was rejected (port 0). */
  readonly videoCodecs: readonly SdpCodec[];
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
  /**
   * A video call: a second section, `m=video`, after the audio one, is allowed, with VP8 (and
   * rtx for it) only. Without it (a voice call) a video section is refused, as before.
   */
  readonly video?: boolean;
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
/**
 * A video section's header extensions: the audio ones that apply, and the picture's rotation
 * (phones turn). The app's own SDP offers no others (`ALLOWED_EXTMAP_URIS`).
 */
const VIDEO_EXTMAP_URIS: ReadonlySet<string> = new Set([
  'urn:ietf:params:rtp-hdrext:sdes:mid',
  'urn:ietf:params:rtp-hdrext:toffset',
  'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  'urn:3gpp:video-orientation',
]);
/** Every header extension either section may carry: what a sender keeps in the SDP it sends. */
export const ALLOWED_EXTMAP_URIS: ReadonlySet<string> = new Set([...EXTMAP_URIS, ...VIDEO_EXTMAP_URIS]);
const DIRECTIONS: ReadonlySet<string> = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);
/** Attributes that are flags: a value is malformed. */
const FLAGS: ReadonlySet<string> = new Set([...DIRECTIONS, 'rtcp-mux', 'rtcp-rsize', 'extmap-allow-mixed', 'end-of-candidates']);
const ATTRIBUTES: ReadonlySet<string> = new Set([
  ...FLAGS, 'rtpmap', 'fmtp', 'rtcp-fb', 'fingerprint', 'setup', 'ice-ufrag', 'ice-pwd', 'ice-options', 'mid', 'rtcp',
  'group', 'msid-semantic', 'msid', 'ssrc', 'ssrc-group', 'candidate', 'ptime', 'maxptime', 'extmap',
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
    return validate(sdp, kind, options.candidatePolicy ?? DEFAULT_CANDIDATE_POLICY, options.video === true);
  } catch {
    // Defence in depth: no path is expected to throw, but a bug must not become a crash.
    return fail('MALFORMED_LINE', 'SDP could not be validated');
  }
}

/** What one media section (m= line and its attributes) declared. */
interface Section {
  readonly media: 'audio' | 'video';
  /** Port 0: the answerer rejected this section (a voice-only answer to a video call). */
  readonly rejected: boolean;
  readonly payloadTypes: number[];
  readonly codecs: Map<number, SdpCodec>;
  readonly fmtps: Set<number>;
  readonly extmapIds: Set<number>;
  mid: boolean;
  direction: boolean;
  extmaps: number;
  ssrcs: number;
  rtcpFbs: number;
  ssrcGroups: number;
}

/** DTLS and ICE parameters: once per section (browsers repeat them in each), equal in all of them. */
interface Transport {
  fingerprint: string | null;
  setup: DtlsSetup | null;
  iceUfrag: string | null;
  icePwd: string | null;
}

function validate(sdp: string, kind: SdpKind, policy: CandidatePolicy, video: boolean): SdpValidationResult {
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
  const sections: Section[] = [];
  let sawO = false, sawS = false, sawT = false;
  /** The session level's transport parameters, then each section's (checked equal at the end). */
  const transports: Transport[] = [{ fingerprint: null, setup: null, iceUfrag: null, icePwd: null }];
  let bandwidths = 0, candidateLines = 0, sessionExtmaps = 0;
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
    const section = sections[sections.length - 1];
    const transport = transports[transports.length - 1]!;
    switch (type) {
      case 'v':
        return fail('MALFORMED_LINE', `${where}: repeated v= line`);
      case 'o': {
        const f = value.split(' ');
        if (section || sawO || f.length !== 6 || !TOKEN.test(f[0] ?? '') || !/^[0-9]{1,20}$/.test(f[1] ?? '')
          || !/^[0-9]{1,20}$/.test(f[2] ?? '') || f[3] !== 'IN' || (f[4] !== 'IP4' && f[4] !== 'IP6') || !TOKEN.test(f[5] ?? '')) {
          return fail('MALFORMED_LINE', `${where}: bad or misplaced o= line`);
        }
        sawO = true;
        break;
      }
      case 's':
        if (section || sawS || value.length === 0) return fail('MALFORMED_LINE', `${where}: bad or misplaced s= line`);
        sawS = true;
        break;
      case 't':
        if (section || sawT || !/^[0-9]{1,20} [0-9]{1,20}$/.test(value)) return fail('MALFORMED_LINE', `${where}: bad or misplaced t= line`);
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
        const media = f[0];
        // A voice call has one section, audio; a video call may add one video section after it.
        if (media === 'audio') {
          if (sections.length > 0) return fail('TOO_MANY_MEDIA', `${where}: more than one audio section`);
        } else if (media === 'video' && video) {
          if (sections.length === 0) return fail('NOT_AUDIO', `${where}: the audio section comes first`);
          if (sections.length > 1) return fail('TOO_MANY_MEDIA', `${where}: more than one video section`);
        } else {
          return fail('NOT_AUDIO', `${where}: ${video ? 'an audio section, then a video one, are' : 'only an audio section is'} allowed, got '${(media ?? '').slice(0, 16)}'`);
        }
        if (f.length < 4) return fail('MALFORMED_LINE', `${where}: m= line needs port, transport and formats`);
        const rejected = f[1] === '0' && media === 'video';
        if (!rejected && !isInt(f[1] ?? '', 1, 65535, 5)) return fail('MALFORMED_LINE', `${where}: media port must be 1-65535`);
        if (f[2] !== 'UDP/TLS/RTP/SAVPF') return fail('BAD_TRANSPORT', `${where}: transport must be UDP/TLS/RTP/SAVPF (DTLS-SRTP)`);
        const pts = f.slice(3);
        if (pts.length > MAX_PAYLOAD_TYPES) return fail('UNEXPECTED_CODEC', `${where}: more than ${MAX_PAYLOAD_TYPES} payload types`);
        const payloadTypes: number[] = [];
        for (const pt of pts) {
          if (!isInt(pt, 0, 127, 3)) return fail('MALFORMED_LINE', `${where}: payload type must be 0-127`);
          if (payloadTypes.includes(Number(pt))) return fail('MALFORMED_LINE', `${where}: repeated payload type ${pt}`);
          payloadTypes.push(Number(pt));
        }
        sections.push({
          media: media === 'video' ? 'video' : 'audio', rejected, payloadTypes, codecs: new Map(), fmtps: new Set(), extmapIds: new Set(),
          mid: false, direction: false, extmaps: 0, ssrcs: 0, rtcpFbs: 0, ssrcGroups: 0,
        });
        transports.push({ fingerprint: null, setup: null, iceUfrag: null, icePwd: null });
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
            if (!section || section.direction) return fail('MALFORMED_LINE', `${where}: a direction attribute must appear once per media section`);
            section.direction = true;
          }
          break;
        }
        if (arg === undefined || arg.length === 0) return fail('MALFORMED_LINE', `${where}: a=${name} needs a value`);
        const r = checkAttribute(name, arg, kind, where);
        if (r) return r;
        switch (name) {
          case 'fingerprint': {
            if (transport.fingerprint !== null) return fail('BAD_FINGERPRINT', `${where}: more than one fingerprint`);
            const [alg, fp, ...extra] = arg.split(' ');
            if (alg?.toLowerCase() !== 'sha-256') return fail('BAD_FINGERPRINT', `${where}: fingerprint must be sha-256`);
            if (extra.length > 0 || !FINGERPRINT.test(fp ?? '')) return fail('BAD_FINGERPRINT', `${where}: fingerprint must be 32 colon-separated hex bytes`);
            transport.fingerprint = (fp ?? '').toUpperCase();
            break;
          }
          case 'setup':
            if (transport.setup !== null) return fail('BAD_SETUP', `${where}: more than one a=setup`);
            if (arg !== 'actpass' && arg !== 'active' && arg !== 'passive') return fail('BAD_SETUP', `${where}: a=setup must be actpass, active or passive`);
            if (kind === 'answer' && arg === 'actpass') return fail('BAD_SETUP', `${where}: an answer must choose active or passive`);
            transport.setup = arg;
            break;
          case 'ice-ufrag':
            if (transport.iceUfrag !== null || arg.length < 4 || arg.length > 256 || !ICE_CHARS.test(arg)) {
              return fail('BAD_ICE_CREDENTIALS', `${where}: ice-ufrag must appear once, 4-256 ice-chars`);
            }
            transport.iceUfrag = arg;
            break;
          case 'ice-pwd':
            if (transport.icePwd !== null || arg.length < 22 || arg.length > 256 || !ICE_CHARS.test(arg)) {
              return fail('BAD_ICE_CREDENTIALS', `${where}: ice-pwd must appear once, 22-256 ice-chars`);
            }
            transport.icePwd = arg;
            break;
          case 'mid':
            if (!section || section.mid) return fail('MALFORMED_LINE', `${where}: a=mid must appear once, in each media section`);
            section.mid = true;
            break;
          case 'rtpmap': {
            const rm = /^([0-9]{1,3}) ([A-Za-z0-9-]{1,32})\/([0-9]{1,6})(?:\/([0-9]{1,2}))?$/.exec(arg);
            if (!section || !rm) return fail('MALFORMED_LINE', `${where}: malformed a=rtpmap`);
            const pt = Number(rm[1]);
            if (!section.payloadTypes.includes(pt)) return fail('MALFORMED_LINE', `${where}: a=rtpmap for payload type ${pt} not on the m= line`);
            if (section.codecs.has(pt)) return fail('MALFORMED_LINE', `${where}: repeated a=rtpmap for payload type ${pt}`);
            const codec = allowedCodec(section.media, (rm[2] ?? '').toLowerCase(), rm[3] ?? '', rm[4], pt);
            if (!codec) {
              return fail('UNEXPECTED_CODEC', `${where}: codec ${(rm[2] ?? '').toLowerCase().slice(0, 32)}/${rm[3] ?? ''}${rm[4] ? '/' + rm[4] : ''} is not allowed (${section.media === 'audio' ? 'Opus' : 'VP8'} only)`);
            }
            section.codecs.set(pt, codec);
            break;
          }
          case 'fmtp': {
            const fm = /^([0-9]{1,3}) ([\x21-\x7e]{1,256})$/.exec(arg);
            if (!section || !fm) return fail('MALFORMED_LINE', `${where}: malformed a=fmtp`);
            const pt = Number(fm[1]);
            if (!section.payloadTypes.includes(pt) || section.fmtps.has(pt)) return fail('MALFORMED_LINE', `${where}: a=fmtp for an unlisted or repeated payload type`);
            section.fmtps.add(pt);
            break;
          }
          case 'rtcp-fb': {
            const [pt, ...rest] = arg.split(' ');
            if (!section || ++section.rtcpFbs > MAX_RTCP_FB || (pt !== '*' && !section.payloadTypes.includes(Number(pt))) || !/^(\*|[0-9]{1,3})$/.test(pt ?? '') || !tokens(rest.join(' '), 1, 2)) {
              return fail('MALFORMED_LINE', `${where}: bad or too many a=rtcp-fb`);
            }
            break;
          }
          case 'extmap': {
            const count = section ? ++section.extmaps : ++sessionExtmaps;
            if (count > MAX_EXTMAPS) return fail('MALFORMED_LINE', `${where}: more than ${MAX_EXTMAPS} a=extmap`);
            const em = /^([0-9]{1,3})(?:\/(sendrecv|sendonly|recvonly|inactive))? ([\x21-\x7e]{1,128})$/.exec(arg);
            const ids = section?.extmapIds ?? new Set<number>();
            if (!em || !isInt(em[1] ?? '', 1, 14, 2) || ids.has(Number(em[1]))) return fail('MALFORMED_LINE', `${where}: malformed a=extmap`);
            const allowed = section?.media === 'video' ? VIDEO_EXTMAP_URIS : EXTMAP_URIS;
            if (!allowed.has(em[3] ?? '')) return fail('UNKNOWN_ATTRIBUTE', `${where}: header extension not allowed`);
            ids.add(Number(em[1]));
            break;
          }
          case 'ssrc':
            if (!section || ++section.ssrcs > MAX_SSRC_LINES) return fail('MALFORMED_LINE', `${where}: more than ${MAX_SSRC_LINES} a=ssrc`);
            break;
          case 'ssrc-group':
            // rtx pairs a video stream with its retransmissions: one "FID <ssrc> <ssrc>" per section.
            if (section?.media !== 'video') return fail('UNKNOWN_ATTRIBUTE', `${where}: a=ssrc-group is allowed only in a video section`);
            if (++section.ssrcGroups > 1) return fail('MALFORMED_LINE', `${where}: more than one a=ssrc-group`);
            break;
          case 'candidate': {
            if (!section) return fail('BAD_CANDIDATE', `${where}: candidate outside the media section`);
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
  const audio = sections[0];
  if (!audio) return fail('NOT_AUDIO', 'SDP has no audio section');
  for (const section of sections) {
    if (section.rejected) continue;
    const only = section.media === 'audio' ? 'Opus only' : 'VP8 only';
    for (const pt of section.payloadTypes) {
      if (!section.codecs.has(pt)) return fail('UNEXPECTED_CODEC', `payload type ${pt} has no allowed a=rtpmap (${only})`);
    }
  }
  const codecList = [...audio.codecs.values()];
  if (!codecList.some((c) => c.name === 'opus')) return fail('UNEXPECTED_CODEC', 'no Opus codec');
  const videoSection = sections[1];
  const videoCodecs = videoSection && !videoSection.rejected ? [...videoSection.codecs.values()] : [];
  if (videoSection && !videoSection.rejected && !videoCodecs.some((c) => c.name === 'vp8')) return fail('UNEXPECTED_CODEC', 'no VP8 codec in the video section');

  // Every section shares one DTLS-SRTP transport (BUNDLE): each parameter must be the same wherever it is given.
  const given = <K extends keyof Transport>(key: K): Transport[K][] => transports.map((t) => t[key]).filter((v) => v !== null);
  const agree = <K extends keyof Transport>(key: K): Transport[K] | null | 'differ' => {
    const values = given(key);
    if (values.length === 0) return null;
    return values.every((v) => v === values[0]) ? values[0]! : 'differ';
  };
  const fingerprint = agree('fingerprint');
  if (fingerprint === 'differ') return fail('BAD_FINGERPRINT', 'the media sections give different fingerprints');
  if (fingerprint === null) return fail('MISSING_FINGERPRINT', 'no a=fingerprint: DTLS-SRTP needs one');
  const setup = agree('setup');
  if (setup === 'differ') return fail('BAD_SETUP', 'the media sections give different a=setup');
  if (setup === null) return fail('BAD_SETUP', 'no a=setup');
  const iceUfrag = agree('iceUfrag');
  const icePwd = agree('icePwd');
  if (iceUfrag === 'differ' || icePwd === 'differ') return fail('BAD_ICE_CREDENTIALS', 'the media sections give different ICE credentials');
  if (iceUfrag === null || icePwd === null) return fail('BAD_ICE_CREDENTIALS', 'missing a=ice-ufrag or a=ice-pwd');

  return {
    ok: true,
    sdp: {
      kind, fingerprint, setup, iceUfrag, icePwd, codecs: codecList, videoCodecs, candidates, droppedCandidates: dropped,
      sdp: out.join('\r\n') + '\r\n',
    },
  };
}

/**
 * The codecs a call may carry. Audio: Opus (and telephone-event). Video: VP8, which every
 * WebRTC browser must implement (RFC 7742), and rtx (RFC 4588) to resend lost VP8 packets; one
 * video decoder reachable by the peer, not four.
 */
function allowedCodec(media: 'audio' | 'video', codec: string, rate: string, channels: string | undefined, pt: number): SdpCodec | undefined {
  if (media === 'audio') {
    if (codec === 'opus' && rate === '48000' && channels === '2') return { payloadType: pt, name: 'opus', clockRate: 48000 };
    if (codec === 'telephone-event' && (rate === '8000' || rate === '48000') && (channels === undefined || channels === '1')) {
      return { payloadType: pt, name: 'telephone-event', clockRate: Number(rate) };
    }
    return undefined;
  }
  if ((codec === 'vp8' || codec === 'rtx') && rate === '90000' && channels === undefined) return { payloadType: pt, name: codec, clockRate: 90000 };
  return undefined;
}

/** Bounded shape checks for attributes whose content we do not otherwise use. */
function checkAttribute(name: string, arg: string, _kind: SdpKind, where: string): Failure | null {
  const bad = (): Failure => fail('MALFORMED_LINE', `${where}: malformed a=${name}`);
  switch (name) {
    case 'ice-options': return tokens(arg, 1, 4) ? null : bad();
    case 'mid': return /^[A-Za-z0-9_-]{1,32}$/.test(arg) ? null : bad();
    case 'rtcp': return /^[0-9]{1,5}(?: IN IP[46] [0-9A-Fa-f.:]{1,45})?$/.test(arg) && isInt(arg.split(' ')[0] ?? '', 1, 65535, 5) ? null : bad();
    case 'group': return /^BUNDLE(?: [A-Za-z0-9_-]{1,32}){0,2}$/.test(arg) ? null : bad();
    case 'ssrc-group': return /^FID [0-9]{1,10} [0-9]{1,10}$/.test(arg) ? null : bad();
    // Chrome writes "a=msid-semantic: WMS" (note the space), werift "a=msid-semantic:WMS *".
    case 'msid-semantic': return /^ ?WMS(?: [\x21-\x7e]{1,64}){0,4}$/.test(arg) ? null : bad();
    case 'msid': return tokens(arg, 1, 2) ? null : bad();
    case 'ssrc': return /^[0-9]{1,10} [A-Za-z0-9-]{1,32}(?::[\x20-\x7e]{1,128})?$/.test(arg) && isInt(arg.split(' ')[0] ?? '', 0, 0xffffffff) ? null : bad();
    case 'ptime': case 'maxptime': return isInt(arg, 1, 1000, 4) ? null : bad();
    default: return null;
  }
}

/**
 * @module calls/srtp-replay-guard
 * SRTP and SRTCP replay protection (RFC 3711 §3.3.2) for werift, which has none: without it a
 * genuine packet re-sent from the peer's address decrypts again and is parsed again.
 *
 * werift's DTLS transport creates one `SrtpSession` and one `SrtcpSession` when DTLS connects
 * (`updateSrtpSession`) and, for every packet that arrives, calls the session's `decrypt` and
 * parses what it returns; a `SrtpAuthenticationError` thrown by `decrypt` makes it drop the packet
 * before parsing. The guard wraps `decrypt` on the sessions of one transport: the packet is
 * authenticated and decrypted by werift first, then its index goes through a per-SSRC
 * `ReplayWindow`, and a replayed, too-old or surplus-SSRC packet is refused by throwing that
 * error, so nothing of it reaches the RTP or RTCP parser. A wrapper on the instances rather than a
 * patch of werift's files: it needs no install step and cannot be lost to a clean `npm ci`, and
 * `install` refuses a werift whose shape changed instead of leaving a call unprotected.
 *
 * The packet index is the one the packet authenticated with: for SRTP, werift's rollover counter
 * for the SSRC after decryption (werift guessed it, RFC 3711 §3.3.1, and the tag or AEAD covers
 * it) with the sequence number; for SRTCP, the 31-bit index the packet carries under its tag.
 */
import {
  ProtectionProfileAeadAes128Gcm,
  ProtectionProfileAes128CmHmacSha1_80,
  SrtpAuthenticationError,
  type RTCDtlsTransport,
  type SrtcpSession,
  type SrtpSession,
} from 'werift';
import { DEFAULT_REPLAY_WINDOW, ReplayWindow, type ReplayVerdict } from './replay-window.js';

/** SSRCs the peer may use at most. A 1:1 audio call uses one or two; more is refused, not tracked. */
export const MAX_PEER_SSRCS = 16;

/** What the guard refused, for the session's closing log line (counts only). */
export interface ReplayCounts {
  srtpReplayed: number;
  srtpTooOld: number;
  srtcpReplayed: number;
  srtcpTooOld: number;
  /** Authenticated packets of an SSRC beyond MAX_PEER_SSRCS. */
  ssrcRefused: number;
}

/** Thrown from `decrypt` to make werift drop a packet; werift drops exactly this error class unparsed. */
export class SrtpReplayError extends SrtpAuthenticationError {
  constructor(readonly verdict: ReplayVerdict | 'ssrc-refused') {
    super(`SRTP replay protection: ${verdict} packet dropped`);
    this.name = 'SrtpReplayError';
  }
}

/** SRTCP's E flag and index word sits right after the payload: under a 10-byte HMAC tag, or last with AEAD. */
const SRTCP_INDEX_SIZE = 4;
const HMAC_SHA1_80_TAG = 10;
const RTP_HEADER_MIN = 12;

/** Per-SSRC windows, bounded in number. */
class ReplayWindows {
  private readonly bySsrc = new Map<number, ReplayWindow>();

  constructor(private readonly windowSize: number) {}

  admit(ssrc: number, index: number): ReplayVerdict | 'ssrc-refused' {
    let window = this.bySsrc.get(ssrc);
    if (!window) {
      if (this.bySsrc.size >= MAX_PEER_SSRCS) return 'ssrc-refused';
      window = new ReplayWindow(this.windowSize);
      this.bySsrc.set(ssrc, window);
    }
    return window.admit(index);
  }
}

export interface SrtpReplayGuardOptions {
  /** Packets each window remembers (default 128, at least 64). */
  readonly windowSize?: number;
}

export class SrtpReplayGuard {
  readonly counts: ReplayCounts = { srtpReplayed: 0, srtpTooOld: 0, srtcpReplayed: 0, srtcpTooOld: 0, ssrcRefused: 0 };
  private readonly transports = new WeakSet<RTCDtlsTransport>();
  private readonly sessions = new WeakSet<object>();
  private readonly windowSize: number;
  /** The errors thrown are the same few objects: a replay flood should not cost a stack trace per packet. */
  private readonly errors = {
    replayed: new SrtpReplayError('replayed'),
    'too-old': new SrtpReplayError('too-old'),
    'ssrc-refused': new SrtpReplayError('ssrc-refused'),
  } as const;

  constructor(options: SrtpReplayGuardOptions = {}) {
    this.windowSize = options.windowSize ?? DEFAULT_REPLAY_WINDOW;
    new ReplayWindow(this.windowSize); // refuses a bad size now, not at the first packet
  }

  /**
   * Protects every SRTP and SRTCP session `transport` has or will create. Install before DTLS
   * connects; installing twice is harmless. Throws if werift no longer has the expected shape.
   */
  install(transport: RTCDtlsTransport): void {
    if (this.transports.has(transport)) return;
    if (typeof transport.updateSrtpSession !== 'function') {
      throw new Error('werift changed: RTCDtlsTransport.updateSrtpSession is gone, so SRTP replay protection cannot be installed');
    }
    const createSessions = transport.updateSrtpSession.bind(transport);
    // An own property in front of werift's method: every session werift makes is wrapped at birth.
    transport.updateSrtpSession = () => {
      createSessions();
      this.protectSessions(transport);
    };
    this.transports.add(transport);
    if (transport.srtp || transport.srtcp) this.protectSessions(transport);
  }

  /** True when every SRTP and SRTCP session `transport` has now is guarded. */
  protects(transport: RTCDtlsTransport): boolean {
    if (!this.transports.has(transport)) return false;
    return (!transport.srtp || this.sessions.has(transport.srtp)) && (!transport.srtcp || this.sessions.has(transport.srtcp));
  }

  private protectSessions(transport: RTCDtlsTransport): void {
    if (transport.srtp && !this.sessions.has(transport.srtp)) this.protectSrtp(transport.srtp);
    if (transport.srtcp && !this.sessions.has(transport.srtcp)) this.protectSrtcp(transport.srtcp);
  }

  /** Wraps an SRTP session's decrypt: werift authenticates, then the window decides. */
  protectSrtp(session: SrtpSession): void {
    if (typeof session.decrypt !== 'function' || typeof session.remoteContext?.srtpSSRCStates !== 'object') {
      throw new Error('werift changed: SrtpSession has no decrypt or rollover state, so SRTP replay protection cannot be installed');
    }
    const decrypt = session.decrypt;
    const windows = new ReplayWindows(this.windowSize);
    session.decrypt = (packet: Buffer) => {
      // Too short to carry an SSRC: werift refuses it as unauthenticated.
      if (packet.length < RTP_HEADER_MIN) return decrypt(packet);
      const ssrc = packet.readUInt32BE(8);
      const states = session.remoteContext.srtpSSRCStates;
      const before = states[ssrc] ? { ...states[ssrc] } : undefined;
      const plain = decrypt(packet); // throws SrtpAuthenticationError unless the packet authenticated
      const index = states[ssrc]!.rolloverCounter * 0x1_0000 + packet.readUInt16BE(2);
      const verdict = windows.admit(ssrc, index);
      if (verdict === 'fresh') return plain;
      // werift already moved its rollover state to this packet: put it back, or a replayed old
      // packet near a sequence number wrap could make it guess the wrong counter for the next ones.
      if (before) states[ssrc] = before;
      else delete states[ssrc];
      this.count('srtp', verdict);
      throw this.errors[verdict];
    };
    this.sessions.add(session);
  }

  /** Wraps an SRTCP session's decrypt: werift authenticates, then the window decides. */
  protectSrtcp(session: SrtcpSession): void {
    if (typeof session.decrypt !== 'function') {
      throw new Error('werift changed: SrtcpSession has no decrypt, so SRTCP replay protection cannot be installed');
    }
    const indexOffsetFromEnd = srtcpIndexOffsetFromEnd(session.config.profile);
    const decrypt = session.decrypt;
    const windows = new ReplayWindows(this.windowSize);
    session.decrypt = (packet: Buffer) => {
      const plain = decrypt(packet); // throws SrtpAuthenticationError unless the packet authenticated
      const ssrc = packet.readUInt32BE(4);
      const index = packet.readUInt32BE(packet.length - indexOffsetFromEnd) & 0x7fff_ffff;
      const verdict = windows.admit(ssrc, index);
      if (verdict === 'fresh') return plain;
      this.count('srtcp', verdict);
      throw this.errors[verdict];
    };
    this.sessions.add(session);
  }

  private count(kind: 'srtp' | 'srtcp', verdict: Exclude<ReplayVerdict, 'fresh'> | 'ssrc-refused'): void {
    if (verdict === 'ssrc-refused') this.counts.ssrcRefused++;
    else if (verdict === 'replayed') this.counts[`${kind}Replayed`]++;
    else this.counts[`${kind}TooOld`]++;
  }
}

/** Where the SRTCP E flag and index start, counted back from the end of the packet. */
function srtcpIndexOffsetFromEnd(profile: number): number {
  switch (profile) {
    case ProtectionProfileAes128CmHmacSha1_80:
      return HMAC_SHA1_80_TAG + SRTCP_INDEX_SIZE;
    case ProtectionProfileAeadAes128Gcm:
      return SRTCP_INDEX_SIZE; // RFC 7714 §9.2: the index follows the AEAD tag
    default:
      throw new Error(`SRTP replay protection does not know where profile ${profile} puts the SRTCP index`);
  }
}

/**
 * @module calls/werift-call-media
 * The call media port (`CallMediaFactory`) for Node, on werift: one RTCPeerConnection with one
 * Opus audio transceiver per call. The "microphone" is a WAV file (or silence) and what the peer
 * says can be recorded to a WAV file, which is what bots and end-to-end tests need.
 *
 * Consent rule (see core's call-media.ts): nothing network-facing exists before `createSession`,
 * which the engine calls only after the member accepted the call, and a session opens its
 * sockets and gathers candidates only in `createOffer` / `createAnswer` (werift gathers in
 * setLocalDescription). Constructing the factory and the session opens nothing.
 *
 * Replay rule (RFC 3711 §3.3.2): every DTLS transport of the session gets an SrtpReplayGuard
 * before DTLS can connect, so a replayed SRTP or SRTCP packet is dropped before werift parses it;
 * a session that reaches 'connected' with an unguarded transport fails rather than carry audio.
 */
import { randomInt } from 'node:crypto';
import {
  MediaStreamTrack, RTCIceCandidate, RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket,
  type RTCRtpTransceiver,
} from 'werift';
import type { CallMediaFactory, CallMediaHandlers, CallMediaOptions, CallMediaSession, Logger } from '@sotto/core';
import { AudioRecorder } from './audio-recorder.js';
import { AudioSource } from './audio-source.js';
import { OPUS_FRAME_SAMPLES, OpusCodec } from './opus-codec.js';
import { SrtpReplayGuard } from './srtp-replay-guard.js';
import { readWav } from './wav.js';

export interface WeriftCallMediaOptions {
  /** A WAV file played as the microphone, looping; without it the session sends silence. */
  readonly play?: string;
  /** Where to write what the peer sent (48 kHz mono WAV) when a session closes. */
  readonly record?: string;
  /** Content-free diagnostics only: no addresses, candidates or SDP are ever logged. */
  readonly logger?: Logger;
}

const OPUS_MIME = 'audio/opus';

export class WeriftCallMedia implements CallMediaFactory {
  /** Only keeps the options: no socket, no peer connection, no file access until a session exists. */
  constructor(private readonly config: WeriftCallMediaOptions = {}) {}

  createSession(options: CallMediaOptions, handlers: CallMediaHandlers): CallMediaSession {
    return new WeriftCallMediaSession(options, handlers, this.config);
  }
}

/** Returns the SDP without `a=candidate` / `a=end-of-candidates` lines, with CRLF line ends. */
export function stripCandidates(sdp: string): string {
  const lines = sdp.split(/\r?\n/).filter((line) => line !== '' && !line.startsWith('a=candidate:') && line !== 'a=end-of-candidates');
  return lines.join('\r\n') + '\r\n';
}

class WeriftCallMediaSession implements CallMediaSession {
  private readonly pc: RTCPeerConnection;
  /** Our outgoing track; it is registered with the transceiver so the SDP announces a sender. */
  private readonly track = new MediaStreamTrack({ kind: 'audio' });
  private readonly codec = new OpusCodec();
  private readonly replayGuard = new SrtpReplayGuard();
  private readonly recorder: AudioRecorder | null;
  private readonly log: Logger | undefined;
  private readonly createdAt = performance.now();
  private transceiver: RTCRtpTransceiver | null = null;
  private source: AudioSource | null = null;
  private connected = false;
  /** Set once the session failed or is closing: handlers are not called any more. */
  private silenced = false;
  private heardPeer = false;
  private closing: Promise<void> | null = null;
  // RFC 3550 §5.1: random initial sequence number and timestamp. (werift's sender then
  // substitutes its own random SSRC and the negotiated payload type.)
  private sequenceNumber = randomInt(0x10000);
  private timestamp = randomInt(0x1_0000_0000);
  private readonly ssrc = randomInt(1, 0x1_0000_0000);

  constructor(
    private readonly options: CallMediaOptions,
    private readonly handlers: CallMediaHandlers,
    private readonly config: WeriftCallMediaOptions,
  ) {
    this.log = config.logger;
    this.recorder = config.record ? new AudioRecorder(this.codec) : null;
    // Creating the RTCPeerConnection opens nothing: werift binds its UDP sockets when gathering.
    this.pc = new RTCPeerConnection({
      // A video call's offer has a video section werift must match to answer at all; it is answered
      // rejected (port 0, inactive), so no video is sent or received: the CLI's calls are voice.
      codecs: {
        audio: [new RTCRtpCodecParameters({ mimeType: OPUS_MIME, clockRate: 48_000, channels: 2 })],
        video: options.video === true ? [new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90_000 })] : [],
      },
      iceServers: options.iceServers.map((server) => ({
        urls: [...server.urls],
        ...(server.username !== undefined ? { username: server.username } : {}),
        ...(server.credential !== undefined ? { credential: server.credential } : {}),
      })),
      iceTransportPolicy: options.relayOnly ? 'relay' : 'all',
      iceAdditionalHostAddresses: options.allowLoopback ? ['127.0.0.1'] : undefined,
      iceUseIpv6: false,
    });
    this.pc.onIceCandidate.subscribe((candidate) => this.onLocalCandidate(candidate?.candidate));
    this.pc.connectionStateChange.subscribe((state) => this.onConnectionState(state));
    this.pc.onTrack.subscribe((track) => {
      if (track.kind !== 'audio') return;
      track.onReceiveRtp.subscribe((rtp) => this.onRemoteRtp(rtp));
    });
  }

  async openMicrophone(): Promise<void> {
    this.assertOpen();
    if (this.source) return;
    const pcm = this.config.play ? await readWav(this.config.play) : null;
    if (this.closing || this.source) return;
    this.source = new AudioSource(pcm, this.codec, {
      onError: (error) => this.log?.warn({ error: error instanceof Error ? error.name : 'unknown' }, 'call media: audio source stopped'),
    });
    this.startSending();
  }

  async createOffer(): Promise<string> {
    this.assertOpen();
    this.ensureTransceiver();
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer); // gathers: candidates reach onLocalCandidate meanwhile
    this.guardTransports();
    return this.localSdp();
  }

  async createAnswer(): Promise<string> {
    this.assertOpen();
    if (!this.pc.remoteDescription) throw new Error('createAnswer needs the remote offer first');
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    this.guardTransports();
    return this.localSdp();
  }

  async setRemoteDescription(kind: 'offer' | 'answer', sdp: string): Promise<void> {
    this.assertOpen();
    // On the answering side, a transceiver added before the offer is applied is matched to the
    // offer's audio section (werift pairs same-kind transceivers without a mid). Without it,
    // werift would create a recvonly one and this side would never send.
    if (kind === 'offer') this.ensureTransceiver();
    await this.pc.setRemoteDescription({ type: kind, sdp });
    if (kind === 'offer') for (const t of this.pc.getTransceivers()) if (t.kind === 'video') t.setDirection('inactive');
    // DTLS needs ICE first, so no SRTP session exists yet; werift may have made a transport.
    this.guardTransports();
  }

  async addIceCandidate(candidate: string): Promise<void> {
    this.assertOpen();
    // One media section: index 0, whatever mid the peer chose. werift buffers candidates that
    // arrive before the remote description.
    await this.pc.addIceCandidate(new RTCIceCandidate({ candidate, sdpMLineIndex: 0 }));
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.silenced = true; // werift reports 'closed' when we close it: that is not a failure
    this.source?.stop();
    try {
      await this.pc.close();
    } catch (error) {
      this.log?.warn({ error: error instanceof Error ? error.name : 'unknown' }, 'call media: closing the peer connection failed');
    }
    this.track.stop();
    this.codec.close();
    const replays = this.replayGuard.counts;
    const refused = replays.srtpReplayed + replays.srtpTooOld + replays.srtcpReplayed + replays.srtcpTooOld + replays.ssrcRefused;
    // Replays in a call mean someone on the path re-sent the peer's packets: worth a warning.
    this.log?.[refused > 0 ? 'warn' : 'info']({
      framesSent: this.source?.framesSent ?? 0,
      packetsDecoded: this.recorder?.packetsDecoded ?? 0,
      decodeErrors: this.recorder?.decodeErrors ?? 0,
      packetsDropped: this.recorder?.packetsDropped ?? 0,
      ...replays,
    }, 'call media: closed');
    if (this.recorder && this.config.record) await this.recorder.finish(this.config.record);
  }

  private assertOpen(): void {
    if (this.closing) throw new Error('call media session is closed');
  }

  private ensureTransceiver(): RTCRtpTransceiver {
    this.transceiver ??= this.pc.addTransceiver(this.track, { direction: 'sendrecv' });
    this.guardTransports(); // addTransceiver made the DTLS transport
    return this.transceiver;
  }

  /** Puts the replay guard on every DTLS transport werift made so far (again is harmless). */
  private guardTransports(): void {
    for (const transport of this.pc.dtlsTransports) this.replayGuard.install(transport);
  }

  private localSdp(): string {
    // Closed while werift was gathering: the description is for a call that is over.
    this.assertOpen();
    const sdp = this.pc.localDescription?.sdp;
    if (!sdp) throw new Error('werift produced no local description');
    // Candidates travel one by one through onLocalCandidate (trickle ICE), never inside the SDP.
    return stripCandidates(sdp);
  }

  /** The payload type negotiated for Opus (werift numbers dynamic types from 96). */
  private opusPayloadType(): number | undefined {
    return this.transceiver?.codecs.find((codec) => codec.mimeType.toLowerCase() === OPUS_MIME)?.payloadType;
  }

  private onLocalCandidate(candidate: string | undefined): void {
    // werift signals the end of gathering with no candidate; the port has no such signal.
    if (!candidate || this.silenced) return;
    const line = candidate.startsWith('candidate:') ? candidate : `candidate:${candidate}`;
    // werift gathers host candidates when relay-only is asked but no TURN credentials are set.
    // It then never uses them, but they must not be announced either: they carry our addresses.
    if (this.options.relayOnly && !/ typ relay(?: |$)/.test(line)) return;
    this.callHandler('onLocalCandidate', () => this.handlers.onLocalCandidate(line));
  }

  private onConnectionState(state: string): void {
    if (this.silenced) return;
    this.log?.debug({ state, elapsedMs: Math.round(performance.now() - this.createdAt) }, 'call media: connection state');
    switch (state) {
      case 'connected':
        if (this.connected) return;
        // Fail closed: werift made a transport we never saw, so its SRTP has no replay window.
        if (!this.pc.dtlsTransports.every((transport) => this.replayGuard.protects(transport))) {
          return this.fail('SRTP replay protection is not in place');
        }
        this.connected = true;
        this.callHandler('onConnected', () => this.handlers.onConnected());
        this.startSending();
        return;
      case 'failed':
        return this.fail('ICE or DTLS failed');
      case 'closed':
        return this.fail('the connection closed');
      default:
        // 'disconnected' may recover; werift moves on to 'failed' or 'closed' if it does not.
        return;
    }
  }

  private fail(reason: string): void {
    if (this.silenced) return;
    this.silenced = true;
    this.source?.stop();
    this.log?.warn({ reason }, 'call media: failed');
    this.callHandler('onFailed', () => this.handlers.onFailed(reason));
  }

  /** Audio flows once both the source is open and the connection is up, whichever comes last. */
  private startSending(): void {
    if (!this.connected || !this.source || this.silenced) return;
    this.source.start((opus) => this.sendFrame(opus));
  }

  private sendFrame(opus: Uint8Array): void {
    const sender = this.transceiver?.sender;
    const payloadType = this.opusPayloadType();
    if (!sender || payloadType === undefined || this.silenced) return;
    const header = new RtpHeader({
      payloadType, marker: false, ssrc: this.ssrc, sequenceNumber: this.sequenceNumber, timestamp: this.timestamp,
    });
    this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
    this.timestamp = (this.timestamp + OPUS_FRAME_SAMPLES) >>> 0;
    // Sent through the sender directly rather than track.writeRtp: werift's track subscription
    // would leave a failed send as an unhandled rejection, which ends a Node process.
    sender.sendRtp(new RtpPacket(header, Buffer.from(opus.buffer, opus.byteOffset, opus.byteLength))).catch((error: unknown) => {
      this.log?.debug({ error: error instanceof Error ? error.name : 'unknown' }, 'call media: RTP send failed');
    });
  }

  private onRemoteRtp(rtp: RtpPacket): void {
    if (this.silenced) return;
    // Only Opus goes to the decoder (a browser may also send telephone-event packets).
    if (rtp.header.payloadType !== this.opusPayloadType()) return;
    if (!this.heardPeer) {
      this.heardPeer = true;
      this.log?.debug({ elapsedMs: Math.round(performance.now() - this.createdAt) }, 'call media: first remote audio');
      this.callHandler('onFirstRemoteAudio', () => this.handlers.onFirstRemoteAudio());
    }
    this.recorder?.push(rtp.payload);
  }

  /** Handlers run inside werift's event dispatch: an exception there must not reach werift. */
  private callHandler(name: string, call: () => void): void {
    try {
      call();
    } catch (error) {
      this.log?.error({ handler: name, error: error instanceof Error ? error.name : 'unknown' }, 'call media: handler threw');
    }
  }
}

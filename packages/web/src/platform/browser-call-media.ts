/**
 * @module platform/browser-call-media
 * The call media port (`CallMediaFactory`) on the browser's own RTCPeerConnection: one
 * peer connection with one Opus audio transceiver per call, the microphone from
 * getUserMedia, and the peer's audio played through an <audio> element.
 *
 * Consent rule (see core's call-media.ts): the engine calls `createSession` only after the
 * member accepted, and nothing here touches RTCPeerConnection or the microphone before that.
 * The factory itself only keeps options.
 */
import type { CallMediaFactory, CallMediaHandlers, CallMediaOptions, CallMediaSession } from '@sotto/core';

/** What the in-call screen shows, read from getStats(): counts only, never addresses. */
export interface CallStats {
  readonly packetsSent: number;
  readonly packetsReceived: number;
  readonly packetsLost: number;
  readonly roundTripMs: number | undefined;
  readonly codec: string | undefined;
}

/** Codecs we offer, in order: the SDP validator on the other side allows nothing else. */
const ALLOWED_CODECS = new Set(['audio/opus', 'audio/telephone-event']);
/** How often to look for the first remote packet (getStats has no event for it). */
const FIRST_AUDIO_POLL_MS = 50;

export class BrowserCallMedia implements CallMediaFactory {
  private active: BrowserCallMediaSession | undefined;

  constructor(private readonly playback: () => HTMLAudioElement = () => new Audio()) {}

  createSession(options: CallMediaOptions, handlers: CallMediaHandlers): CallMediaSession {
    const session = new BrowserCallMediaSession(options, handlers, this.playback(), () => {
      if (this.active === session) this.active = undefined;
    });
    this.active = session;
    return session;
  }

  /** Mutes or unmutes the current call's microphone (the track stays open, sending silence). */
  setMuted(muted: boolean): void {
    this.active?.setMuted(muted);
  }

  /** The current call's packet counters, or undefined when there is no call media. */
  stats(): Promise<CallStats | undefined> {
    return this.active ? this.active.stats() : Promise.resolve(undefined);
  }
}

/**
 * The SDP as it goes to the peer: no `a=candidate` / `a=end-of-candidates` lines (candidates
 * trickle one by one) and no `a=rtcp-xr` (RTCP extended reports, which a voice call does not
 * need and the peer's allow-list validator refuses). Only what we send is trimmed; the local
 * description stays as the browser made it.
 */
export function outgoingSdp(sdp: string): string {
  const lines = sdp.split(/\r?\n/).filter((line) =>
    line !== '' && !line.startsWith('a=candidate:') && line !== 'a=end-of-candidates' && !line.startsWith('a=rtcp-xr:'));
  return lines.join('\r\n') + '\r\n';
}

class BrowserCallMediaSession implements CallMediaSession {
  private readonly pc: RTCPeerConnection;
  private microphone: MediaStream | undefined;
  private muted = false;
  private connected = false;
  private silenced = false;
  private heardPeer = false;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    options: CallMediaOptions,
    private readonly handlers: CallMediaHandlers,
    private readonly audio: HTMLAudioElement,
    private readonly onClosed: () => void,
  ) {
    this.pc = new RTCPeerConnection({
      iceServers: options.iceServers.map((server) => ({
        urls: [...server.urls],
        ...(server.username !== undefined ? { username: server.username } : {}),
        ...(server.credential !== undefined ? { credential: server.credential } : {}),
      })),
      iceTransportPolicy: options.relayOnly ? 'relay' : 'all',
      bundlePolicy: 'max-bundle',
      rtcpMuxPolicy: 'require',
    });
    this.pc.onicecandidate = (event) => {
      // An empty candidate string marks the end of gathering; the port has no such signal.
      const line = event.candidate?.candidate;
      if (!line || this.silenced) return;
      this.callHandler(() => this.handlers.onLocalCandidate(line));
    };
    this.pc.onconnectionstatechange = () => this.onConnectionState(this.pc.connectionState);
    this.pc.ontrack = (event) => {
      if (event.track.kind !== 'audio') return;
      this.audio.srcObject = event.streams[0] ?? new MediaStream([event.track]);
      this.audio.play().catch(() => undefined); // autoplay may wait for a gesture; the call still flows
      this.watchForFirstAudio();
    };
  }

  async openMicrophone(): Promise<void> {
    this.assertOpen();
    if (this.microphone) return;
    const stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true }, video: false });
    if (this.closing) {
      stream.getTracks().forEach((t) => t.stop());
      return;
    }
    this.microphone = stream;
    stream.getAudioTracks().forEach((t) => (t.enabled = !this.muted));
    await this.attachMicrophone();
  }

  async createOffer(): Promise<string> {
    this.assertOpen();
    const transceiver = this.pc.getTransceivers()[0] ?? this.pc.addTransceiver('audio', { direction: 'sendrecv' });
    restrictCodecs(transceiver);
    await this.attachMicrophone();
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer); // gathering starts here: candidates reach onicecandidate
    return this.localSdp(offer.sdp);
  }

  async createAnswer(): Promise<string> {
    this.assertOpen();
    if (!this.pc.remoteDescription) throw new Error('createAnswer needs the remote offer first');
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    return this.localSdp(answer.sdp);
  }

  async setRemoteDescription(kind: 'offer' | 'answer', sdp: string): Promise<void> {
    this.assertOpen();
    await this.pc.setRemoteDescription({ type: kind, sdp });
    if (kind === 'offer') {
      // The offer created our transceiver (recvonly until we say otherwise): send on it too.
      const transceiver = this.pc.getTransceivers()[0];
      if (transceiver) {
        transceiver.direction = 'sendrecv';
        restrictCodecs(transceiver);
      }
      await this.attachMicrophone();
    }
  }

  async addIceCandidate(candidate: string): Promise<void> {
    this.assertOpen();
    await this.pc.addIceCandidate({ candidate, sdpMLineIndex: 0 });
  }

  setMuted(muted: boolean): void {
    this.muted = muted;
    this.microphone?.getAudioTracks().forEach((t) => (t.enabled = !muted));
  }

  async stats(): Promise<CallStats> {
    const report = await this.pc.getStats();
    let packetsSent = 0, packetsReceived = 0, packetsLost = 0;
    let roundTripMs: number | undefined;
    let codec: string | undefined;
    report.forEach((entry: Record<string, unknown>) => {
      if (entry['type'] === 'outbound-rtp' && entry['kind'] === 'audio') packetsSent += Number(entry['packetsSent'] ?? 0);
      if (entry['type'] === 'inbound-rtp' && entry['kind'] === 'audio') {
        packetsReceived += Number(entry['packetsReceived'] ?? 0);
        packetsLost += Number(entry['packetsLost'] ?? 0);
      }
      if (entry['type'] === 'candidate-pair' && entry['nominated'] === true && typeof entry['currentRoundTripTime'] === 'number') {
        roundTripMs = Math.round((entry['currentRoundTripTime'] as number) * 1000);
      }
      if (entry['type'] === 'codec' && typeof entry['mimeType'] === 'string') codec ??= (entry['mimeType'] as string).replace(/^audio\//, '');
    });
    return { packetsSent, packetsReceived, packetsLost, roundTripMs, codec };
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.silenced = true;
    if (this.pollTimer !== undefined) clearInterval(this.pollTimer);
    this.microphone?.getTracks().forEach((t) => t.stop());
    this.pc.close();
    this.audio.pause();
    this.audio.srcObject = null;
    this.onClosed();
  }

  private assertOpen(): void {
    if (this.closing) throw new Error('call media session is closed');
  }

  /** Puts the microphone on our transceiver once both exist, whichever comes last. */
  private async attachMicrophone(): Promise<void> {
    const track = this.microphone?.getAudioTracks()[0];
    const transceiver = this.pc.getTransceivers()[0];
    if (!track || !transceiver || transceiver.sender.track === track) return;
    await transceiver.sender.replaceTrack(track);
  }

  private localSdp(sdp: string | undefined): string {
    this.assertOpen();
    if (!sdp) throw new Error('the browser produced no local description');
    return outgoingSdp(sdp);
  }

  private onConnectionState(state: RTCPeerConnectionState): void {
    if (this.silenced) return;
    if (state === 'connected' && !this.connected) {
      this.connected = true;
      this.callHandler(() => this.handlers.onConnected());
    } else if (state === 'failed') {
      this.silenced = true;
      this.callHandler(() => this.handlers.onFailed('ICE or DTLS failed'));
    }
  }

  private watchForFirstAudio(): void {
    if (this.pollTimer !== undefined || this.heardPeer) return;
    this.pollTimer = setInterval(() => {
      void this.stats().then((s) => {
        if (this.heardPeer || this.silenced || s.packetsReceived === 0) return;
        this.heardPeer = true;
        clearInterval(this.pollTimer);
        this.pollTimer = undefined;
        this.callHandler(() => this.handlers.onFirstRemoteAudio());
      }).catch(() => undefined);
    }, FIRST_AUDIO_POLL_MS);
  }

  private callHandler(call: () => void): void {
    try {
      call();
    } catch (error) {
      console.error('call media: handler threw', error instanceof Error ? error.name : 'unknown');
    }
  }
}

/** Offers and answers Opus (and DTMF) only, which is all the peer's SDP validator accepts. */
function restrictCodecs(transceiver: RTCRtpTransceiver): void {
  const capabilities = RTCRtpReceiver.getCapabilities('audio');
  if (!capabilities || typeof transceiver.setCodecPreferences !== 'function') return;
  const codecs = capabilities.codecs.filter((c) => ALLOWED_CODECS.has(c.mimeType.toLowerCase()));
  transceiver.setCodecPreferences(codecs);
}

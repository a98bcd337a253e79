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
import { ALLOWED_EXTMAP_URIS, type CallMediaFactory, type CallMediaHandlers, type CallMediaOptions, type CallMediaSession } from '@sotto/core';
import { CallCamera, restrictVideoCodecs } from './call-camera.js';

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

/** What the call screen draws: this device's camera and the peer's video, while there are any. */
export interface CallVideo {
  readonly local: MediaStream | undefined;
  readonly remote: MediaStream | undefined;
  /** More than one camera (a phone's front and back): the screen offers to switch. */
  readonly cameras: number;
}
/** How often to look for the first remote packet (getStats has no event for it). */
const FIRST_AUDIO_POLL_MS = 50;

export class BrowserCallMedia implements CallMediaFactory {
  private active: BrowserCallMediaSession | undefined;

  constructor(private readonly playback: () => HTMLAudioElement = () => new Audio()) {}

  createSession(options: CallMediaOptions, handlers: CallMediaHandlers): CallMediaSession {
    const session = new BrowserCallMediaSession(options, handlers, this.playback(), () => {
      if (this.active === session) this.active = undefined;
      this.videoChanged();
    }, () => this.videoChanged());
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

  /** The current call's video (none before the member accepted: nothing exists then). */
  video(): CallVideo {
    return this.active?.video() ?? { local: undefined, remote: undefined, cameras: 0 };
  }

  /** Told whenever the call's video changes (a camera opened or closed, the peer's video arrived). */
  onVideoChange(listener: () => void): () => void {
    this.videoListeners.add(listener);
    return () => this.videoListeners.delete(listener);
  }

  /** Turns the camera off (its light goes out) or on again, in a video call that is under way. */
  setCameraOn(on: boolean): Promise<void> {
    return this.active?.setCameraOn(on) ?? Promise.resolve();
  }

  /** The next camera (front, back), where there is more than one. */
  switchCamera(): Promise<void> {
    return this.active?.switchCamera() ?? Promise.resolve();
  }

  private readonly videoListeners = new Set<() => void>();
  private readonly videoChanged = (): void => {
    for (const listener of [...this.videoListeners]) listener();
  };
}

/**
 * The SDP as it goes to the peer: no `a=candidate` / `a=end-of-candidates` lines (candidates
 * trickle one by one) and no `a=rtcp-xr` (RTCP extended reports, which a voice call does not
 * need and the peer's allow-list validator refuses). Only what we send is trimmed; the local
 * description stays as the browser made it.
 */
export function outgoingSdp(sdp: string): string {
  const lines = sdp.split(/\r?\n/).filter((line) =>
    line !== '' && !line.startsWith('a=candidate:') && line !== 'a=end-of-candidates' && !line.startsWith('a=rtcp-xr:') && !unwantedExtension(line));
  return lines.join('\r\n') + '\r\n';
}

/**
 * A header extension the peer's validator does not allow (the browser offers a dozen for video:
 * timing, colour space, frame descriptors...): left out of what we send, so it is never negotiated.
 */
function unwantedExtension(line: string): boolean {
  if (!line.startsWith('a=extmap:')) return false;
  const uri = line.split(' ')[1];
  return uri === undefined || !ALLOWED_EXTMAP_URIS.has(uri);
}

class BrowserCallMediaSession implements CallMediaSession {
  private readonly pc: RTCPeerConnection;
  private microphone: MediaStream | undefined;
  private readonly camera = new CallCamera();
  private remoteVideo: MediaStream | undefined;
  private muted = false;
  private connected = false;
  private silenced = false;
  private heardPeer = false;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private closing: Promise<void> | undefined;
  /** A video call, or a voice call both members moved to video (`enableVideo`). */
  private videoCall: boolean;

  constructor(
    options: CallMediaOptions,
    private readonly handlers: CallMediaHandlers,
    private readonly audio: HTMLAudioElement,
    private readonly onClosed: () => void,
    private readonly onVideo: () => void,
  ) {
    this.videoCall = options.video === true;
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
      if (event.track.kind === 'video') {
        if (!this.videoCall) return;
        // Shown only while frames come: a peer with the camera off (or voice only) is "no video", not a black box.
        const track = event.track;
        const stream = new MediaStream([track]);
        const show = (on: boolean) => {
          if (this.silenced) return;
          this.remoteVideo = on ? stream : undefined;
          this.onVideo();
        };
        track.onunmute = () => show(true);
        track.onmute = () => show(false);
        if (!track.muted) show(true);
        return;
      }
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

  async enableVideo(): Promise<void> {
    this.assertOpen();
    // The next offer adds a video section (createOffer), or the peer's offer's is answered with one (setRemoteDescription).
    this.videoCall = true;
    this.onVideo();
  }

  async openCamera(): Promise<void> {
    this.assertOpen();
    if (!this.videoCall || this.camera.stream) return;
    await this.startCamera();
  }

  async createOffer(): Promise<string> {
    this.assertOpen();
    const transceiver = this.pc.getTransceivers()[0] ?? this.pc.addTransceiver('audio', { direction: 'sendrecv' });
    restrictCodecs(transceiver);
    if (this.videoCall && !this.pc.getTransceivers()[1]) restrictVideoCodecs(this.pc.addTransceiver('video', { direction: 'sendrecv' }));
    await this.attachMicrophone();
    await this.attachCamera();
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
      const video = this.pc.getTransceivers()[1];
      if (video && this.videoCall) {
        video.direction = 'sendrecv';
        restrictVideoCodecs(video);
      }
      await this.attachMicrophone();
      await this.attachCamera();
    }
  }

  video(): CallVideo {
    return { local: this.camera.stream, remote: this.remoteVideo, cameras: this.camera.count };
  }

  async setCameraOn(on: boolean): Promise<void> {
    if (!this.videoCall || this.closing) return;
    if (!on) {
      this.camera.stop();
      await this.pc.getTransceivers()[1]?.sender.replaceTrack(null);
      this.onVideo();
      return;
    }
    if (!this.camera.stream) await this.startCamera();
  }

  async switchCamera(): Promise<void> {
    if (!this.videoCall || this.closing) return;
    try {
      if (!(await this.camera.switchNext(() => !this.closing))) return;
      await this.attachCamera();
    } finally {
      // Also when the next camera would not open: the old one is closed, and the screen must say so.
      this.onVideo();
    }
  }

  private async startCamera(): Promise<void> {
    if (!(await this.camera.open(() => !this.closing))) return;
    await this.attachCamera();
    this.onVideo();
  }

  /** Puts the camera on the video transceiver once both exist. */
  private async attachCamera(): Promise<void> {
    const track = this.camera.track;
    const transceiver = this.pc.getTransceivers()[1];
    if (!track || !transceiver || transceiver.sender.track === track) return;
    await transceiver.sender.replaceTrack(track);
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
    this.camera.stop();
    this.remoteVideo = undefined;
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

/** Offers and answers VP8 (with rtx) only on the video section, which is all the peer's validator accepts. */
/** Offers and answers Opus (and DTMF) only, which is all the peer's SDP validator accepts. */
function restrictCodecs(transceiver: RTCRtpTransceiver): void {
  const capabilities = RTCRtpReceiver.getCapabilities('audio');
  if (!capabilities || typeof transceiver.setCodecPreferences !== 'function') return;
  const codecs = capabilities.codecs.filter((c) => ALLOWED_CODECS.has(c.mimeType.toLowerCase()));
  transceiver.setCodecPreferences(codecs);
}

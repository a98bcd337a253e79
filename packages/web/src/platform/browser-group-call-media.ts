/**
 * @module platform/browser-group-call-media
 * The group call media port for the browser: RTCPeerConnections to the SFU (Janus's VideoRoom),
 * one to publish this device's microphone (and camera) and one per other participant, every frame
 * sealed and opened in an RTCRtpScriptTransform worker (group-call-worker.ts) with keys from the
 * group's MLS exporter. The microphone opens only in `join`, which runs on the member's own click;
 * the camera only on "Camera on", its own click, after that. The video section is there from the
 * start (sending nothing until the camera opens), so turning the camera on needs no renegotiation.
 *
 * The SFU's descriptions pass the same bounded validator as a peer's in a 1:1 call, with the
 * same candidate rule: a private address only in one of this device's own networks, none at all
 * relay-only.
 */
import {
  checkSfuDescription, departedFeeds, JanusError, JanusSession, publisherFeeds, requireVideoRoom, sfuCandidatePolicy, sfuDescription,
  type GroupCallFrames, type GroupCallMediaFactory, type GroupCallMediaHandlers, type GroupCallMediaOptions, type GroupCallMediaSession,
  type GroupCallMediaKind, type GroupCallMember, type IpAddress, type JanusConnect, type JanusHandle, type JanusJsep, type SdpKind, type SFrameErrorReason,
} from '@sotto/core';
import { browserClock } from './browser-ports.js';
import { CallCamera, restrictVideoCodecs } from './call-camera.js';
import type { GroupCallTransformOptions, GroupCallWorkerEvent, GroupCallWorkerKeys } from './group-call-worker.js';

const MAX_SUBSCRIPTIONS = 31;
/** This device's own host addresses remembered, for the SFU's private candidates to share a network with. */
const MAX_LOCAL_HOSTS = 16;
const GATHER_TIMEOUT_MS = 5_000;
/** How often who is speaking is read from the decoded audio, and the level (0-1) that counts as speaking. */
const SPEAKING_POLL_MS = 400;
const SPEAKING_LEVEL = 0.02;
/**
 * A group call's camera: a tile among up to eight, at a bitrate that leaves room for the others'
 * (the room caps each publisher at 1 Mb/s; this asks for less).
 */
const GROUP_CAMERA: MediaTrackConstraints = { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 15 } };
const CAMERA_MAX_BITRATE = 500_000;

/** What the group call's screen draws: this device's camera, and each participant's video while frames come. */
export interface GroupCallVideo {
  readonly local: MediaStream | undefined;
  readonly remote: readonly { readonly feed: number; readonly member: GroupCallMember | undefined; readonly stream: MediaStream }[];
  /** More than one camera (a phone's front and back): the screen offers to switch. */
  readonly cameras: number;
}

const NO_VIDEO: GroupCallVideo = { local: undefined, remote: [], cameras: 0 };

declare class RTCRtpScriptTransform {
  constructor(worker: Worker, options?: unknown);
}

/** The SFU's WebSocket in the browser, as core's JanusSession takes it. */
export const connectBrowserJanus: JanusConnect = (url, events) =>
  new Promise((resolve, reject) => {
    const socket = new WebSocket(url, 'janus-protocol');
    let open = false;
    socket.onopen = () => {
      open = true;
      resolve({ send: (text) => socket.send(text), close: () => socket.close() });
    };
    socket.onmessage = (event) => {
      if (typeof event.data === 'string') events.onMessage(event.data);
    };
    socket.onerror = () => {
      if (!open) reject(new Error('the SFU could not be reached'));
    };
    socket.onclose = () => {
      if (open) events.onClose();
    };
  });

interface Subscription {
  /** Set once the SFU attached it; undefined while that is under way. */
  handle: JanusHandle | undefined;
  readonly pc: RTCPeerConnection;
  readonly audio: HTMLAudioElement;
  /** The participant's video track, once the SFU offered one. */
  video: MediaStream | undefined;
  /** Its frames open now (the worker says): the picture is shown only then, never on packets alone. */
  videoOn: boolean;
}

export class BrowserGroupCallMedia implements GroupCallMediaFactory {
  private active: BrowserGroupCallSession | undefined;
  private muted = false;
  private readonly videoListeners = new Set<() => void>();

  async join(options: GroupCallMediaOptions, frames: GroupCallFrames, handlers: GroupCallMediaHandlers): Promise<GroupCallMediaSession> {
    const session = new BrowserGroupCallSession(options, frames, handlers, () => {
      if (this.active === session) this.active = undefined;
      this.videoChanged();
    }, () => this.videoChanged());
    this.active = session;
    this.muted = false;
    try {
      await session.start();
    } catch (error) {
      await session.close();
      throw error;
    }
    return session;
  }

  get isMuted(): boolean {
    return this.muted;
  }

  setMuted(muted: boolean): void {
    this.muted = muted;
    this.active?.setMuted(muted);
  }

  /** The call's pictures now. */
  video(): GroupCallVideo {
    return this.active?.video() ?? NO_VIDEO;
  }

  /** Told whenever the call's video changes (a camera opened or closed, a participant's video came or went); returns its unsubscribe. */
  onVideoChange(listener: () => void): () => void {
    this.videoListeners.add(listener);
    return () => this.videoListeners.delete(listener);
  }

  /** Opens this device's camera into the call (the member's click), or closes it (its light goes out). */
  setCameraOn(on: boolean): Promise<void> {
    return this.active?.setCameraOn(on) ?? Promise.resolve();
  }

  /** The next camera (front, back), where there is more than one. */
  switchCamera(): Promise<void> {
    return this.active?.switchCamera() ?? Promise.resolve();
  }

  private videoChanged(): void {
    for (const listener of this.videoListeners) {
      try {
        listener();
      } catch (error) {
        console.warn('[sotto] group call: a video listener failed', error instanceof Error ? error.name : 'unknown');
      }
    }
  }
}

class BrowserGroupCallSession implements GroupCallMediaSession {
  private readonly worker = new Worker(new URL('./group-call-worker.ts', import.meta.url), { type: 'module', name: 'group-call-sframe' });
  private janus: JanusSession | undefined;
  private publisher: JanusHandle | undefined;
  private privateId: number | undefined;
  private microphone: MediaStream | undefined;
  private readonly camera = new CallCamera(GROUP_CAMERA);
  private cameraSender: RTCRtpSender | undefined;
  private readonly pcs: RTCPeerConnection[] = [];
  private readonly subscriptions = new Map<number, Subscription>();
  private readonly feedMembers = new Map<number, GroupCallMember>();
  private readonly localHosts: IpAddress[] = [];
  private stopKeys: (() => void) | undefined;
  private speakingTimer: ReturnType<typeof setInterval> | undefined;
  private speaking = '';
  private polling = false;
  private closing: Promise<void> | undefined;
  private silenced = false;

  constructor(
    private readonly options: GroupCallMediaOptions,
    private readonly frames: GroupCallFrames,
    private readonly handlers: GroupCallMediaHandlers,
    private readonly onClosed: () => void,
    private readonly onVideo: () => void,
  ) {
    this.worker.onmessage = (event: MessageEvent<GroupCallWorkerEvent>) => this.onWorker(event.data);
  }

  async start(): Promise<void> {
    // The worker holds the keys before any frame exists; each new epoch follows.
    this.postKeys();
    this.stopKeys = this.frames.onEpochChange(() => this.postKeys());
    this.microphone = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    const { admission } = this.options;
    this.janus = await JanusSession.open(connectBrowserJanus, admission.sfuUrl, admission.token, browserClock, (reason) => this.fail(reason));
    this.publisher = await this.janus.attach((data) => this.onRoomEvent(data));
    const joined = requireVideoRoom(await this.publisher.request({ request: 'join', ptype: 'publisher', room: Number(admission.roomId), id: Number(admission.feedId), token: admission.joinToken }), 'join the room');
    this.privateId = typeof joined.data.private_id === 'number' ? joined.data.private_id : undefined;
    await this.publish();
    this.subscribeAll(joined.data.publishers);
    this.speakingTimer = setInterval(() => void this.pollSpeaking(), SPEAKING_POLL_MS);
  }

  /** Who is speaking: each participant's decoded audio level, as the browser measures it here. */
  private async pollSpeaking(): Promise<void> {
    if (this.polling || this.silenced) return;
    this.polling = true;
    const speaking: GroupCallMember[] = [];
    try {
      for (const [feed, { pc }] of this.subscriptions) {
        const member = this.feedMembers.get(feed);
        if (!member || pc.connectionState === 'closed') continue;
        let level = 0;
        (await pc.getStats()).forEach((s: Record<string, unknown>) => {
          if (s['type'] === 'inbound-rtp' && s['kind'] === 'audio') level = Math.max(level, Number(s['audioLevel'] ?? 0));
        });
        if (level > SPEAKING_LEVEL) speaking.push(member);
      }
    } catch {
      return; // a connection closed while it was read: the next poll reads what is left
    } finally {
      this.polling = false;
    }
    const key = speaking.map((m) => `${m.user}\n${m.device}`).sort().join('\n');
    if (this.silenced || key === this.speaking) return;
    this.speaking = key;
    this.handlers.onSpeaking?.(speaking);
  }

  setMuted(muted: boolean): void {
    for (const track of this.microphone?.getAudioTracks() ?? []) track.enabled = !muted;
  }

  video(): GroupCallVideo {
    const remote = [...this.subscriptions].flatMap(([feed, { video, videoOn }]) => (video && videoOn ? [{ feed, member: this.feedMembers.get(feed), stream: video }] : []));
    return { local: this.camera.stream, remote, cameras: this.camera.count };
  }

  async setCameraOn(on: boolean): Promise<void> {
    if (this.silenced || !this.cameraSender) return;
    if (!on) {
      this.camera.stop();
      await this.cameraSender.replaceTrack(null);
    } else if (!this.camera.stream) {
      if (!(await this.camera.open(() => !this.silenced))) return;
      await this.cameraSender.replaceTrack(this.camera.track ?? null);
    }
    this.onVideo();
  }

  async switchCamera(): Promise<void> {
    if (this.silenced || !this.cameraSender) return;
    try {
      if (!(await this.camera.switchNext(() => !this.silenced))) return;
      await this.cameraSender.replaceTrack(this.camera.track ?? null);
    } finally {
      // Also when the next camera would not open: the old one is closed, and the screen must say so.
      this.onVideo();
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private postKeys(): void {
    const message: GroupCallWorkerKeys = { type: 'keys', keys: this.frames.epochKeys() };
    this.worker.postMessage(message);
  }

  private async publish(): Promise<void> {
    const pc = this.peerConnection();
    const track = this.microphone!.getAudioTracks()[0];
    if (!track) throw new JanusError('No microphone track.');
    const transceiver = pc.addTransceiver(track, { direction: 'sendonly' });
    this.transform(transceiver.sender, { side: 'send', kind: 'audio' });
    const opus = RTCRtpSender.getCapabilities('audio')?.codecs.filter((c) => c.mimeType.toLowerCase() === 'audio/opus') ?? [];
    if (opus.length > 0) transceiver.setCodecPreferences(opus);
    // The camera's section, sending nothing until "Camera on" puts a track on it.
    const camera = pc.addTransceiver('video', { direction: 'sendonly', sendEncodings: [{ maxBitrate: CAMERA_MAX_BITRATE }] });
    restrictVideoCodecs(camera);
    this.transform(camera.sender, { side: 'send', kind: 'video' });
    this.cameraSender = camera.sender;
    await pc.setLocalDescription(await pc.createOffer());
    const offer = await this.gathered(pc);
    const published = requireVideoRoom(await this.publisher!.request({ request: 'configure', audio: true, video: true }, { type: 'offer', sdp: offer, e2ee: true }), 'publish');
    const answer = this.checkedSdp(published.jsep, 'answer');
    const up = connected(pc);
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    await up;
    this.handlers.onConnected();
  }

  private onRoomEvent(data: Readonly<Record<string, unknown>>): void {
    if (this.silenced) return;
    this.subscribeAll(data['publishers']);
    for (const feed of departedFeeds(data)) void this.unsubscribe(feed);
  }

  private subscribeAll(publishers: unknown): void {
    for (const { feed } of publisherFeeds(publishers, Number(this.options.admission.feedId), MAX_SUBSCRIPTIONS)) this.subscribe(feed);
  }

  /** One subscription per feed, counted from the moment it is asked for; one that fails is undone. */
  private subscribe(feed: number): void {
    if (this.silenced || this.subscriptions.has(feed) || this.subscriptions.size >= MAX_SUBSCRIPTIONS) return;
    const audio = new Audio();
    audio.autoplay = true;
    const subscription: Subscription = { handle: undefined, pc: this.peerConnection(), audio, video: undefined, videoOn: false };
    this.subscriptions.set(feed, subscription);
    this.connectSubscription(feed, subscription).catch((error: unknown) => {
      console.warn('[sotto] group call: a subscription failed', error instanceof Error ? error.name : 'unknown');
      void this.unsubscribe(feed);
    });
  }

  private async connectSubscription(feed: number, subscription: Subscription): Promise<void> {
    const { admission } = this.options;
    const { pc, audio } = subscription;
    pc.ontrack = (event) => {
      const track = event.track;
      if (track.kind === 'video') {
        // Shown once the worker says its frames open (a participant with the camera off is a name, not a black box).
        subscription.video = new MediaStream([track]);
        if (subscription.videoOn) this.onVideo();
        return;
      }
      audio.srcObject = new MediaStream([track]);
      void audio.play().catch(() => undefined);
    };
    const handle = await this.janus!.attach(() => undefined);
    subscription.handle = handle;
    const offered = requireVideoRoom(await handle.request({
      request: 'join', ptype: 'subscriber', room: Number(admission.roomId), streams: [{ feed }],
      ...(this.privateId !== undefined ? { private_id: this.privateId } : {}), token: admission.joinToken,
    }), 'subscribe');
    const offer = this.checkedSdp(offered.jsep, 'offer');
    await pc.setRemoteDescription({ type: 'offer', sdp: offer });
    for (const transceiver of pc.getTransceivers()) {
      const kind: GroupCallMediaKind = transceiver.receiver.track.kind === 'video' ? 'video' : 'audio';
      this.transform(transceiver.receiver, { side: 'receive', kind, feed });
    }
    await pc.setLocalDescription(await pc.createAnswer());
    const answer = await this.gathered(pc);
    requireVideoRoom(await handle.request({ request: 'start' }, { type: 'answer', sdp: answer, e2ee: true }), 'start the subscription');
  }

  private async unsubscribe(feed: number): Promise<void> {
    const subscription = this.subscriptions.get(feed);
    if (!subscription) return;
    this.subscriptions.delete(feed);
    const member = this.feedMembers.get(feed);
    this.feedMembers.delete(feed);
    if (member) this.handlers.onLeft(member);
    subscription.audio.srcObject = null;
    if (subscription.video && subscription.videoOn) this.onVideo();
    subscription.pc.close();
    const index = this.pcs.indexOf(subscription.pc);
    if (index >= 0) this.pcs.splice(index, 1);
    await subscription.handle?.detach();
  }

  private onWorker(event: GroupCallWorkerEvent): void {
    if (this.silenced) return;
    if (event.type === 'heard') {
      if (!this.subscriptions.has(event.feed) || this.feedMembers.has(event.feed)) return;
      this.feedMembers.set(event.feed, event.from);
      this.handlers.onHeard(event.from);
      if (this.subscriptions.get(event.feed)?.videoOn) this.onVideo(); // the tile gets its name
    } else if (event.type === 'video') {
      const subscription = this.subscriptions.get(event.feed);
      if (!subscription || subscription.videoOn === event.on) return;
      subscription.videoOn = event.on;
      if (subscription.video) this.onVideo();
    } else {
      for (let i = 0; i < event.count; i++) this.handlers.onFrameRefused(event.reason as SFrameErrorReason);
    }
  }

  /** Frames through the worker: sealed on the way out, opened on the way in. */
  private transform(target: RTCRtpSender | RTCRtpReceiver, options: GroupCallTransformOptions): void {
    (target as (RTCRtpSender | RTCRtpReceiver) & { transform: unknown }).transform = new RTCRtpScriptTransform(this.worker, options);
  }

  private peerConnection(): RTCPeerConnection {
    const { iceServers, relayOnly } = this.options;
    const pc = new RTCPeerConnection({
      iceServers: iceServers.map((s) => ({ urls: [...s.urls], ...(s.username !== undefined ? { username: s.username } : {}), ...(s.credential !== undefined ? { credential: s.credential } : {}) })),
      iceTransportPolicy: relayOnly ? 'relay' : 'all',
      bundlePolicy: 'max-bundle',
      rtcpMuxPolicy: 'require',
    });
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed') this.fail('ICE or DTLS with the SFU failed');
    };
    this.pcs.push(pc);
    return pc;
  }

  /**
   * The local description once gathering is complete (Janus takes candidates in the description),
   * as sfuDescription leaves it, with this device's host addresses noted for the SFU's candidates.
   */
  private async gathered(pc: RTCPeerConnection): Promise<string> {
    if (pc.iceGatheringState !== 'complete') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, GATHER_TIMEOUT_MS);
        pc.addEventListener('icegatheringstatechange', () => {
          if (pc.iceGatheringState === 'complete') {
            clearTimeout(timer);
            resolve();
          }
        });
      });
    }
    const sdp = pc.localDescription?.sdp;
    if (!sdp) throw new JanusError('The browser produced no description.');
    const described = sfuDescription(sdp, this.options.relayOnly);
    for (const ip of described.hostAddresses) if (this.localHosts.length < MAX_LOCAL_HOSTS) this.localHosts.push(ip);
    this.handlers.onSentCandidates?.(described.candidateTypes);
    return described.sdp;
  }

  /** The SFU's description, validated (a VP8 section allowed after the audio one), its candidates under a 1:1 call's rule. */
  private checkedSdp(jsep: JanusJsep | undefined, kind: SdpKind): string {
    return checkSfuDescription(jsep, kind, sfuCandidatePolicy(this.options, this.localHosts), true);
  }

  private fail(reason: string): void {
    if (this.silenced) return;
    void this.close();
    this.handlers.onFailed(reason);
  }

  private async shutdown(): Promise<void> {
    this.silenced = true;
    clearInterval(this.speakingTimer);
    this.stopKeys?.();
    this.janus?.close();
    for (const { audio } of this.subscriptions.values()) audio.srcObject = null;
    for (const pc of this.pcs) pc.close();
    for (const track of this.microphone?.getTracks() ?? []) track.stop();
    this.camera.stop();
    this.worker.terminate();
    this.onClosed();
  }
}

function connected(pc: RTCPeerConnection): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new JanusError('No connection to the SFU within 20 s.')), 20_000);
    const check = () => {
      if (pc.connectionState === 'connected') {
        clearTimeout(timer);
        resolve();
      } else if (pc.connectionState === 'failed' || pc.connectionState === 'closed') {
        clearTimeout(timer);
        reject(new JanusError('The connection to the SFU failed.'));
      }
    };
    pc.addEventListener('connectionstatechange', check);
    check();
  });
}

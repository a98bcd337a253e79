/**
 * @module platform/browser-group-call-media
 * The group call media port for the browser: RTCPeerConnections to the SFU (Janus's VideoRoom),
 * one to publish this device's microphone and one per other participant, every frame sealed and
 * opened in an RTCRtpScriptTransform worker (group-call-worker.ts) with keys from the group's MLS
 * exporter. The microphone opens only in `join`, which runs on the member's own click.
 *
 * The SFU's descriptions pass the same bounded validator as a peer's in a 1:1 call, with the
 * same candidate rule: a private address only in one of this device's own networks, none at all
 * relay-only.
 */
import {
  candidatePolicy, checkSfuDescription, departedFeeds, JanusError, JanusSession, publisherFeeds, requireVideoRoom, sfuDescription,
  type GroupCallFrames, type GroupCallMediaFactory, type GroupCallMediaHandlers, type GroupCallMediaOptions, type GroupCallMediaSession,
  type GroupCallMember, type IpAddress, type JanusConnect, type JanusHandle, type JanusJsep, type SdpKind, type SFrameErrorReason,
} from '@sotto/core';
import { browserClock } from './browser-ports.js';
import type { GroupCallWorkerEvent, GroupCallWorkerKeys } from './group-call-worker.js';

const MAX_SUBSCRIPTIONS = 31;
const GATHER_TIMEOUT_MS = 5_000;
/** How often who is speaking is read from the decoded audio, and the level (0-1) that counts as speaking. */
const SPEAKING_POLL_MS = 400;
const SPEAKING_LEVEL = 0.02;

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
}

export class BrowserGroupCallMedia implements GroupCallMediaFactory {
  private active: BrowserGroupCallSession | undefined;
  private muted = false;

  async join(options: GroupCallMediaOptions, frames: GroupCallFrames, handlers: GroupCallMediaHandlers): Promise<GroupCallMediaSession> {
    const session = new BrowserGroupCallSession(options, frames, handlers, () => {
      if (this.active === session) this.active = undefined;
    });
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
}

class BrowserGroupCallSession implements GroupCallMediaSession {
  private readonly worker = new Worker(new URL('./group-call-worker.ts', import.meta.url), { type: 'module', name: 'group-call-sframe' });
  private janus: JanusSession | undefined;
  private publisher: JanusHandle | undefined;
  private privateId: number | undefined;
  private microphone: MediaStream | undefined;
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
    (transceiver.sender as RTCRtpSender & { transform: unknown }).transform = new RTCRtpScriptTransform(this.worker, { side: 'send' });
    const opus = RTCRtpSender.getCapabilities('audio')?.codecs.filter((c) => c.mimeType.toLowerCase() === 'audio/opus') ?? [];
    if (opus.length > 0) transceiver.setCodecPreferences(opus);
    await pc.setLocalDescription(await pc.createOffer());
    const offer = await this.gathered(pc);
    const published = requireVideoRoom(await this.publisher!.request({ request: 'configure', audio: true, video: false }, { type: 'offer', sdp: offer, e2ee: true }), 'publish');
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
    for (const feed of publisherFeeds(publishers, Number(this.options.admission.feedId), MAX_SUBSCRIPTIONS)) this.subscribe(feed);
  }

  /** One subscription per feed, counted from the moment it is asked for; one that fails is undone. */
  private subscribe(feed: number): void {
    if (this.silenced || this.subscriptions.has(feed) || this.subscriptions.size >= MAX_SUBSCRIPTIONS) return;
    const audio = new Audio();
    audio.autoplay = true;
    const subscription: Subscription = { handle: undefined, pc: this.peerConnection(), audio };
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
      audio.srcObject = new MediaStream([event.track]);
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
      (transceiver.receiver as RTCRtpReceiver & { transform: unknown }).transform = new RTCRtpScriptTransform(this.worker, { side: 'receive', feed });
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
    } else {
      for (let i = 0; i < event.count; i++) this.handlers.onFrameRefused(event.reason as SFrameErrorReason);
    }
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
    for (const ip of described.hostAddresses) if (this.localHosts.length < 16) this.localHosts.push(ip);
    this.handlers.onSentCandidates?.(described.candidateTypes);
    return described.sdp;
  }

  /** The SFU's description, validated with the 1:1 candidate rule (private only in this device's networks). */
  private checkedSdp(jsep: JanusJsep | undefined, kind: SdpKind): string {
    return checkSfuDescription(jsep, kind, candidatePolicy({ allowLoopback: this.options.allowLoopback, allowPrivate: !this.options.relayOnly, localHosts: this.localHosts }));
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

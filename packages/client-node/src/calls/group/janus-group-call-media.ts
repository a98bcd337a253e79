/**
 * @module calls/group/janus-group-call-media
 * The group call media port (`GroupCallMediaFactory`) for Node: werift peer connections to a
 * Janus VideoRoom. This device publishes one Opus stream (a WAV file, or silence) and subscribes
 * to every other publisher of the room, one peer connection each. Every Opus frame it sends is
 * sealed by the engine's SFrame keyring before werift sees it, and every frame it receives is
 * opened before a decoder sees it: Janus forwards what it cannot read.
 *
 * Nothing here runs before `join`, which the engine calls only on its member's own act. The
 * SFU's descriptions pass the same bounded validator as a peer's in a 1:1 call before werift
 * reads them, and every DTLS transport gets the SRTP replay guard, as in 1:1 calls.
 */
import { randomInt } from 'node:crypto';
import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket, type RTCRtpTransceiver, type RtpPacket as Rtp } from 'werift';
import {
  checkSfuDescription, departedFeeds, JanusError, JanusSession, publisherFeeds, requireVideoRoom, sfuCandidatePolicy, sfuDescription,
  type JanusHandle, type JanusJsep,
  type GroupCallFrames, type GroupCallMediaFactory, type GroupCallMediaHandlers, type GroupCallMediaOptions, type GroupCallMediaSession,
  type IpAddress, type Logger, type SdpKind,
} from '@sotto/core';
import { AudioSource } from '../audio-source.js';
import { OPUS_FRAME_SAMPLES, OpusCodec } from '../opus-codec.js';
import { SrtpReplayGuard } from '../srtp-replay-guard.js';
import { readWav } from '../wav.js';
import { GroupAudioMixer } from './group-audio-mixer.js';
import { nodeClock } from '../../node-ports.js';
import { connectNodeJanus } from './node-janus-socket.js';
import { ReceivedFeeds } from './received-feeds.js';

export interface JanusGroupCallMediaOptions {
  /** A WAV file played as the microphone, looping; without it this device sends silence. */
  readonly play?: string;
  /** Where to write what the others said (48 kHz mono WAV, all of them mixed) when the call ends. */
  readonly record?: string;
  /** Content-free diagnostics only: no addresses, SDP, names or frames are ever logged. */
  readonly logger?: Logger;
}

const OPUS_MIME = 'audio/opus';
/** Publishers of one room this device subscribes to at most (the server's room limit is 32). */
const MAX_SUBSCRIPTIONS = 31;
/** A subscription that failed is asked for once more, this long after. */
const SUBSCRIBE_ATTEMPTS = 2;
const SUBSCRIBE_RETRY_MS = 1_000;
const CONNECT_TIMEOUT_MS = 20_000;
/** This device's own host addresses remembered, for the SFU's private candidates to share a network with. */
const MAX_LOCAL_HOSTS = 16;

export class JanusGroupCallMedia implements GroupCallMediaFactory {
  constructor(private readonly config: JanusGroupCallMediaOptions = {}) {}

  async join(options: GroupCallMediaOptions, frames: GroupCallFrames, handlers: GroupCallMediaHandlers): Promise<GroupCallMediaSession> {
    const session = new JanusGroupCallSession(options, frames, handlers, this.config);
    try {
      await session.start();
    } catch (error) {
      await session.close();
      throw error;
    }
    return session;
  }
}

interface Subscription {
  /** Set once the SFU attached it; undefined while that is under way. */
  handle: JanusHandle | undefined;
  readonly pc: RTCPeerConnection;
  /** How far setting it up got: said when it fails. */
  step: 'attach' | 'join' | 'offer' | 'answer' | 'start' | 'candidates' | 'done';
}

class JanusGroupCallSession implements GroupCallMediaSession {
  private janus: JanusSession | undefined;
  private publisher: JanusHandle | undefined;
  private privateId: number | undefined;
  private readonly pcs: RTCPeerConnection[] = [];
  private readonly subscriptions = new Map<number, Subscription>();
  private readonly codec = new OpusCodec();
  private readonly mixer: GroupAudioMixer | null;
  private readonly replayGuard = new SrtpReplayGuard();
  private readonly localHosts: IpAddress[] = [];
  /** What this device hears, feed by feed: frames count only from a feed's current subscription. */
  private readonly received: ReceivedFeeds<Subscription>;
  private source: AudioSource | null = null;
  private transceiver: RTCRtpTransceiver | null = null;
  private closing: Promise<void> | null = null;
  private silenced = false;
  private sequenceNumber = randomInt(0x10000);
  private timestamp = randomInt(0x1_0000_0000);
  private readonly ssrc = randomInt(1, 0x1_0000_0000);
  private framesSent = 0;

  constructor(
    private readonly options: GroupCallMediaOptions,
    private readonly frames: GroupCallFrames,
    private readonly handlers: GroupCallMediaHandlers,
    private readonly config: JanusGroupCallMediaOptions,
  ) {
    this.mixer = config.record ? new GroupAudioMixer() : null;
    this.received = new ReceivedFeeds<Subscription>(
      frames, handlers, (feed, subscription) => !this.silenced && this.subscriptions.get(feed) === subscription,
      (sender, plaintext) => this.mixer?.push(sender, plaintext), () => performance.now(),
    );
  }

  async start(): Promise<void> {
    const { admission } = this.options;
    const pcm = this.config.play ? await readWav(this.config.play) : null;
    this.janus = await JanusSession.open(connectNodeJanus, admission.sfuUrl, admission.token, nodeClock, (reason) => this.fail(reason));
    this.publisher = await this.janus.attach((data) => this.onRoomEvent(data));
    const joined = requireVideoRoom(await this.publisher.request({ request: 'join', ptype: 'publisher', room: Number(admission.roomId), id: Number(admission.feedId), token: admission.joinToken }), 'join the room');
    this.privateId = typeof joined.data.private_id === 'number' ? joined.data.private_id : undefined;
    await this.publish(pcm);
    this.subscribeAll(joined.data.publishers);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  // ---- publishing --------------------------------------------------------------------------

  private async publish(pcm: Int16Array | null): Promise<void> {
    const pc = this.peerConnection();
    this.transceiver = pc.addTransceiver(new MediaStreamTrack({ kind: 'audio' }), { direction: 'sendonly' });
    this.guard(pc);
    await pc.setLocalDescription(await pc.createOffer());
    const offer = this.outgoing(pc.localDescription?.sdp);
    const published = requireVideoRoom(await this.publisher!.request({ request: 'configure', audio: true, video: false }, { type: 'offer', sdp: offer, e2ee: true }), 'publish');
    const answer = this.checkedSdp(published.jsep, 'answer');
    await this.publisher!.candidatesComplete();
    const up = connected(pc);
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    this.guard(pc);
    await up;
    if (!pc.dtlsTransports.every((t) => this.replayGuard.protects(t))) throw new JanusError('SRTP replay protection is not in place.');
    this.source = new AudioSource(pcm, this.codec, {
      onError: (error) => this.config.logger?.warn({ error: error instanceof Error ? error.name : 'unknown' }, 'group call: audio source stopped'),
    });
    this.source.start((opus) => this.sendFrame(opus));
    this.handlers.onConnected();
  }

  private sendFrame(opus: Uint8Array): void {
    const sender = this.transceiver?.sender;
    const payloadType = this.transceiver?.codecs.find((c) => c.mimeType.toLowerCase() === OPUS_MIME)?.payloadType;
    if (!sender || payloadType === undefined || this.silenced) return;
    const sealed = this.frames.seal(opus);
    const header = new RtpHeader({ payloadType, marker: false, ssrc: this.ssrc, sequenceNumber: this.sequenceNumber, timestamp: this.timestamp });
    this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
    this.timestamp = (this.timestamp + OPUS_FRAME_SAMPLES) >>> 0;
    this.framesSent++;
    sender.sendRtp(new RtpPacket(header, Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength))).catch((error: unknown) => {
      this.config.logger?.debug({ error: error instanceof Error ? error.name : 'unknown' }, 'group call: RTP send failed');
    });
  }

  // ---- subscribing -------------------------------------------------------------------------

  /** The room said who publishes (on joining, or as they come and go). */
  private onRoomEvent(data: Readonly<Record<string, unknown>>): void {
    if (this.silenced) return;
    this.subscribeAll(data['publishers']);
    for (const feed of departedFeeds(data)) void this.unsubscribe(feed);
  }

  private subscribeAll(publishers: unknown): void {
    for (const published of publisherFeeds(publishers, Number(this.options.admission.feedId), MAX_SUBSCRIPTIONS)) this.subscribe(published.feed, published.audioMid);
  }

  /**
   * One subscription per feed, counted from the moment it is asked for (an SFU that names a feed
   * twice, or names many at once, gets no more than MAX_SUBSCRIPTIONS); one that fails is undone,
   * said (the step it failed at, never an address or a name), and asked for once more a second
   * later, so a participant is not left unheard for the rest of the call by one lost answer.
   */
  private subscribe(feed: number, audioMid: string | undefined, attempt = 1): void {
    if (this.silenced || this.subscriptions.has(feed) || this.subscriptions.size >= MAX_SUBSCRIPTIONS) return;
    const subscription: Subscription = { handle: undefined, pc: this.peerConnection(), step: 'attach' };
    this.subscriptions.set(feed, subscription);
    this.connectSubscription(feed, audioMid, subscription).catch((error: unknown) => {
      this.config.logger?.warn({ step: subscription.step, attempt, error: error instanceof Error ? error.name : 'unknown' }, 'group call: a subscription failed');
      if (this.subscriptions.get(feed) !== subscription) return; // the feed left meanwhile
      void this.unsubscribe(feed);
      if (attempt < SUBSCRIBE_ATTEMPTS) setTimeout(() => this.subscribe(feed, audioMid, attempt + 1), SUBSCRIBE_RETRY_MS).unref();
    });
  }

  /** Audio only: a participant's camera is not asked for (the SFU offers its audio stream alone). */
  private async connectSubscription(feed: number, audioMid: string | undefined, subscription: Subscription): Promise<void> {
    const { admission } = this.options;
    const { pc } = subscription;
    const handle = await this.janus!.attach(() => undefined);
    subscription.handle = handle;
    subscription.step = 'join';
    const offered = requireVideoRoom(await handle.request({
      request: 'join', ptype: 'subscriber', room: Number(admission.roomId), streams: [audioMid !== undefined ? { feed, mid: audioMid } : { feed }],
      ...(this.privateId !== undefined ? { private_id: this.privateId } : {}), token: admission.joinToken,
    }), 'subscribe');
    subscription.step = 'offer';
    const offer = this.checkedSdp(offered.jsep, 'offer');
    pc.onTrack.subscribe((track) => {
      if (track.kind === 'audio') track.onReceiveRtp.subscribe((rtp) => this.onRemoteRtp(subscription, feed, rtp));
    });
    await pc.setRemoteDescription({ type: 'offer', sdp: offer });
    this.guard(pc);
    subscription.step = 'answer';
    await pc.setLocalDescription(await pc.createAnswer());
    this.guard(pc);
    const answer = this.outgoing(pc.localDescription?.sdp);
    subscription.step = 'start';
    requireVideoRoom(await handle.request({ request: 'start' }, { type: 'answer', sdp: answer, e2ee: true }), 'start the subscription');
    subscription.step = 'candidates';
    await handle.candidatesComplete();
    subscription.step = 'done';
  }

  /** The feed ended: its frames stop counting at once, and its connection closes before the SFU is told (which can take seconds). */
  private async unsubscribe(feed: number): Promise<void> {
    const subscription = this.subscriptions.get(feed);
    if (!subscription) return;
    this.subscriptions.delete(feed);
    this.received.ended(feed);
    const index = this.pcs.indexOf(subscription.pc);
    if (index >= 0) this.pcs.splice(index, 1);
    await subscription.pc.close().catch(() => undefined);
    await subscription.handle?.detach();
  }

  private onRemoteRtp(subscription: Subscription, feed: number, rtp: Rtp): void {
    if (rtp.payload.length === 0) return;
    // Copied: werift may reuse the packet's buffer, and a held frame outlives this callback.
    this.received.received(subscription, feed, Uint8Array.from(rtp.payload));
  }

  // ---- shared ------------------------------------------------------------------------------

  private peerConnection(): RTCPeerConnection {
    const { iceServers, relayOnly, allowLoopback } = this.options;
    const pc = new RTCPeerConnection({
      codecs: { audio: [new RTCRtpCodecParameters({ mimeType: OPUS_MIME, clockRate: 48_000, channels: 2 })], video: [] },
      iceServers: iceServers.map((s) => ({ urls: [...s.urls], ...(s.username !== undefined ? { username: s.username } : {}), ...(s.credential !== undefined ? { credential: s.credential } : {}) })),
      iceTransportPolicy: relayOnly ? 'relay' : 'all',
      iceAdditionalHostAddresses: allowLoopback ? ['127.0.0.1'] : undefined,
      iceUseIpv6: false,
    });
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'failed') this.fail('ICE or DTLS with the SFU failed');
    });
    this.pcs.push(pc);
    return pc;
  }

  private guard(pc: RTCPeerConnection): void {
    for (const transport of pc.dtlsTransports) this.replayGuard.install(transport);
  }

  /** This device's description for the SFU (sfuDescription); its candidates' types are told. */
  private outgoing(sdp: string | undefined): string {
    if (!sdp) throw new JanusError('werift produced no description.');
    const described = sfuDescription(sdp, this.options.relayOnly);
    for (const ip of described.hostAddresses) if (this.localHosts.length < MAX_LOCAL_HOSTS) this.localHosts.push(ip);
    this.handlers.onSentCandidates?.(described.candidateTypes);
    return described.sdp;
  }

  /** The SFU's description, validated, its candidates under a 1:1 call's rule (sfuCandidatePolicy). */
  private checkedSdp(jsep: JanusJsep | undefined, kind: SdpKind): string {
    return checkSfuDescription(jsep, kind, sfuCandidatePolicy(this.options, this.localHosts));
  }

  private fail(reason: string): void {
    if (this.silenced) return;
    this.config.logger?.warn({ reason }, 'group call: media failed');
    void this.close();
    this.handlers.onFailed(reason);
  }

  private async shutdown(): Promise<void> {
    this.silenced = true;
    this.source?.stop();
    this.janus?.close();
    for (const pc of this.pcs) await pc.close().catch(() => undefined);
    this.codec.close();
    this.config.logger?.info({
      framesSent: this.framesSent, ...this.received.counts,
      subscriptions: this.subscriptions.size, ...this.replayGuard.counts,
    }, 'group call: media closed');
    if (this.mixer && this.config.record) await this.mixer.finish(this.config.record);
    this.mixer?.close();
  }
}

function connected(pc: RTCPeerConnection): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new JanusError(`No connection to the SFU within ${CONNECT_TIMEOUT_MS / 1000} s.`)), CONNECT_TIMEOUT_MS);
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') {
        clearTimeout(timer);
        resolve();
      } else if (state === 'failed' || state === 'closed') {
        clearTimeout(timer);
        reject(new JanusError('The connection to the SFU failed.'));
      }
    });
  });
}

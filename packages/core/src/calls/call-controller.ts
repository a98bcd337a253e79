/**
 * @module calls/call-controller: the thin shell around the pure call machine. It feeds the
 * machine events (member actions, signals from the inbox, RTC callbacks, timers) one at a
 * time and performs the effects it returns: sending signals through MLS, driving the media
 * port, timers and the call log. Every decision about *whether* something may happen is the
 * machine's; this file adds only the checks that need I/O or parsing, and it parses remote
 * SDP and candidates only in states where the machine has already admitted them.
 */
import { AnomalyKind, ContactState, ContactRequestSchema, create, FrameType, GetTurnCredentialsSchema } from '@sotto/protocol';
import type { AnomalySource } from '../anomaly-reporter.js';
import { toHex } from '../bytes.js';
import type { EngineContext } from '../context.js';
import type { Conversations } from '../conversations.js';
import { ClientError } from '../errors.js';
import { membersOf, type Member } from '../mls/group.js';
import type { StoredCallLogEntry, StoredConversation } from '../ports.js';
import { SerialQueue } from '../serial-queue.js';
import { transition } from './call-machine.js';
import { expectedDescription } from './call-video-upgrade.js';
import { VIDEO_REQUEST_TIMEOUT_MS } from './call-types.js';
import type { CallMediaFactory, CallMediaSession, IceServer } from './call-media.js';
import { callSignalContent } from './call-signal-codec.js';
import { initialCallMachineState, initialCallState, isLive, type CallMachineState, type CallState } from './call-state.js';
import type { CallAnomalyKind, CallEffect, CallEvent, CallSignal, ConversationView } from './call-types.js';
import { CallEvents, type PublicCallEvents } from './call-events.js';
import { subscribeSides } from '../events.js';
import { candidatePolicy, checkRemoteCandidate, parseCandidate, type CandidateErrorCode, type CandidatePolicy } from './candidate-filter.js';
import type { IpAddress } from './ip-address.js';
import { validateSdp } from './sdp-validator.js';
import { fetchRelayPolicy } from './relay-policy.js';
import { newMessageId } from '../message-id.js';

export interface CallsConfig {
  /** The RTC stack. Without one, calls still ring and are logged, but cannot be placed or accepted. */
  readonly media?: CallMediaFactory;
  /** Accept loopback candidates and gather on loopback: only for tests with both ends on one machine. */
  readonly allowLoopback?: boolean;
  /** How long after consent ICE and DTLS may take before the call is given up. */
  readonly connectTimeoutMs?: number;
}

export interface CallOptions {
  /** Relay-only for this call; defaults to the member's setting. */
  readonly relayOnly?: boolean;
  /**
   * Placing: a video call (the camera opens once the callee accepts). Accepting a video call:
   * false answers with voice only (the camera stays closed; the peer's video is still shown).
   */
  readonly video?: boolean;
}

export type PlaceCallResult =
  | { readonly kind: 'ringing'; readonly callId: string }
  /** Not a contact: only a call request (a contact request) went out; they see a missed call request. */
  | { readonly kind: 'requested' };

/** Where a signal came from, as the inbox established it (MLS-authenticated sender). */
export interface SignalOrigin {
  readonly user: string;
  readonly device: string;
  /** The one device the signal names as its recipient (null: every device of this account). */
  readonly toDevice: string | null;
  /** The server admitted it as a ring (rate-limited), i.e. it was delivered as MLS_RING. */
  readonly deliveredAsRing: boolean;
}

/** Each machine anomaly: its stable code, and the kind reported to the server. */
const ANOMALIES: Record<CallAnomalyKind, { readonly code: string; readonly kind: AnomalyKind; readonly message: string }> = {
  'signal-before-accept': { code: 'SIGNAL_BEFORE_ACCEPT', kind: AnomalyKind.CONSENT_VIOLATION, message: 'A call signal out of order was ignored (signal-before-accept).' },
  renegotiation: { code: 'RENEGOTIATION', kind: AnomalyKind.CONSENT_VIOLATION, message: 'A call signal out of order was ignored (renegotiation).' },
  'unexpected-signal': { code: 'UNEXPECTED_SIGNAL', kind: AnomalyKind.CONSENT_VIOLATION, message: 'A call signal out of order was ignored (unexpected-signal).' },
  'wrong-conversation': { code: 'WRONG_CONVERSATION', kind: AnomalyKind.CONSENT_VIOLATION, message: "A signal for the call from another conversation than the call's own was ignored." },
  'ring-flood': { code: 'RING_FLOOD', kind: AnomalyKind.UNSOLICITED_CALL, message: 'A contact rang more often than this device admits; further rings are ignored in silence.' },
};

/**
 * Candidate refusals an honest peer causes routinely: its own LAN addresses sent to a device on
 * another network, and what browsers gather beside UDP candidates (TCP ones, mDNS names), which
 * this version never sends but another stack may. Refused, but not reported against the peer: a
 * report counts towards a "your account appears to be targeted" notice.
 */
const ROUTINE_CANDIDATE_REFUSALS: ReadonlySet<CandidateErrorCode> = new Set<CandidateErrorCode>(['PRIVATE', 'BAD_TRANSPORT', 'MDNS']);

/** This device's host candidates remembered per call, for the private-address rule. */
const MAX_LOCAL_HOSTS = 16;

export class Calls {
  /** The shell's emitters; callers get only their subscribe sides, as `events`. */
  private readonly emitters = new CallEvents();
  readonly events: PublicCallEvents = subscribeSides(this.emitters);
  private machine: CallMachineState = initialCallMachineState;
  /** One event at a time, in order; separate from the engine's queue, which sending takes. */
  private readonly queue = new SerialQueue();
  private media: CallMediaSession | undefined;
  private iceServers: IceServer[] = [];
  private relayOnly = false;
  /** This device sends video in the current call: a video call, and the member did not choose voice only. */
  private sendVideo = false;
  private remoteCandidates = 0;
  /** This call's own host candidates: a peer's private candidate must share a network with one. */
  private localHosts: IpAddress[] = [];
  private ringTimer: unknown;
  private connectTimer: unknown;
  /** Fires the tick that ends an ask for video, or a move, at its expiry; for the one that started at `upgradeTimerFor`. */
  private upgradeTimer: unknown;
  private upgradeTimerFor: number | undefined;

  constructor(
    private readonly ctx: EngineContext,
    private readonly conversations: Conversations,
    private readonly config: CallsConfig = {},
  ) {
    // Every membership change, ours (a commit accepted) or anyone's (a commit processed), in the
    // order the inbox saw it: before any signal that arrived after it.
    ctx.events.didChangeMembers.event(({ groupId }) => this.onMembersChanged(groupId));
  }

  get current(): CallState {
    return this.machine.call;
  }

  /** The inbox stored a missed call request (it never reaches the machine): tell the subscribers. */
  announceMissedCall(entry: StoredCallLogEntry): void {
    this.emitters.didLogCall.fire(entry);
  }

  private get state(): CallState {
    return this.machine.call;
  }

  /**
   * Rings `peer`. A contact's devices ring through the direct conversation; anyone else gets
   * only a call request, the fixed-size text a stranger may send (rule 1).
   */
  async place(peer: string, options: CallOptions = {}): Promise<PlaceCallResult> {
    if (isLive(this.state)) throw new ClientError('CALL_IN_PROGRESS', 'A call is already ringing or in progress.');
    if (peer === this.ctx.identity.username) throw new ClientError('INVALID_INPUT', 'You cannot call yourself.');
    const contact = await this.ctx.store.getContact(peer);
    if (contact?.state !== ContactState.ACCEPTED) {
      await this.ctx.session.request(FrameType.CONTACT_REQUEST, create(ContactRequestSchema, { toUsername: peer, text: '', call: true }));
      return { kind: 'requested' };
    }
    this.requireMedia();
    await this.prepareIce(options);
    const conversation = this.viewOf(await this.conversations.ensureDirect(peer));
    if (!conversation.others.some((m) => m.user === peer)) throw new ClientError('NO_CONVERSATION', `${peer} has no device in your conversation.`);
    const callId = toHex(this.ctx.random.bytes(16));
    const placed = await this.queue.run(async () => {
      if (isLive(this.state)) throw new ClientError('CALL_IN_PROGRESS', 'A call is already ringing or in progress.');
      try {
        this.sendVideo = options.video === true;
        await this.step({ type: 'placeCall', callId, peer, conversation, now: this.ctx.clock.now(), media: options.video === true ? 'video' : 'audio' });
      } catch (error) {
        // The ring never left (rate limit, connection): nothing rang anywhere, so forget the call.
        this.clearTimers();
        this.setCall(initialCallState);
        throw error;
      }
      const after: CallState = this.machine.call;
      return after.kind === 'outgoing-ringing' && after.callId === callId;
    });
    // The machine places a call only through a conversation of this account's devices and the peer's.
    if (!placed) throw new ClientError('NO_CONVERSATION', `Your conversation with ${peer} holds someone else too: no call was placed.`);
    return { kind: 'ringing', callId };
  }

  /** Answers the ringing call. Only now may RTC, the microphone or remote SDP be touched. */
  async accept(options: CallOptions = {}): Promise<void> {
    if (this.state.kind !== 'incoming-ringing') throw new ClientError('NO_CALL', 'No call is ringing.');
    this.requireMedia();
    try {
      await this.prepareIce(options);
    } catch (error) {
      // The call cannot be carried (lockdown or relay-only without a TURN server): end it now, as a
      // decline, rather than leave the caller ringing while the member sees an error.
      if (error instanceof ClientError && error.code === 'NO_TURN') {
        await this.dispatch({ type: 'localDecline', now: this.ctx.clock.now() });
        throw new ClientError('NO_TURN', `${error.message} The call was declined, so the caller is not left ringing.`);
      }
      throw error;
    }
    this.sendVideo = this.state.media === 'video' && options.video !== false;
    await this.dispatch({ type: 'localAccept', now: this.ctx.clock.now() });
  }

  async decline(): Promise<void> {
    if (this.state.kind !== 'incoming-ringing') throw new ClientError('NO_CALL', 'No call is ringing.');
    await this.dispatch({ type: 'localDecline', now: this.ctx.clock.now() });
  }

  /**
   * Asks the peer to turn this voice call into a video call. Nothing opens yet: this device's
   * camera opens only once the peer accepts (their own camera only on their accept).
   */
  async requestVideo(): Promise<void> {
    const state = this.state;
    if (state.kind !== 'active') throw new ClientError('NO_CALL', 'There is no call under way to turn into video.');
    if (!this.media?.enableVideo) throw new ClientError('NO_VIDEO', 'This app carries voice only.');
    if (state.media === 'video') throw new ClientError('INVALID_INPUT', 'The call is already a video call.');
    await this.dispatch({ type: 'localRequestVideo', now: this.ctx.clock.now() });
  }

  /** Accepts the peer's ask for video: this device's camera opens as the peer's offer is answered. */
  async acceptVideo(): Promise<void> {
    this.requireAsk('remote', 'Nobody asked for video.');
    await this.dispatch({ type: 'localAcceptVideo', now: this.ctx.clock.now() });
  }

  /** Withdraws this member's ask for video while the peer has not answered it. */
  async cancelVideo(): Promise<void> {
    this.requireAsk('local', 'There is no ask for video to withdraw.');
    await this.dispatch({ type: 'localCancelVideo', now: this.ctx.clock.now() });
  }

  /** Declines the peer's ask for video: the call stays voice, and no camera opens. */
  async declineVideo(): Promise<void> {
    this.requireAsk('remote', 'Nobody asked for video.');
    await this.dispatch({ type: 'localDeclineVideo', now: this.ctx.clock.now() });
  }

  /** An unanswered ask for video in the active call, made by `by`; NO_CALL with `message` otherwise. */
  private requireAsk(by: 'local' | 'remote', message: string): void {
    const state = this.state;
    if (state.kind !== 'active' || state.upgrade?.step !== 'asked' || state.upgrade.by !== by) throw new ClientError('NO_CALL', message);
  }

  async hangup(): Promise<void> {
    if (!isLive(this.state)) throw new ClientError('NO_CALL', 'There is no call to hang up.');
    await this.dispatch({ type: 'localHangup', now: this.ctx.clock.now() });
  }

  /**
   * Whether the member's server offers a relay (TURN). Without one, relay-only calls and lockdown
   * mode leave no way for a call to connect, which the settings screens say when either is on.
   */
  async relayAvailable(): Promise<boolean> {
    const result = await this.ctx.session.request(FrameType.GET_TURN_CREDENTIALS, create(GetTurnCredentialsSchema, {}));
    return result.case === 'turnCredentials' && result.value.urls.length > 0;
  }

  /** Resolves once every event queued so far has been handled. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Ends whatever call is live (the client is closing). */
  async shutdown(): Promise<void> {
    if (isLive(this.state)) await this.dispatch({ type: 'localHangup', now: this.ctx.clock.now() }).catch(() => undefined);
    await this.queue.idle();
    this.clearTimers();
    await this.closeMedia();
  }

  /**
   * A call signal from the inbox, after its entry was stored and acknowledged. `conversation`
   * is the direct conversation it arrived in.
   */
  receive(signal: CallSignal, origin: SignalOrigin, conversation: StoredConversation): void {
    this.queue.run(() => this.onSignal(signal, origin, conversation)).catch((error: unknown) => {
      this.ctx.logger.warn({ error: error instanceof Error ? error.name : 'unknown' }, 'call signal failed');
    });
  }

  // ---- remote input ---------------------------------------------------------------------

  private async onSignal(signal: CallSignal, origin: SignalOrigin, conversation: StoredConversation): Promise<void> {
    // The server's ring limit is only worth something if a ring that skipped it does not ring.
    if ((signal.type === 'ring') !== origin.deliveredAsRing) {
      return this.refuse('RING_NOT_ADMITTED', signal.type === 'ring' ? 'A ring that the server did not admit as a ring was ignored.' : 'A call signal marked as a ring was ignored.', {
        from: { user: origin.user, device: origin.device },
        kind: AnomalyKind.CONSENT_VIOLATION,
      });
    }
    const contact = await this.ctx.store.getContact(origin.user);
    const state = this.state;
    const view = this.viewOf(conversation);
    let admitted: CallSignal | 'refused' | 'fatal' = signal;
    // SDP and candidates are parsed only for this exact call, peer device, conversation and
    // recipient (this device); the machine refuses or ignores the rest unread.
    if (isLive(state) && signal.callId === state.callId && origin.user === state.peer && origin.device === state.peerDevice
      && view.groupId === state.conversationId && (origin.toDevice === null || origin.toDevice === this.ctx.identity.deviceId)) {
      admitted = this.admitMedia(signal, state);
      if (admitted === 'refused') return;
      if (admitted === 'fatal') {
        // A call without a usable description cannot go on: end it cleanly.
        return this.step({ type: 'localHangup', now: this.ctx.clock.now() });
      }
    }
    const before = this.state;
    await this.step({
      type: 'remote',
      signal: admitted,
      fromUser: origin.user,
      fromDevice: origin.device,
      toDevice: origin.toDevice,
      conversation: view,
      now: this.ctx.clock.now(),
      senderIsContact: contact?.state === ContactState.ACCEPTED,
      senderBlocked: contact?.state === ContactState.BLOCKED,
    });
    // A stack without video (the CLI) answers an ask for video at once, and says so.
    const after = this.state;
    if (after !== before && after.kind === 'active' && after.upgrade?.step === 'asked' && after.upgrade.by === 'remote' && !this.media?.enableVideo) {
      this.refuse('VIDEO_NOT_SUPPORTED', `${after.peer} asked for video; this app carries voice only, so it was declined.`);
      await this.step({ type: 'localDeclineVideo', now: this.ctx.clock.now() });
    }
  }

  /**
   * SDP and candidates are parsed only once the member has consented (the call is connecting
   * or active); before that the machine drops them unread. Returns the signal to feed (with a
   * normalised SDP), 'refused' to drop it, or 'fatal' when the call cannot go on without it.
   */
  private admitMedia(signal: CallSignal, state: CallState): CallSignal | 'refused' | 'fatal' {
    const consented = state.kind === 'caller-connecting' || state.kind === 'callee-connecting' || state.kind === 'active';
    if (!consented) return signal;
    switch (signal.type) {
      case 'offer':
      case 'answer': {
        // Only the description the machine expects is parsed; a second one is renegotiation, refused by
        // the machine. In an active call that is the move to video both members consented to.
        const moving = expectedDescription(state);
        const expected = state.kind === 'callee-connecting' ? 'offer' : state.kind === 'caller-connecting' ? 'answer' : moving;
        if (signal.type !== expected) return signal;
        const result = validateSdp(signal.sdp, signal.type, { candidatePolicy: this.candidatePolicy(), video: isLive(state) && (state.media === 'video' || moving !== undefined) });
        if (!result.ok) {
          this.refuse(`SDP_${result.code}`, `The peer's ${signal.type} was refused: ${result.message}.`, this.peerAnomaly(state, AnomalyKind.REFUSED_MEDIA));
          return 'fatal';
        }
        return { ...signal, sdp: result.sdp.sdp };
      }
      case 'ice': {
        const result = checkRemoteCandidate(signal.candidate, this.candidatePolicy(), this.remoteCandidates);
        this.remoteCandidates += 1;
        if (!result.ok) {
          const anomaly = ROUTINE_CANDIDATE_REFUSALS.has(result.code) ? undefined : this.peerAnomaly(state, AnomalyKind.REFUSED_MEDIA);
          this.refuse(`CANDIDATE_${result.code}`, `A candidate from the peer was refused: ${result.message}.`, anomaly);
          return 'refused';
        }
        this.emitters.didExchangeCandidate.fire({ direction: 'received', candidateType: result.candidate.type });
        return signal;
      }
      default:
        return signal;
    }
  }

  /**
   * What a peer's candidates may be in this call. Relay-only protects this device's address, which
   * only our own candidates reveal, so the peer's may be of any type (our relay reaches them); but
   * relay-only (and lockdown, which implies it) refuses every private address, and otherwise a
   * private one must share a network with one of this call's own host candidates, so a peer cannot
   * aim our connectivity checks at our LAN.
   */
  private candidatePolicy(): CandidatePolicy {
    return candidatePolicy({ allowLoopback: this.config.allowLoopback === true, allowPrivate: !this.relayOnly, localHosts: this.localHosts });
  }

  /** The conversation as the call machine sees it: its id, this device, and every member device but this one. */
  private viewOf(conversation: StoredConversation): ConversationView {
    const identity = this.ctx.identity;
    const self = { user: identity.username, device: identity.deviceId };
    if (!conversation.active) return { groupId: conversation.groupId, self, others: [] };
    const others = membersOf(this.ctx.mls.decodeState(conversation.state))
      .filter((m) => m.username !== identity.username || m.deviceId !== identity.deviceId)
      .map((m) => ({ user: m.username, device: m.deviceId }));
    return { groupId: conversation.groupId, self, others };
  }

  /** A commit was applied to `groupId` (or this device left it): the machine hears who is in it now. */
  private onMembersChanged(groupId: string): void {
    this.queue.run(async () => {
      if (!isLive(this.state)) return;
      await this.step({ type: 'membersChanged', conversation: await this.currentView(groupId), now: this.ctx.clock.now() });
    }).catch((error: unknown) => {
      this.ctx.logger.warn({ error: error instanceof Error ? error.name : 'unknown' }, 'call membership check failed');
    });
  }

  private async currentView(groupId: string): Promise<ConversationView> {
    const conversation = await this.ctx.store.getConversation(groupId);
    const self = { user: this.ctx.identity.username, device: this.ctx.identity.deviceId };
    return conversation ? this.viewOf(conversation) : { groupId, self, others: [] };
  }

  /** `anomaly`: reported to the server against the sender (kind and count only). */
  private refuse(code: string, message: string, anomaly?: { from: AnomalySource; kind: AnomalyKind }): void {
    this.ctx.logger.info({ code }, 'call input refused');
    if (anomaly) this.ctx.anomalies.record(anomaly.from, anomaly.kind);
    this.emitters.didRefuseInput.fire({ code, message });
  }

  private peerAnomaly(state: CallState, kind: AnomalyKind): { from: AnomalySource; kind: AnomalyKind } | undefined {
    return isLive(state) && state.peerDevice !== null ? { from: { user: state.peer, device: state.peerDevice }, kind } : undefined;
  }

  // ---- the machine and its effects ------------------------------------------------------

  private dispatch(event: CallEvent): Promise<void> {
    return this.queue.run(() => this.step(event));
  }

  /** Feeds one event and performs its effects in order. Runs inside the queue. */
  private async step(event: CallEvent): Promise<void> {
    const { state, effects } = transition(this.machine, event);
    const before = this.machine.call;
    this.machine = state;
    this.announce(before);
    for (const effect of effects) await this.perform(effect);
  }

  /** Replaces the call alone, keeping what the machine remembers. */
  private setCall(next: CallState): void {
    const before = this.machine.call;
    this.machine = { ...this.machine, call: next };
    this.announce(before);
  }

  /** Tells the UI when the call itself changed (not what the machine remembers), and starts a new call's tallies. */
  private announce(before: CallState): void {
    const next = this.machine.call;
    if (next === before) return;
    this.watchVideoUpgrade(next);
    if (isLive(next) && (!isLive(before) || before.callId !== next.callId)) {
      this.remoteCandidates = 0;
      this.localHosts = [];
    }
    this.emitters.didChangeCall.fire(next);
  }

  private async perform(effect: CallEffect): Promise<void> {
    switch (effect.type) {
      case 'sendSignal':
        return this.sendSignal(effect);
      case 'createPeerConnection':
        return this.createSession();
      case 'getMicrophone':
        // Consent was given (the machine asks for the microphone only then): the camera too, on a video call the member took with video.
        await this.media?.openMicrophone();
        if (this.sendVideo && isLive(this.state) && this.state.media === 'video') {
          // A camera refused (permission, or in use elsewhere) leaves a voice call with the peer's video, not a failed call.
          await this.media?.openCamera?.().catch((error: unknown) => this.ctx.logger.warn({ error: error instanceof Error ? error.name : 'unknown' }, 'camera not opened; the call goes on without it'));
        }
        return;
      case 'createOffer':
      case 'createAnswer': {
        const media = this.media;
        if (!media) return;
        const sdp = effect.type === 'createOffer' ? await media.createOffer() : await media.createAnswer();
        if (this.media === media) await this.step({ type: 'localDescription', sdp, now: this.ctx.clock.now() });
        return;
      }
      case 'setRemoteDescription': {
        const state = this.state;
        const movingOffer = state.kind === 'active' && state.upgrade?.step === 'negotiating' && state.upgrade.by === 'remote';
        const kind = state.kind === 'callee-connecting' || movingOffer ? 'offer' : 'answer';
        try {
          await this.media?.setRemoteDescription(kind, effect.sdp);
        } catch (error) {
          this.refuse('SDP_REJECTED_BY_RTC', `The media stack refused the peer's ${kind}.`);
          this.ctx.logger.warn({ error: error instanceof Error ? error.name : 'unknown' }, 'setRemoteDescription failed');
          await this.step({ type: 'mediaFailed', now: this.ctx.clock.now() });
        }
        return;
      }
      case 'addIceCandidate':
        await this.media?.addIceCandidate(effect.candidate).catch(() => this.refuse('CANDIDATE_REJECTED_BY_RTC', 'The media stack refused a candidate.'));
        return;
      case 'startRingTimer': {
        this.ctx.clock.clearTimeout(this.ringTimer);
        const { callId } = effect;
        this.ringTimer = this.ctx.clock.setTimeout(() => void this.dispatch({ type: 'timeout', callId, now: this.ctx.clock.now() }), effect.ms);
        return;
      }
      case 'cancelRingTimer':
        this.ctx.clock.clearTimeout(this.ringTimer);
        this.ringTimer = undefined;
        return;
      case 'startConnectTimer': {
        this.ctx.clock.clearTimeout(this.connectTimer);
        const { callId } = effect;
        this.connectTimer = this.ctx.clock.setTimeout(() => {
          this.connectTimer = undefined;
          void this.dispatch({ type: 'connectTimeout', callId, now: this.ctx.clock.now() });
        }, this.config.connectTimeoutMs ?? effect.ms);
        return;
      }
      case 'cancelConnectTimer':
        this.ctx.clock.clearTimeout(this.connectTimer);
        this.connectTimer = undefined;
        return;
      case 'showIncomingRing':
        this.emitters.didRing.fire({ callId: effect.callId, peer: effect.peer });
        return;
      case 'stopRinging':
      case 'releaseMicrophone':
        // The UI follows didChangeCall; the microphone belongs to the media session, closed below.
        return;
      case 'closePeerConnection':
        return this.closeMedia();
      case 'logCall': {
        const entry: StoredCallLogEntry = { ...effect.entry, endedAt: this.ctx.clock.now() };
        await this.ctx.store.apply({ callLog: [entry] });
        this.emitters.didLogCall.fire(entry);
        return;
      }
      case 'refuseSignal':
        // Not reported to the server: a signal for no call of ours names no peer to hold it against.
        this.refuse('UNKNOWN_CALL', 'A call signal for an unknown call was ignored.');
        return;
      case 'enableVideo':
        // Both members consented (this one asked or accepted): a video section, and this device's camera.
        await this.media?.enableVideo?.();
        await this.media?.openCamera?.().catch((error: unknown) => this.ctx.logger.warn({ error: error instanceof Error ? error.name : 'unknown' }, 'camera not opened; the call goes on without it'));
        return;
      case 'videoRequestEnded':
        this.emitters.didEndVideoRequest.fire({ reason: effect.reason });
        return;
      case 'reportAnomaly': {
        const anomaly = ANOMALIES[effect.kind];
        this.refuse(anomaly.code, anomaly.message, { from: { user: effect.fromUser, device: effect.fromDevice }, kind: anomaly.kind });
        return;
      }
      default: {
        const never: never = effect;
        throw new Error(`unhandled call effect ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * Sends into the conversation the machine named, and only if, as it is encrypted, its members
   * are devices of this account and the recipient's alone, the recipient device among them:
   * anyone else added a moment ago reads nothing.
   */
  private async sendSignal(effect: Extract<CallEffect, { type: 'sendSignal' }>): Promise<void> {
    const { signal, toUser, toDevice, conversationId } = effect;
    const self = this.ctx.identity;
    const onlyUsTwo = (members: readonly Member[]) => members.every((m) => m.username === self.username || m.username === toUser)
      && members.some((m) => m.username === self.username && m.deviceId === self.deviceId)
      && members.some((m) => m.username === toUser && (toDevice === null || m.deviceId === toDevice));
    try {
      const conversation = await this.ctx.store.getConversation(conversationId);
      if (!conversation?.active) throw new ClientError('NO_CONVERSATION', "The call's conversation is gone; nothing was sent.");
      const content = callSignalContent(signal, toDevice, newMessageId(this.ctx.clock, this.ctx.random), this.ctx.clock.now());
      await this.conversations.sendSignal(conversation, content, signal.type === 'ring', onlyUsTwo);
    } catch (error) {
      // The ring's failure is the caller's answer (place() reports it); the rest are best effort:
      // the peer's own timers end a call whose signals were lost.
      if (signal.type === 'ring') throw error;
      this.ctx.logger.warn({ type: signal.type, error: error instanceof Error ? error.name : 'unknown' }, 'call signal not sent');
      // Refused because the conversation changed under the call: the machine ends it.
      if (error instanceof ClientError && error.code === 'NO_CONVERSATION') {
        await this.step({ type: 'membersChanged', conversation: await this.currentView(conversationId), now: this.ctx.clock.now() });
      }
    }
  }

  private createSession(): void {
    const factory = this.config.media;
    if (!factory || this.media) return;
    const session: CallMediaSession = factory.createSession(
      { iceServers: this.iceServers, relayOnly: this.relayOnly, allowLoopback: this.config.allowLoopback === true, video: isLive(this.state) && this.state.media === 'video' },
      {
        onLocalCandidate: (candidate) => {
          if (this.media !== session) return;
          const parsed = parseCandidate(candidate);
          // Only what a peer of ours admits: UDP at an IP literal. Browsers also gather TCP
          // candidates and mDNS names, which every peer refuses, each one a refusal to explain.
          if (!parsed.ok || parsed.candidate.ip === null) return;
          // Defence in depth for relay-only: never hand the peer anything but a relay address.
          if (this.relayOnly && parsed.candidate.type !== 'relay') return;
          // Noted at once, not through the queue: the peer's candidates queued behind are checked against it.
          const ip = parsed.candidate.type === 'host' ? parsed.candidate.ip : null;
          if (ip && this.localHosts.length < MAX_LOCAL_HOSTS) this.localHosts.push(ip);
          this.emitters.didExchangeCandidate.fire({ direction: 'sent', candidateType: parsed.candidate.type });
          void this.dispatch({ type: 'localCandidate', candidate, now: this.ctx.clock.now() });
        },
        onConnected: () => {
          if (this.media === session) void this.dispatch({ type: 'mediaConnected', now: this.ctx.clock.now() });
        },
        onFailed: () => {
          if (this.media === session) void this.dispatch({ type: 'mediaFailed', now: this.ctx.clock.now() });
        },
        onFirstRemoteAudio: () => {
          if (this.media === session && isLive(this.state)) this.emitters.didReceiveFirstAudio.fire({ callId: this.state.callId });
        },
      },
    );
    this.media = session;
  }

  private async closeMedia(): Promise<void> {
    const media = this.media;
    this.media = undefined;
    await media?.close();
  }

  private clearTimers(): void {
    this.ctx.clock.clearTimeout(this.ringTimer);
    this.ctx.clock.clearTimeout(this.connectTimer);
    this.ctx.clock.clearTimeout(this.upgradeTimer);
    this.ringTimer = undefined;
    this.connectTimer = undefined;
    this.upgradeTimer = undefined;
  }

  /**
   * The machine ends an ask for video, or a move that never completed, when time passes (a
   * `tick`): while one is under way, a tick is due when it expires. Without it, consent given
   * once would stay good for the rest of the call.
   */
  private watchVideoUpgrade(call: CallState): void {
    const upgrade = call.kind === 'active' ? call.upgrade : undefined;
    if (upgrade?.at === this.upgradeTimerFor) return;
    this.ctx.clock.clearTimeout(this.upgradeTimer);
    this.upgradeTimer = undefined;
    this.upgradeTimerFor = upgrade?.at;
    if (!upgrade) return;
    const due = Math.max(0, upgrade.at + VIDEO_REQUEST_TIMEOUT_MS - this.ctx.clock.now());
    this.upgradeTimer = this.ctx.clock.setTimeout(() => {
      this.upgradeTimer = undefined;
      this.upgradeTimerFor = undefined;
      void this.dispatch({ type: 'tick', now: this.ctx.clock.now() });
    }, due);
  }

  // ---- set-up ---------------------------------------------------------------------------

  private requireMedia(): void {
    if (!this.config.media) throw new ClientError('NO_MEDIA', 'This client cannot carry calls (no media stack).');
  }

  /** Fetches TURN credentials from our own server and fixes this call's relay policy. */
  private async prepareIce(options: CallOptions): Promise<void> {
    const policy = await fetchRelayPolicy(this.ctx, options.relayOnly);
    this.iceServers = policy.iceServers;
    this.relayOnly = policy.relayOnly;
  }


}

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
import { membersOf } from '../mls/group.js';
import type { StoredCallLogEntry, StoredConversation } from '../ports.js';
import { SerialQueue } from '../serial-queue.js';
import { transition } from './call-machine.js';
import type { CallMediaFactory, CallMediaSession, IceServer } from './call-media.js';
import { callSignalContent } from './call-signal-codec.js';
import { initialCallState, isLive, type CallState } from './call-state.js';
import type { CallAnomalyKind, CallEffect, CallEvent, CallSignal } from './call-types.js';
import { CallEvents } from './call-events.js';
import { candidatePolicy, checkRemoteCandidate, parseCandidate, type CandidatePolicy } from './candidate-filter.js';
import { validateSdp } from './sdp-validator.js';
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
}

export type PlaceCallResult =
  | { readonly kind: 'ringing'; readonly callId: string }
  /** Not a contact: only a call request (a contact request) went out; they see a missed call request. */
  | { readonly kind: 'requested' };

/** Where a signal came from, as the inbox established it (MLS-authenticated sender). */
export interface SignalOrigin {
  readonly user: string;
  readonly device: string;
  /** The server admitted it as a ring (rate-limited), i.e. it was delivered as MLS_RING. */
  readonly deliveredAsRing: boolean;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

const ANOMALY_CODES: Record<CallAnomalyKind, string> = {
  'signal-before-accept': 'SIGNAL_BEFORE_ACCEPT',
  renegotiation: 'RENEGOTIATION',
  'unexpected-signal': 'UNEXPECTED_SIGNAL',
};

export class Calls {
  readonly events = new CallEvents();
  private state: CallState = initialCallState;
  /** One event at a time, in order; separate from the engine's queue, which sending takes. */
  private readonly queue = new SerialQueue();
  private conversation: StoredConversation | undefined;
  private media: CallMediaSession | undefined;
  private iceServers: IceServer[] = [];
  /**
   * Relay-only protects this device's address, which only our own candidates reveal; the peer's
   * candidates may be of any type (our relay reaches them), so `relayOnly` is not part of it.
   */
  private readonly policy: CandidatePolicy;
  private relayOnly = false;
  private remoteCandidates = 0;
  private ringTimer: unknown;
  private connectTimer: unknown;

  constructor(
    private readonly ctx: EngineContext,
    private readonly conversations: Conversations,
    private readonly config: CallsConfig = {},
  ) {
    this.policy = candidatePolicy({ allowLoopback: config.allowLoopback === true });
  }

  get current(): CallState {
    return this.state;
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
    const conversation = await this.conversations.ensureDirect(peer);
    const peerDevice = membersOf(this.ctx.mls.decodeState(conversation.state)).find((m) => m.username === peer)?.deviceId;
    if (peerDevice === undefined) throw new ClientError('NO_CONVERSATION', `${peer} has no device in your conversation.`);
    const callId = toHex(this.ctx.random.bytes(16));
    await this.queue.run(async () => {
      if (isLive(this.state)) throw new ClientError('CALL_IN_PROGRESS', 'A call is already ringing or in progress.');
      this.conversation = conversation;
      this.remoteCandidates = 0;
      try {
        await this.step({ type: 'placeCall', callId, peer, peerDevice, now: this.ctx.clock.now() });
      } catch (error) {
        // The ring never left (rate limit, connection): nothing rang anywhere, so forget the call.
        this.clearTimers();
        this.setState(initialCallState);
        throw error;
      }
    });
    return { kind: 'ringing', callId };
  }

  /** Answers the ringing call. Only now may RTC, the microphone or remote SDP be touched. */
  async accept(options: CallOptions = {}): Promise<void> {
    if (this.state.kind !== 'incoming-ringing') throw new ClientError('NO_CALL', 'No call is ringing.');
    this.requireMedia();
    await this.prepareIce(options);
    await this.dispatch({ type: 'localAccept', now: this.ctx.clock.now() });
  }

  async decline(): Promise<void> {
    if (this.state.kind !== 'incoming-ringing') throw new ClientError('NO_CALL', 'No call is ringing.');
    await this.dispatch({ type: 'localDecline', now: this.ctx.clock.now() });
  }

  async hangup(): Promise<void> {
    if (!isLive(this.state)) throw new ClientError('NO_CALL', 'There is no call to hang up.');
    await this.dispatch({ type: 'localHangup', now: this.ctx.clock.now() });
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
      this.ctx.logger.warn('call signal failed', { error: error instanceof Error ? error.name : 'unknown' });
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
    if (signal.type !== 'ring') {
      const ours = isLive(state) && signal.callId === state.callId;
      const justEnded = state.kind === 'ended' && signal.callId === state.callId;
      if (!ours && !justEnded) return this.refuse('UNKNOWN_CALL', 'A call signal for an unknown call was ignored.');
    }
    let admitted: CallSignal | 'refused' | 'fatal' = signal;
    if (isLive(state) && signal.callId === state.callId && origin.user === state.peer && origin.device === state.peerDevice) {
      admitted = this.admitMedia(signal, state);
      if (admitted === 'refused') return;
      if (admitted === 'fatal') {
        // A call without a usable description cannot go on: end it cleanly.
        return this.step({ type: 'localHangup', now: this.ctx.clock.now() });
      }
    }
    if (signal.type === 'ring' && !isLive(state)) {
      this.conversation = conversation;
      this.remoteCandidates = 0;
    }
    await this.step({
      type: 'remote',
      signal: admitted,
      fromUser: origin.user,
      fromDevice: origin.device,
      now: this.ctx.clock.now(),
      senderIsContact: contact?.state === ContactState.ACCEPTED,
      senderBlocked: contact?.state === ContactState.BLOCKED,
    });
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
        // Only the description the machine expects is parsed; a second one is renegotiation, refused by the machine.
        const expected = state.kind === 'callee-connecting' ? 'offer' : state.kind === 'caller-connecting' ? 'answer' : undefined;
        if (signal.type !== expected) return signal;
        const result = validateSdp(signal.sdp, signal.type, { candidatePolicy: this.policy });
        if (!result.ok) {
          this.refuse(`SDP_${result.code}`, `The peer's ${signal.type} was refused: ${result.message}.`, this.peerAnomaly(state, AnomalyKind.REFUSED_MEDIA));
          return 'fatal';
        }
        return { ...signal, sdp: result.sdp.sdp };
      }
      case 'ice': {
        const result = checkRemoteCandidate(signal.candidate, this.policy, this.remoteCandidates);
        this.remoteCandidates += 1;
        if (!result.ok) {
          this.refuse(`CANDIDATE_${result.code}`, `A candidate from the peer was refused: ${result.message}.`, this.peerAnomaly(state, AnomalyKind.REFUSED_MEDIA));
          return 'refused';
        }
        this.events.didExchangeCandidate.fire({ direction: 'received', candidateType: result.candidate.type });
        return signal;
      }
      default:
        return signal;
    }
  }

  /** `anomaly`: reported to the server against the sender (kind and count only). */
  private refuse(code: string, message: string, anomaly?: { from: AnomalySource; kind: AnomalyKind }): void {
    this.ctx.logger.info('call input refused', { code });
    if (anomaly) this.ctx.anomalies.record(anomaly.from, anomaly.kind);
    this.events.didRefuseInput.fire({ code, message });
  }

  private peerAnomaly(state: CallState, kind: AnomalyKind): { from: AnomalySource; kind: AnomalyKind } | undefined {
    return isLive(state) ? { from: { user: state.peer, device: state.peerDevice }, kind } : undefined;
  }

  // ---- the machine and its effects ------------------------------------------------------

  private dispatch(event: CallEvent): Promise<void> {
    return this.queue.run(() => this.step(event));
  }

  /** Feeds one event and performs its effects in order. Runs inside the queue. */
  private async step(event: CallEvent): Promise<void> {
    const { state, effects } = transition(this.state, event);
    this.setState(state);
    for (const effect of effects) await this.perform(effect);
    this.watchConnecting();
  }

  private setState(next: CallState): void {
    if (next === this.state) return;
    this.state = next;
    this.events.didChangeCall.fire(next);
  }

  private async perform(effect: CallEffect): Promise<void> {
    switch (effect.type) {
      case 'sendSignal':
        return this.sendSignal(effect.signal, effect.toUser);
      case 'createPeerConnection':
        return this.createSession();
      case 'getMicrophone':
        return this.media?.openMicrophone();
      case 'createOffer':
      case 'createAnswer': {
        const media = this.media;
        if (!media) return;
        const sdp = effect.type === 'createOffer' ? await media.createOffer() : await media.createAnswer();
        if (this.media === media) await this.step({ type: 'localDescription', sdp, now: this.ctx.clock.now() });
        return;
      }
      case 'setRemoteDescription': {
        const kind = this.state.kind === 'callee-connecting' ? 'offer' : 'answer';
        try {
          await this.media?.setRemoteDescription(kind, effect.sdp);
        } catch (error) {
          this.refuse('SDP_REJECTED_BY_RTC', `The media stack refused the peer's ${kind}.`);
          this.ctx.logger.warn('setRemoteDescription failed', { error: error instanceof Error ? error.name : 'unknown' });
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
      case 'showIncomingRing':
        this.events.didRing.fire({ callId: effect.callId, peer: effect.peer });
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
        this.events.didLogCall.fire(entry);
        return;
      }
      case 'reportAnomaly':
        this.refuse(ANOMALY_CODES[effect.kind], `A call signal out of order was ignored (${effect.kind}).`, {
          from: { user: effect.fromUser, device: effect.fromDevice },
          kind: AnomalyKind.CONSENT_VIOLATION,
        });
        return;
      default: {
        const never: never = effect;
        throw new Error(`unhandled call effect ${JSON.stringify(never)}`);
      }
    }
  }

  private async sendSignal(signal: CallSignal, toUser: string): Promise<void> {
    // Usually the call's own conversation; a busy goes to another caller, through theirs.
    const conversation = this.conversation?.name === toUser ? this.conversation : await this.conversations.findDirect(toUser);
    if (!conversation) return;
    const content = callSignalContent(signal, newMessageId(this.ctx.clock, this.ctx.random), this.ctx.clock.now());
    try {
      await this.conversations.sendSignal(conversation, content, signal.type === 'ring');
    } catch (error) {
      // The ring's failure is the caller's answer (place() reports it); the rest are best effort:
      // the peer's own timers end a call whose signals were lost.
      if (signal.type === 'ring') throw error;
      this.ctx.logger.warn('call signal not sent', { type: signal.type, error: error instanceof Error ? error.name : 'unknown' });
    }
  }

  private createSession(): void {
    const factory = this.config.media;
    if (!factory || this.media) return;
    const session: CallMediaSession = factory.createSession(
      { iceServers: this.iceServers, relayOnly: this.relayOnly, allowLoopback: this.config.allowLoopback === true },
      {
        onLocalCandidate: (candidate) => {
          if (this.media !== session) return;
          const parsed = parseCandidate(candidate);
          // Defence in depth for relay-only: never hand the peer anything but a relay address.
          if (this.relayOnly && (!parsed.ok || parsed.candidate.type !== 'relay')) return;
          if (parsed.ok) this.events.didExchangeCandidate.fire({ direction: 'sent', candidateType: parsed.candidate.type });
          void this.dispatch({ type: 'localCandidate', candidate, now: this.ctx.clock.now() });
        },
        onConnected: () => {
          if (this.media === session) void this.dispatch({ type: 'mediaConnected', now: this.ctx.clock.now() });
        },
        onFailed: () => {
          if (this.media === session) void this.dispatch({ type: 'mediaFailed', now: this.ctx.clock.now() });
        },
        onFirstRemoteAudio: () => {
          if (this.media === session && isLive(this.state)) this.events.didReceiveFirstAudio.fire({ callId: this.state.callId });
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

  /** Consent given but no media yet: bounded, so a peer that goes silent cannot hold the call open. */
  private watchConnecting(): void {
    const state = this.state;
    const connecting = state.kind === 'caller-connecting' || state.kind === 'callee-connecting';
    if (!connecting) {
      this.ctx.clock.clearTimeout(this.connectTimer);
      this.connectTimer = undefined;
      return;
    }
    if (this.connectTimer !== undefined) return;
    const callId = state.callId;
    this.connectTimer = this.ctx.clock.setTimeout(() => {
      this.connectTimer = undefined;
      void this.queue.run(async () => {
        const now = this.state;
        if (!(now.kind === 'caller-connecting' || now.kind === 'callee-connecting') || now.callId !== callId) return;
        await this.step({ type: now.hasPeerConnection ? 'mediaFailed' : 'localHangup', now: this.ctx.clock.now() });
      });
    }, this.config.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
  }

  private clearTimers(): void {
    this.ctx.clock.clearTimeout(this.ringTimer);
    this.ctx.clock.clearTimeout(this.connectTimer);
    this.ringTimer = undefined;
    this.connectTimer = undefined;
  }

  // ---- set-up ---------------------------------------------------------------------------

  private requireMedia(): void {
    if (!this.config.media) throw new ClientError('NO_MEDIA', 'This client cannot carry calls (no media stack).');
  }

  /** Fetches TURN credentials from our own server and fixes this call's relay policy. */
  private async prepareIce(options: CallOptions): Promise<void> {
    const settings = await this.ctx.store.getSettings();
    // Lockdown mode makes every call relay-only, whatever the call or the setting asks.
    const relayOnly = settings.lockdown || (options.relayOnly ?? settings.relayOnlyCalls);
    const result = await this.ctx.session.request(FrameType.GET_TURN_CREDENTIALS, create(GetTurnCredentialsSchema, {}));
    const turn = result.case === 'turnCredentials' ? result.value : undefined;
    const servers: IceServer[] = turn && turn.urls.length > 0 ? [{ urls: [...turn.urls], username: turn.username, credential: turn.credential }] : [];
    if (relayOnly && servers.length === 0) {
      throw new ClientError('NO_TURN', 'Relay-only calls need a TURN server, and this server has none configured.');
    }
    this.iceServers = servers;
    this.relayOnly = relayOnly;
  }

}

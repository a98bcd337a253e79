/** @module gateway/connection */
// One WebSocket connection and its small state machine:
// awaiting-hello -> authenticated -> closed. Frames are handled one at a time
// in arrival order (a queue, with the socket paused when it grows), so auth
// state never races and responses to one client come back in request order.
// SENDs are pipelined: the next frame is read once a SEND's write is queued in
// the store, not once it is durable, and SendPipeline answers them in order.
// A bad frame gets an error response and the connection carries on: bad input
// harms nothing else. What the connection holds for its client is bounded
// (WriteBacklog): over the bound it reads and answers nothing more until the
// client has taken its answers. Refused frames cost it next to nothing
// (FloodGuard), and a connection that floods, or stops reading for good, is
// closed with 4004.
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { WebSocket, type RawData } from 'ws';
import {
  ChallengeSchema,
  create,
  decodeFrame,
  DeliverySchema,
  encodeFrame,
  ErrorCode,
  FrameType,
  HelloOkSchema,
  LIMITS,
  LockdownStateSchema,
  missingCase,
  NoticeKind,
  NoticeSchema,
  peekFrameHeader,
  PROTOCOL_VERSION,
  ProtocolError,
  ResponseSchema,
  SOFTWARE_VERSION,
  type Frame,
  type FrameBody,
  type KnownFrameType,
  type SignedAdvisory,
  AdvisoryPushSchema,
} from '@sotto/protocol';
import type { Bus, BusEvent } from '../bus/bus.js';
import { ServerError } from '../errors.js';
import { errorSummary, shortDevice, shortId, type Logger } from '../logger.js';
import type { ServerMetrics } from '../metrics.js';
import type { Services } from '../services/services.js';
import type { Store } from '../storage/store.js';
import type { DeviceAddress, DeviceRecord, MailboxEntry } from '../storage/types.js';
import { CloseCode } from './close-codes.js';
import type { ConnectionRegistry } from './connection-registry.js';
import { toWireError } from './error-boundary.js';
import { DEFAULT_FLOOD_LIMITS, FloodGuard, isRefusal, type FloodLimits } from './flood-guard.js';
import { DEFAULT_FRAME_QUEUE_LIMITS, FrameQueue } from './frame-queue.js';
import { MailboxPump, type PumpSink } from './mailbox-pump.js';
import { handleRequest, startSend, type RequestFrame, type ResponseResult, type SendFrame } from './requests.js';
import { MAX_PIPELINED_SENDS, SendPipeline, type SendOutcome } from './send-pipeline.js';
import { DEFAULT_RATE_LIMIT, TokenBucket, type RateLimit } from '../token-bucket.js';
import { addressKey } from '../rate-limits/address-key.js';
import type { Clock } from '../clock.js';
import { DEFAULT_BACKLOG_LIMITS, WriteBacklog, type BacklogLimits } from './write-backlog.js';

/** 96 random bits name a connection. */
const CONNECTION_ID_BYTES = 12;
/** Failed hellos tolerated on one connection before it is closed. */
export const MAX_FAILED_HELLOS = 3;
/** How long a closing client gets to answer the close handshake. */
const CLOSE_GRACE_MS = 2_000;
/** An unauthenticated connection holds resources for at most this long. */
export const HELLO_TIMEOUT_MS = 30_000;
/**
 * One connection's frames run for at most this long before the event loop gets a turn: a burst of
 * cheap requests from one client must not make everyone else's wait for all of it.
 */
const SLICE_MS = 2;
/** Backlogs and refusal budgets are timed on a clock that never goes back. */
const monotonic: Clock = () => performance.now();

export interface ConnectionContext {
  readonly services: Services;
  readonly store: Store;
  readonly bus: Bus;
  readonly registry: ConnectionRegistry<Connection>;
  readonly metrics: ServerMetrics;
  readonly log: Logger;
  readonly rateLimit?: RateLimit;
  readonly helloTimeoutMs?: number;
  /** What a connection may hold for its client (default DEFAULT_BACKLOG_LIMITS). */
  readonly backlogLimits?: BacklogLimits;
  /** How many refused frames make a flood (default DEFAULT_FLOOD_LIMITS). */
  readonly floodLimits?: FloodLimits;
}

export interface ConnectionOptions {
  /** The client's address (after a trusted proxy's X-Forwarded-For), for rate limits only: never logged. */
  readonly clientAddress?: string;
  /** The socket under the WebSocket, corked while a turn of the event loop writes frames. */
  readonly stream?: Duplex;
}

// What a connection holds lives in its state, so an idle authenticated one keeps nothing of its
// hello (nonce, timer): at 20,000 connections each byte is 20 KB.
type State =
  | {
      readonly kind: 'awaiting-hello';
      failedHellos: number;
      /** The challenge this connection's hello must sign. */
      readonly nonce: Uint8Array;
      readonly timer: NodeJS.Timeout;
    }
  | {
      readonly kind: 'authenticated';
      readonly device: DeviceAddress;
      readonly pump: MailboxPump;
      readonly unsubscribe: () => void;
    }
  | { readonly kind: 'closed' };

export class Connection implements PumpSink {
  /**
   * Unique across the nodes of a cluster (a takeover names the connection that won). Not
   * randomUUID: V8 keeps its UUID as a tree of ten concatenated pieces, ~300 bytes a connection.
   */
  readonly id = randomBytes(CONNECTION_ID_BYTES).toString('base64url');

  private state: State;
  private readonly bucket: TokenBucket;
  /** The key rate limits count this client's address by; empty when it is not limited by address. */
  private readonly limitingAddress: { readonly address?: string };
  /** Frames read and not yet handled; the socket stops reading at its high marks. */
  private readonly queue = new FrameQueue<() => Promise<void>>(DEFAULT_FRAME_QUEUE_LIMITS);
  private processing: Promise<void> | undefined;
  /** Made by the first SEND: most idle connections never send. */
  private sendPipeline: SendPipeline | undefined;
  private closing = false;
  private alive = true;
  /** This connection's scoped logger, made on first use: most connections never log (a child and two hashes each). */
  private scopedLog: Logger | undefined;
  /** Made when someone waits for the close (shutdown, tests). */
  private closedPromise: Promise<void> | undefined;
  private resolveClosed: (() => void) | undefined;
  private finished = false;
  private readonly stream: Duplex | undefined;
  private corked = false;
  /** What was written to the client and not yet taken by the network. */
  private readonly backlog: WriteBacklog;
  /** Made at the first refused frame: most connections are never refused one. */
  private floodGuard: FloodGuard | undefined;
  /** Runs while the backlog is full, to notice a client that stopped reading. */
  private stallTimer: NodeJS.Timeout | undefined;
  /** One callback for every frame written (most writes need nothing else), not a closure per frame. */
  private readonly onFrameFlushed = (): void => {
    if (this.backlog.flushed(this.socket.bufferedAmount)) this.onBacklogDrained();
  };

  constructor(
    private readonly socket: WebSocket,
    private readonly ctx: ConnectionContext,
    options: ConnectionOptions = {},
  ) {
    this.stream = options.stream;
    const key = addressKey(options.clientAddress);
    this.limitingAddress = key !== undefined ? { address: key } : {};
    this.bucket = new TokenBucket(ctx.rateLimit ?? DEFAULT_RATE_LIMIT);
    this.backlog = new WriteBacklog(ctx.backlogLimits ?? DEFAULT_BACKLOG_LIMITS, monotonic);
    ctx.registry.add(this);
    ctx.metrics.connections.inc();
    socket.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    socket.on('close', (code) => this.onClose(code));
    socket.on('pong', () => {
      this.alive = true;
    });
    // Without a listener an 'error' would crash the process; ws closes the socket itself after it.
    socket.on('error', (error) => this.debug({ err: errorSummary(error) }, 'socket error'));
    const timer = setTimeout(() => {
      if (this.state.kind === 'awaiting-hello') this.close(CloseCode.HELLO_TIMEOUT, 'no hello in time');
    }, ctx.helloTimeoutMs ?? HELLO_TIMEOUT_MS);
    timer.unref();
    this.state = { kind: 'awaiting-hello', failedHellos: 0, nonce: new Uint8Array(randomBytes(LIMITS.nonceBytes)), timer };
    this.enqueue(() => this.sendChallenge(), 0);
  }

  /** Resolves once the socket closed and no frame or mailbox pass is still running. */
  get closed(): Promise<void> {
    return (this.closedPromise ??= this.finished
      ? Promise.resolve()
      : new Promise((resolve) => {
          this.resolveClosed = resolve;
        }));
  }

  private get log(): Logger {
    if (!this.scopedLog) {
      const device = this.device;
      this.scopedLog = this.ctx.log.child({ conn: shortId(this.id), ...(device ? { device: shortDevice(device) } : {}) });
    }
    return this.scopedLog;
  }

  /** A debug line, without making the scoped logger when debug is off (it nearly always is). */
  private debug(fields: Record<string, unknown>, message: string): void {
    if (this.ctx.log.isLevelEnabled('debug')) this.log.debug(fields, message);
  }

  private get guard(): FloodGuard {
    if (!this.floodGuard) {
      this.floodGuard = new FloodGuard(this.ctx.floodLimits ?? DEFAULT_FLOOD_LIMITS, monotonic);
      if (this.state.kind === 'authenticated') this.floodGuard.authenticated();
    }
    return this.floodGuard;
  }

  private get sends(): SendPipeline {
    return (this.sendPipeline ??= new SendPipeline((id, outcome, startedAt) => this.answerSend(id, outcome, startedAt)));
  }

  /** Resolves once every pipelined SEND was answered. */
  private sendsAnswered(): Promise<void> {
    return this.sendPipeline ? this.sendPipeline.whenBelow(1) : Promise.resolve();
  }

  get device(): DeviceAddress | undefined {
    return this.state.kind === 'authenticated' ? this.state.device : undefined;
  }

  /** Re-reads this device's mailbox: after a bus outage, notifications for it may have been lost. */
  repump(): void {
    if (this.state.kind === 'authenticated' && !this.closing) this.state.pump.trigger();
  }

  /** Pings; a client that did not answer the previous ping is cut off. */
  heartbeat(): void {
    if (this.closing) return;
    // While we are the slow side (socket paused), its pongs sit unread: do not blame the client.
    if (!this.alive && !this.socket.isPaused) {
      this.debug({}, 'no pong; terminating');
      this.socket.terminate();
      return;
    }
    this.alive = false;
    this.socket.ping();
  }

  /** Tells the client the server is going away, closes with 1001, and waits until everything stopped. */
  async shutdown(): Promise<void> {
    if (!this.closing) {
      this.sendNotice(NoticeKind.SHUTTING_DOWN, 0, 'The server is shutting down; reconnect later.');
      this.close(CloseCode.GOING_AWAY, 'server shutting down');
    }
    const timer = setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS);
    await this.closed;
    clearTimeout(timer);
  }

  // ---- incoming ----

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.closing) return;
    this.alive = true;
    const bytes = toBytes(data);
    const header = isBinary ? peekFrameHeader(bytes) : undefined;
    this.ctx.metrics.framesReceived.inc({ type: isBinary ? frameTypeLabel(header?.type) : 'TEXT' });
    if (!this.bucket.take()) {
      this.refuseOverRate(header?.id ?? 0);
      return;
    }
    this.enqueue(() => this.handleMessage(bytes, isBinary, header?.id ?? 0), bytes.byteLength);
  }

  /**
   * A frame over the frame rate is not processed. One a second is answered RATE_LIMITED, at once
   * (it can overtake answers to earlier frames); the rest are dropped unanswered and counted.
   */
  private refuseOverRate(id: number): void {
    const verdict = this.guard.rateLimited();
    switch (verdict) {
      case 'answer':
        this.sendError(
          id,
          new ServerError(
            ErrorCode.RATE_LIMITED,
            'Too many frames: this one and any others in the next second were not processed. Slow down and send them again.',
            { retryAfterMs: 1_000 },
          ),
        );
        return;
      case 'drop':
        this.ctx.metrics.answersDropped.inc({ code: 'RATE_LIMITED' });
        return;
      case 'close':
        this.closeFlooding('refusals');
        return;
      default:
        throw missingCase(verdict);
    }
  }

  private enqueue(task: () => Promise<void>, bytes: number): void {
    if (this.queue.push(task, bytes)) this.pauseReading();
    this.processing ??= this.processQueue().finally(() => {
      this.processing = undefined;
    });
  }

  private async processQueue(): Promise<void> {
    let sliceStarted = performance.now();
    for (let task = this.queue.shift(); task; task = this.queue.shift()) {
      if (this.closing) {
        this.queue.clear();
        return;
      }
      this.resumeReadingIfRoom();
      // While the client is not taking its answers, its next frame waits: answering it would only
      // add to what the server holds for a client that does not read.
      const room = this.backlog.whenWritable();
      if (room) {
        await room;
        if (this.closing) {
          this.queue.clear();
          return;
        }
      }
      await task();
      if (performance.now() - sliceStarted >= SLICE_MS) {
        await nextTurn();
        sliceStarted = performance.now();
      }
    }
  }

  private pauseReading(): void {
    if (!this.socket.isPaused) this.socket.pause();
  }

  /** Reads again once neither its own queue of frames nor its client's backlog is over its bound. */
  private resumeReadingIfRoom(): void {
    if (this.socket.isPaused && !this.closing && this.queue.hasRoom && !this.backlog.isFull) this.socket.resume();
  }

  private async handleMessage(bytes: Uint8Array, isBinary: boolean, headerId: number): Promise<void> {
    let frame: Frame;
    try {
      if (!isBinary) throw new ProtocolError(ErrorCode.FRAME_MALFORMED, 'Frames are binary WebSocket messages; text is refused.');
      frame = decodeFrame(bytes);
    } catch (error) {
      this.sendError(headerId, error);
      return;
    }
    const started = performance.now();
    if (frame.type === FrameType.SEND && this.state.kind === 'authenticated') return this.pipelineSend(frame, this.state.device, started);
    // Anything else (but an ACK, which has no answer) waits for the SENDs before it: one order for every answer.
    if (frame.type !== FrameType.ACK) await this.sendsAnswered();
    try {
      await this.dispatch(frame);
    } catch (error) {
      this.sendError(frame.id, error);
    } finally {
      this.ctx.metrics.requestDuration.observe({ type: FrameType[frame.type] }, (performance.now() - started) / 1000);
    }
  }

  private async dispatch(frame: Frame): Promise<void> {
    switch (frame.type) {
      case FrameType.HELLO:
        return this.handleHello(frame.id, frame.body);
      case FrameType.ACK:
        return this.handleAck(frame.body.seqs);
      case FrameType.CHALLENGE:
      case FrameType.RESPONSE:
      case FrameType.DELIVERY:
      case FrameType.NOTICE:
      case FrameType.ADVISORY:
        throw new ProtocolError(ErrorCode.UNKNOWN_FRAME_TYPE, `${FrameType[frame.type]} frames go from server to client only.`);
      case FrameType.UPLOAD_KEY_PACKAGES:
      case FrameType.CLAIM_KEY_PACKAGES:
      case FrameType.CONTACT_REQUEST:
      case FrameType.CONTACT_RESPOND:
      case FrameType.LIST_CONTACTS:
      case FrameType.CREATE_GROUP:
      case FrameType.COMMIT:
      case FrameType.SEND:
      case FrameType.LEAVE_GROUP:
      case FrameType.GET_DEVICES:
      case FrameType.GET_TURN_CREDENTIALS:
      case FrameType.REPORT_ANOMALIES:
      case FrameType.SET_LOCKDOWN:
      case FrameType.CREATE_CONTACT_LINK:
        return this.handleRequest(frame);
      default:
        throw missingCase(frame);
    }
  }

  private async handleRequest(frame: RequestFrame): Promise<void> {
    if (this.state.kind !== 'authenticated') throw new ServerError(ErrorCode.NOT_AUTHENTICATED);
    const result = await handleRequest(this.ctx.services, { device: this.state.device, ...this.limitingAddress }, frame);
    this.respond(frame.id, result);
  }

  /** Starts a SEND and returns once its write is queued; SendPipeline answers it after every earlier one. */
  private async pipelineSend(frame: SendFrame, device: DeviceAddress, startedAt: number): Promise<void> {
    const started = startSend(this.ctx.services, { device, ...this.limitingAddress }, frame);
    this.sends.add(frame.id, startedAt, started.result);
    await started.queued;
    await this.sends.whenBelow(MAX_PIPELINED_SENDS);
  }

  private answerSend(id: number, outcome: SendOutcome, startedAt: number): void {
    if (outcome.ok) this.respond(id, outcome.result);
    else this.sendError(id, outcome.error);
    this.ctx.metrics.requestDuration.observe({ type: 'SEND' }, (performance.now() - startedAt) / 1000);
  }

  private async handleAck(seqs: readonly bigint[]): Promise<void> {
    if (this.state.kind !== 'authenticated') throw new ServerError(ErrorCode.NOT_AUTHENTICATED);
    if (seqs.length > LIMITS.maxAckSeqs) {
      throw new ServerError(ErrorCode.INVALID_ARGUMENT, `An ack names at most ${LIMITS.maxAckSeqs} entries, not ${seqs.length}.`);
    }
    this.state.pump.ack(seqs);
  }

  // ---- hello ----

  private async handleHello(id: number, hello: FrameBody<FrameType.HELLO>): Promise<void> {
    const state = this.state;
    if (state.kind !== 'awaiting-hello') throw new ServerError(ErrorCode.ALREADY_AUTHENTICATED);
    let device: DeviceRecord;
    try {
      device = await this.authenticate(hello, state.nonce);
    } catch (error) {
      if (error instanceof ServerError && error.code === ErrorCode.UPDATE_REQUIRED) {
        this.sendError(id, error);
        this.close(CloseCode.UPDATE_REQUIRED, 'update required');
        return;
      }
      state.failedHellos += 1;
      if (state.failedHellos < MAX_FAILED_HELLOS) throw error;
      this.sendError(id, error);
      // A digest of the targeted name lets an operator see repeated attempts on one account without naming it.
      this.log.info({ target: hello.auth.value ? shortId(hello.auth.value.username) : undefined }, 'too many failed hellos; closing');
      this.close(CloseCode.AUTH_FAILED, 'too many failed hellos');
      return;
    }
    const keyPackages = await this.ctx.services.keyPackages.status(device);
    if (this.closing) return;
    const address: DeviceAddress = { username: device.username, deviceId: device.deviceId };
    const pump = new MailboxPump(this.ctx.store, address, this, () => this.log);
    // Subscribe before claiming, so this connection sees its own "replaced" event and ignores it.
    const unsubscribe = this.ctx.bus.subscribe(address, (event) => this.onBusEvent(event));
    clearTimeout(state.timer);
    this.state = { kind: 'authenticated', device: address, pump, unsubscribe };
    this.floodGuard?.authenticated();
    // Whatever logs from now on names the device too.
    this.scopedLog = undefined;
    const [board, lockdown, restricted] = await Promise.all([
      this.ctx.services.advisories.current(),
      this.ctx.services.lockdown.get(device.username),
      this.ctx.services.restrictions.isRestricted(device.username),
    ]);
    this.respond(id, {
      case: 'hello',
      value: create(HelloOkSchema, {
        username: device.username,
        deviceId: device.deviceId,
        keyPackagesRemaining: keyPackages.remaining,
        keyPackagesLow: keyPackages.low,
        advisoryKey: board.key,
        advisories: [...board.advisories],
        lockdown: create(LockdownStateSchema, { enabled: lockdown.enabled, refused: lockdown.refused }),
        restricted,
      }),
    });
    this.debug({}, 'authenticated');
    try {
      await this.ctx.registry.claim(address, this);
    } catch (error) {
      // The hello already succeeded; an older connection elsewhere lingers until its own heartbeat fails.
      this.log.warn({ err: errorSummary(error) }, 'could not announce the takeover');
    }
    pump.trigger();
  }

  private async authenticate(hello: FrameBody<FrameType.HELLO>, nonce: Uint8Array): Promise<DeviceRecord> {
    const { accounts } = this.ctx.services;
    if (hello.protocolVersion !== PROTOCOL_VERSION) {
      throw new ServerError(
        ErrorCode.UNSUPPORTED_PROTOCOL,
        `This server speaks protocol version ${PROTOCOL_VERSION}; the client sent ${hello.protocolVersion}.`,
      );
    }
    await accounts.checkClientVersion(hello.clientVersion);
    const auth = hello.auth;
    switch (auth.case) {
      case 'register':
        return accounts.register({ ...auth.value, nonce, signature: hello.signature, ...this.limitingAddress });
      case 'login':
        return accounts.login({ ...auth.value, nonce, signature: hello.signature });
      case undefined:
        throw new ServerError(ErrorCode.INVALID_ARGUMENT, 'A hello needs either login or register.');
      default:
        throw missingCase(auth);
    }
  }

  // ---- bus and mailbox ----

  private onBusEvent(event: BusEvent): void {
    if (this.state.kind !== 'authenticated') return;
    switch (event.kind) {
      case 'mail':
        this.state.pump.trigger();
        return;
      case 'replaced':
        if (event.connectionId !== this.id) this.replaced(this.state.pump);
        return;
      case 'notice':
        this.sendNotice(event.notice.kind, event.notice.count, event.notice.message, event.notice.lockdown);
        return;
      default:
        throw missingCase(event);
    }
  }

  private replaced(pump: MailboxPump): void {
    void pump.stop();
    this.sendNotice(NoticeKind.REPLACED, 0, 'A newer connection of this device took over.');
    this.close(CloseCode.REPLACED, 'replaced by a newer connection');
  }

  /** PumpSink: one mailbox entry as a DELIVERY frame. */
  deliver(entry: MailboxEntry): Promise<void> {
    const bytes = encodeFrame(
      FrameType.DELIVERY,
      0,
      create(DeliverySchema, {
        seq: entry.seq,
        kind: entry.kind,
        senderUsername: entry.sender.username,
        senderDeviceId: entry.sender.deviceId,
        groupId: entry.groupId,
        messageId: entry.messageId,
        payload: entry.payload,
        storedAt: BigInt(entry.storedAt),
        epoch: entry.epoch,
      }),
    );
    this.ctx.metrics.mailboxDeliveries.inc();
    return this.send(bytes);
  }

  /** PumpSink: wait while the client is not taking what it was sent. */
  whenWritable(): Promise<void> | undefined {
    return this.backlog.whenWritable();
  }

  /** PumpSink: the first pass over the mailbox is done. */
  drained(count: number): void {
    this.sendNotice(NoticeKind.MAILBOX_DRAINED, count, `Delivered ${count} queued entries.`);
  }

  // ---- outgoing ----

  private async sendChallenge(): Promise<void> {
    try {
      const { accounts } = this.ctx.services;
      const [minClientVersion, inviteRequired] = await Promise.all([accounts.minClientVersion(), accounts.inviteRequired()]);
      const state = this.state;
      if (state.kind !== 'awaiting-hello') return;
      this.sendFrame(
        FrameType.CHALLENGE,
        0,
        create(ChallengeSchema, {
          nonce: state.nonce,
          protocolVersion: PROTOCOL_VERSION,
          serverVersion: SOFTWARE_VERSION,
          minClientVersion,
          inviteRequired,
        }),
      );
    } catch (error) {
      this.log.error({ err: errorSummary(error) }, 'could not send the challenge');
      this.close(CloseCode.SERVER_ERROR, 'server error');
    }
  }

  private respond(id: number, result: ResponseResult): void {
    try {
      this.sendFrame(FrameType.RESPONSE, id, create(ResponseSchema, { result }));
    } catch (error) {
      // A result too large for a RESPONSE frame: say so rather than leave the request hanging.
      this.sendError(id, error);
    }
  }

  private sendError(id: number, error: unknown): void {
    const wire = toWireError(error, this.log, this.ctx.metrics);
    this.sendFrame(FrameType.RESPONSE, id, create(ResponseSchema, { result: { case: 'error', value: wire } }));
    if (isRefusal(wire.code) && this.guard.refused() === 'close') this.closeFlooding('refusals');
  }

  /** A newly published advisory, for an authenticated device (others get the list at hello). */
  pushAdvisory(advisoryKey: Uint8Array, advisory: SignedAdvisory): void {
    if (this.state.kind !== 'authenticated') return;
    this.sendFrame(FrameType.ADVISORY, 0, create(AdvisoryPushSchema, { advisoryKey, advisory }));
  }

  private sendNotice(kind: NoticeKind, count: number, message: string, lockdown?: { enabled: boolean; refused: number }): void {
    this.sendFrame(FrameType.NOTICE, 0, create(NoticeSchema, { kind, count, message, ...(lockdown ? { lockdown: create(LockdownStateSchema, lockdown) } : {}) }));
  }

  private sendFrame<T extends KnownFrameType>(type: T, id: number, body: FrameBody<T>): void {
    this.write(encodeFrame(type, id, body));
  }

  /** Resolves once the socket took the bytes (or is gone); never rejects. */
  private send(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      if (!this.write(bytes, resolve)) resolve();
    });
  }

  /** Queues one frame; `done` is called once the socket took it. False if the socket is not open. */
  private write(bytes: Uint8Array, done?: () => void): boolean {
    if (this.socket.readyState !== WebSocket.OPEN) return false;
    this.corkUntilTickEnds();
    this.socket.send(bytes, { binary: true }, done ? () => (this.onFrameFlushed(), done()) : this.onFrameFlushed);
    if (this.backlog.wrote(this.socket.bufferedAmount)) this.onBacklogFull();
    return true;
  }

  /** The client is not keeping up: read nothing more from it, and watch for it having stopped reading. */
  private onBacklogFull(): void {
    this.ctx.metrics.backlogFull.inc();
    this.pauseReading();
    this.watchForStall();
  }

  private onBacklogDrained(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    this.resumeReadingIfRoom();
  }

  private watchForStall(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => {
      this.stallTimer = undefined;
      if (this.closing || !this.backlog.isFull) return;
      if (this.backlog.stalled()) this.closeFlooding('stalled');
      else this.watchForStall();
    }, this.backlog.untilStalled());
    this.stallTimer.unref();
  }

  /**
   * The frames of one turn (a group commit's answers and deliveries) leave in one write: each
   * frame was a syscall of its own, 8-12% of the server's time in relay profiles.
   */
  private corkUntilTickEnds(): void {
    const stream = this.stream;
    if (this.corked || !stream) return;
    this.corked = true;
    stream.cork();
    process.nextTick(() => {
      this.corked = false;
      stream.uncork();
    });
  }

  // ---- closing ----

  private close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.socket.close(code, reason);
  }

  /**
   * Closes a flood with 4004. Its client may not read the close frame (it may not read at all),
   * so the socket is cut after a short grace rather than the 30 s `ws` would wait for an answer.
   */
  private closeFlooding(reason: 'refusals' | 'stalled'): void {
    if (this.closing) return;
    this.ctx.metrics.floodCloses.inc({ reason });
    this.debug({ reason }, 'flooding; closing');
    this.close(CloseCode.FLOODING, reason === 'stalled' ? 'not reading' : 'flooding');
    setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS).unref();
  }

  private onClose(code: number): void {
    this.closing = true;
    const state = this.state;
    if (state.kind === 'awaiting-hello') clearTimeout(state.timer);
    this.state = { kind: 'closed' };
    clearTimeout(this.stallTimer);
    // Whatever waits for room to write (the frame queue, the mailbox pump) goes on and finds the connection closed.
    this.backlog.abandon();
    this.ctx.metrics.connections.dec();
    let pumpStopped: Promise<void> = Promise.resolve();
    if (state.kind === 'authenticated') {
      state.unsubscribe();
      pumpStopped = state.pump.stop();
      this.ctx.registry.remove(this, state.device);
    } else {
      this.ctx.registry.remove(this);
    }
    this.debug({ code }, 'closed');
    void Promise.all([pumpStopped, this.processing, this.sendsAnswered()]).then(() => {
      this.finished = true;
      this.resolveClosed?.();
    });
  }
}

function toBytes(data: RawData): Uint8Array {
  const buffer = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? Buffer.from(data) : data;
  // A plain view, so decoded byte fields are Uint8Array rather than Buffer slices.
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** A bounded label set: known frame type names, or UNKNOWN. */
function frameTypeLabel(type: number | undefined): string {
  return (type !== undefined && FrameType[type]) || 'UNKNOWN';
}

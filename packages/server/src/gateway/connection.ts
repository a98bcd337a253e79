/** @module gateway/connection */
// One client's protocol session and its small state machine:
// awaiting-hello -> authenticated -> closed. It knows its socket only as a ServerSocket (ws or
// in-memory). Frames are read by FrameIntake (one at a time in arrival order, paused when they
// pile up), so auth state never races and responses come back in request order. SENDs are
// pipelined: the next frame is read once a SEND's write is queued in the store, not once it is
// durable, and SendPipeline answers them in order. A bad frame gets an error response and the
// connection carries on: bad input harms nothing else. What the connection holds for its client
// is bounded (FrameWriter's WriteBacklog): over the bound it reads and answers nothing more until
// the client has taken its answers. Refused frames cost it next to nothing (FloodGuard), and a
// connection that floods, or stops reading for good, is closed with 4004.
import { randomBytes } from 'node:crypto';
import { AdvisoryPushSchema, create, decodeFrame, ErrorCode, FrameType, NoticeKind, ProtocolError, type Frame, type FrameBody, type SignedAdvisory } from '@sotto/protocol';
import type { Bus } from '../bus/bus.js';
import { ServerError } from '../errors.js';
import { errorSummary, shortDevice, shortId, type Logger } from '../logger.js';
import type { ServerMetrics } from '../metrics.js';
import type { Services } from '../services/services.js';
import type { Store } from '../storage/store.js';
import type { DeviceAddress } from '../storage/types.js';
import { DEFAULT_RATE_LIMIT, type RateLimit } from '../token-bucket.js';
import { addressKey } from '../rate-limits/address-key.js';
import type { Clock } from '../clock.js';
import { CloseCode } from './close-codes.js';
import { DeviceSession, type SessionOwner } from './device-session.js';
import type { ConnectionRegistry } from './connection-registry.js';
import { DEFAULT_FLOOD_LIMITS, type FloodLimits } from './flood-guard.js';
import { FloodResponse, type FloodReason } from './flood-response.js';
import { FrameIntake, type IntakeOwner } from './frame-intake.js';
import { routeFrame, type FrameRoutes } from './frame-routes.js';
import { FrameWriter, type WriterOwner } from './frame-writer.js';
import { HELLO_TIMEOUT_MS, HelloHandshake, helloOkFor, type HandshakeOwner } from './hello.js';
import type { RequestFrame } from './requests.js';
import type { ServerSocket, ServerSocketHandlers } from './server-socket.js';
import { DEFAULT_BACKLOG_LIMITS, WriteBacklog, type BacklogLimits } from './write-backlog.js';

/** 96 random bits name a connection. */
const CONNECTION_ID_BYTES = 12;
/** How long a closing client gets to answer the close handshake. */
const CLOSE_GRACE_MS = 2_000;
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

// What a connection holds lives in its state, so an idle authenticated one keeps nothing of its
// hello (nonce, timer): at 20,000 connections each byte is 20 KB.
type State =
  | { readonly kind: 'awaiting-hello'; readonly handshake: HelloHandshake }
  | { readonly kind: 'authenticated'; readonly session: DeviceSession }
  | { readonly kind: 'closed' };

// The helpers' owner interfaces, the frame routes and the socket's handlers are implemented by the
// connection itself rather than by closures: objects less per connection, at tens of thousands.
export class Connection implements ServerSocketHandlers, IntakeOwner, WriterOwner, SessionOwner, HandshakeOwner, FrameRoutes {
  /**
   * Unique across the nodes of a cluster (a takeover names the connection that won). Not
   * randomUUID: V8 keeps its UUID as a tree of ten concatenated pieces, ~300 bytes a connection.
   */
  readonly id = randomBytes(CONNECTION_ID_BYTES).toString('base64url');

  private state: State;
  /** The key rate limits count this client's address by; empty when it is not limited by address. */
  readonly limitingAddress: { readonly address?: string };
  private readonly intake: FrameIntake;
  private readonly out: FrameWriter;
  /** What was written to the client and not yet taken by the network. */
  private readonly backlog: WriteBacklog;
  private isClosing = false;
  private alive = true;
  /** This connection's scoped logger, made on first use: most connections never log (a child and two hashes each). */
  private scopedLog: Logger | undefined;
  /** Made when someone waits for the close (shutdown, tests). */
  private closedPromise: Promise<void> | undefined;
  private resolveClosed: (() => void) | undefined;
  private finished = false;
  /** Made at the first refused frame: most connections are never refused one. */
  private floodResponse: FloodResponse | undefined;

  constructor(
    private readonly socket: ServerSocket,
    private readonly ctx: ConnectionContext,
  ) {
    const key = addressKey(socket.remoteAddress);
    this.limitingAddress = key !== undefined ? { address: key } : {};
    this.backlog = new WriteBacklog(ctx.backlogLimits ?? DEFAULT_BACKLOG_LIMITS, monotonic);
    this.intake = new FrameIntake(socket, this.backlog, ctx.rateLimit ?? DEFAULT_RATE_LIMIT, ctx.metrics, this);
    this.out = new FrameWriter(socket, this.backlog, ctx.metrics, this);
    ctx.registry.add(this);
    ctx.metrics.connections.inc();
    socket.listen(this);
    const handshake = new HelloHandshake(ctx.services, this.out, this, ctx.helloTimeoutMs ?? HELLO_TIMEOUT_MS);
    this.state = { kind: 'awaiting-hello', handshake };
    this.intake.enqueue(() => handshake.sendChallenge(), 0);
  }

  /** Resolves once the socket closed and no frame or mailbox pass is still running. */
  get closed(): Promise<void> {
    return (this.closedPromise ??= this.finished
      ? Promise.resolve()
      : new Promise((resolve) => {
          this.resolveClosed = resolve;
        }));
  }

  get closing(): boolean {
    return this.isClosing;
  }

  get log(): Logger {
    if (!this.scopedLog) {
      const device = this.device;
      this.scopedLog = this.ctx.log.child({ conn: shortId(this.id), ...(device ? { device: shortDevice(device) } : {}) });
    }
    return this.scopedLog;
  }

  get device(): DeviceAddress | undefined {
    return this.state.kind === 'authenticated' ? this.state.session.device : undefined;
  }

  /** Re-reads this device's mailbox: after a bus outage, notifications for it may have been lost. */
  repump(): void {
    if (this.state.kind === 'authenticated' && !this.isClosing) this.state.session.pump.trigger();
  }

  /** Pings; a client that did not answer the previous ping is cut off. */
  heartbeat(): void {
    if (this.isClosing) return;
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
    if (!this.isClosing) {
      this.out.sendNotice(NoticeKind.SHUTTING_DOWN, 0, 'The server is shutting down; reconnect later.');
      this.close(CloseCode.GOING_AWAY, 'server shutting down');
    }
    const timer = setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS);
    await this.closed;
    clearTimeout(timer);
  }

  /** A newly published advisory, for an authenticated device (others get the list at hello). */
  pushAdvisory(advisoryKey: Uint8Array, advisory: SignedAdvisory): void {
    if (this.state.kind !== 'authenticated') return;
    this.out.sendFrame(FrameType.ADVISORY, 0, create(AdvisoryPushSchema, { advisoryKey, advisory }));
  }

  // ---- the socket's events (ServerSocketHandlers) ----

  onMessage(bytes: Uint8Array, isBinary: boolean): void {
    if (this.isClosing) return;
    this.alive = true;
    this.intake.receive(bytes, isBinary);
  }

  onPong(): void {
    this.alive = true;
  }

  onError(error: Error): void {
    this.debug({ err: errorSummary(error) }, 'socket error');
  }

  onClose(code: number): void {
    this.isClosing = true;
    const state = this.state;
    if (state.kind === 'awaiting-hello') state.handshake.stop();
    this.state = { kind: 'closed' };
    this.out.stop();
    // Whatever waits for room to write (the frame queue, the mailbox pump) goes on and finds the connection closed.
    this.backlog.abandon();
    this.ctx.metrics.connections.dec();
    let pumpStopped: Promise<void> = Promise.resolve();
    let sendsAnswered: Promise<void> = Promise.resolve();
    if (state.kind === 'authenticated') {
      pumpStopped = state.session.stop();
      sendsAnswered = state.session.sendsAnswered();
      this.ctx.registry.remove(this, state.session.device);
    } else {
      this.ctx.registry.remove(this);
    }
    this.debug({ code }, 'closed');
    void Promise.all([pumpStopped, this.intake.processing, sendsAnswered]).then(() => {
      this.finished = true;
      this.resolveClosed?.();
    });
  }

  // ---- reading (IntakeOwner) ----

  refuseOverRate(id: number): void {
    this.flood.overRate(id);
  }

  async handleMessage(bytes: Uint8Array, isBinary: boolean, headerId: number): Promise<void> {
    let frame: Frame;
    try {
      if (!isBinary) throw new ProtocolError(ErrorCode.FRAME_MALFORMED, 'Frames are binary WebSocket messages; text is refused.');
      frame = decodeFrame(bytes);
    } catch (error) {
      this.out.sendError(headerId, error);
      return;
    }
    const started = performance.now();
    if (frame.type === FrameType.SEND && this.state.kind === 'authenticated') return this.state.session.pipelineSend(frame, started);
    // Anything else (but an ACK, which has no answer) waits for the SENDs before it: one order for every answer.
    if (frame.type !== FrameType.ACK) await this.sendsAnswered();
    try {
      await routeFrame(frame, this);
    } catch (error) {
      this.out.sendError(frame.id, error);
    } finally {
      this.ctx.metrics.requestDuration.observe({ type: FrameType[frame.type] }, (performance.now() - started) / 1000);
    }
  }

  // ---- writing (WriterOwner) ----

  backlogFull(): void {
    this.intake.pauseReading();
  }

  backlogDrained(): void {
    this.intake.resumeReadingIfRoom();
  }

  stalled(): void {
    this.closeFlooding('stalled');
  }

  refused(): void {
    this.flood.refused();
  }

  // ---- routes (FrameRoutes) ----

  async ack(seqs: readonly bigint[]): Promise<void> {
    this.authenticated().ack(seqs);
  }

  request(frame: RequestFrame): Promise<void> {
    return this.authenticated().request(frame);
  }

  private authenticated(): DeviceSession {
    if (this.state.kind !== 'authenticated') throw new ServerError(ErrorCode.NOT_AUTHENTICATED);
    return this.state.session;
  }

  /** Resolves once every pipelined SEND was answered. */
  private sendsAnswered(): Promise<void> {
    return this.state.kind === 'authenticated' ? this.state.session.sendsAnswered() : Promise.resolve();
  }

  // ---- hello ----

  async hello(id: number, hello: FrameBody<FrameType.HELLO>): Promise<void> {
    const state = this.state;
    if (state.kind !== 'awaiting-hello') throw new ServerError(ErrorCode.ALREADY_AUTHENTICATED);
    const device = await state.handshake.prove(id, hello);
    if (!device) return;
    const keyPackages = await this.ctx.services.keyPackages.status(device);
    if (this.isClosing) return;
    const address: DeviceAddress = { username: device.username, deviceId: device.deviceId };
    const session = new DeviceSession(address, this.ctx, this.out, this.backlog, this);
    state.handshake.stop();
    this.state = { kind: 'authenticated', session };
    this.floodResponse?.authenticated();
    // Whatever logs from now on names the device too.
    this.scopedLog = undefined;
    this.out.respond(id, { case: 'hello', value: await helloOkFor(this.ctx.services, device, keyPackages) });
    this.debug({}, 'authenticated');
    try {
      await this.ctx.registry.claim(address, this);
    } catch (error) {
      // The hello already succeeded; an older connection elsewhere lingers until its own heartbeat fails.
      this.log.warn({ err: errorSummary(error) }, 'could not announce the takeover');
    }
    session.pump.trigger();
  }

  // ---- flooding and closing ----

  private get flood(): FloodResponse {
    if (!this.floodResponse) {
      const flood = new FloodResponse(this.ctx.floodLimits ?? DEFAULT_FLOOD_LIMITS, monotonic, this.out, this.ctx.metrics, (reason) => this.closeFlooding(reason));
      if (this.state.kind === 'authenticated') flood.authenticated();
      this.floodResponse = flood;
    }
    return this.floodResponse;
  }

  /** A debug line, without making the scoped logger when debug is off (it nearly always is). */
  private debug(fields: Record<string, unknown>, message: string): void {
    if (this.ctx.log.isLevelEnabled('debug')) this.log.debug(fields, message);
  }

  close(code: number, reason: string): void {
    if (this.isClosing) return;
    this.isClosing = true;
    this.socket.close(code, reason);
  }

  /**
   * Closes a flood with 4004. Its client may not read the close frame (it may not read at all),
   * so the socket is cut after a short grace rather than the 30 s `ws` would wait for an answer.
   */
  private closeFlooding(reason: FloodReason): void {
    if (this.isClosing) return;
    this.ctx.metrics.floodCloses.inc({ reason });
    this.debug({ reason }, 'flooding; closing');
    this.close(CloseCode.FLOODING, reason === 'stalled' ? 'not reading' : 'flooding');
    setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS).unref();
  }
}

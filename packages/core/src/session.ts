/**
 * @module session
 * One authenticated connection to the server, re-established with backoff
 * when it drops. Speaks frames: waits for the Challenge, answers with Hello,
 * then matches responses to requests by id.
 */
import {
  AckSchema,
  create,
  NoticeKind,
  decodeFrame,
  encodeFrame,
  ErrorCode,
  FrameType,
  ProtocolError,
  type Challenge,
  type Delivery,
  type FrameBody,
  type Hello,
  type HelloOk,
  type AdvisoryPush,
  type KnownFrameType,
  type Notice,
  type Response,
} from '@sotto/protocol';
import { ClientError, RemoteError } from './errors.js';
import type { Clock, Logger, Random, Transport, TransportSocket } from './ports.js';

export type SessionState = 'idle' | 'connecting' | 'ready' | 'reconnecting' | 'closed';

export type RequestType = Exclude<KnownFrameType, FrameType.CHALLENGE | FrameType.RESPONSE | FrameType.DELIVERY | FrameType.NOTICE | FrameType.ACK>;

export interface SessionOptions {
  readonly serverUrl: string;
  readonly transport: Transport;
  readonly clock: Clock;
  /** For the reconnect jitter: injected like every other source of randomness, so tests can fix it. */
  readonly random: Random;
  readonly logger: Logger;
  /** Builds the Hello for a challenge (login or register). */
  readonly hello: (challenge: Challenge) => Promise<Hello>;
  readonly onDelivery: (delivery: Delivery) => void;
  readonly onNotice: (notice: Notice) => void;
  readonly onStateChange: (state: SessionState) => void;
  /** Called after every successful hello, the first included. */
  readonly onReady: (hello: HelloOk) => void;
  /** A security advisory the server pushed (unverified: the engine checks its signature). */
  readonly onAdvisory?: (push: AdvisoryPush) => void;
  readonly requestTimeoutMs?: number;
  readonly reconnect?: boolean;
}

interface Pending {
  resolve(response: Response): void;
  reject(error: Error): void;
  timer: unknown;
}

/** WebSocket close code: this device was removed from its account (the server's CloseCode.DEVICE_REMOVED). */
const DEVICE_REMOVED_CLOSE = 4005;
const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 15_000;

/**
 * The WebSocket endpoint for a server's base URL (http -> ws, https -> wss; ws and wss kept).
 * A secure URL never becomes a plain one: anything else is refused rather than guessed.
 */
export function webSocketUrl(serverUrl: string): string {
  const url = new URL(serverUrl);
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  if (!secure && url.protocol !== 'http:' && url.protocol !== 'ws:') {
    throw new ClientError('INVALID_INPUT', `A server address starts with https:// or http://, not ${url.protocol}//.`);
  }
  url.protocol = secure ? 'wss:' : 'ws:';
  url.pathname = '/v1/ws';
  return url.toString();
}

/** A uniform fraction in [0, 1) from 32 random bits. */
function jitterFraction(random: Random): number {
  const [a = 0, b = 0, c = 0, d = 0] = random.bytes(4);
  return (((a << 24) >>> 0) + (b << 16) + (c << 8) + d) / 2 ** 32;
}

export class Session {
  private socket: TransportSocket | undefined;
  private state: SessionState = 'idle';
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private attempts = 0;
  private reconnectTimer: unknown;
  private challengeWaiter: ((challenge: Challenge) => void) | undefined;
  /** Set when the server told us to stop: update required, or replaced by a newer connection. */
  private fatal: ClientError | undefined;

  constructor(private readonly options: SessionOptions) {}

  get currentState(): SessionState {
    return this.state;
  }

  /** Why the session stopped for good (update required, replaced by another connection), if it did. */
  get stopReason(): ClientError | undefined {
    return this.fatal;
  }

  /** Connects and authenticates once; rejects with the server's reason if it refuses. */
  async open(): Promise<HelloOk> {
    if (this.state === 'closed') throw new ClientError('NOT_CONNECTED', 'Session is closed.');
    this.fatal = undefined; // opening again is the member's decision (e.g. "use Sotto here")
    this.setState(this.state === 'reconnecting' ? 'reconnecting' : 'connecting');
    const challenge = new Promise<Challenge>((resolve) => (this.challengeWaiter = resolve));
    const socket = await this.options.transport.open(webSocketUrl(this.options.serverUrl), {
      onMessage: (data) => this.onMessage(data),
      onClose: (code, reason) => this.onClose(socket, code, reason),
    });
    this.socket = socket;
    const challengeFrame = await this.withTimeout(challenge, 'The server sent no challenge.');
    const hello = await this.options.hello(challengeFrame);
    const response = await this.rawRequest(FrameType.HELLO, hello).catch((error: unknown) => {
      // The server no longer knows this device (another device of the account removed it): every
      // reconnect would be refused the same way, so the session stops, keeping that reason.
      if (error instanceof RemoteError && error.wireCode === ErrorCode.UNKNOWN_DEVICE) {
        this.fatal ??= new ClientError('DEVICE_REMOVED', 'This device is no longer a device of its account (it was removed on another device).');
      }
      throw error;
    });
    if (response.result.case !== 'hello') throw new ClientError('REMOTE', 'Unexpected answer to hello.');
    this.attempts = 0;
    this.setState('ready');
    this.options.onReady(response.result.value);
    return response.result.value;
  }

  /** Sends a request and resolves with its result; server errors reject as RemoteError. */
  async request<T extends RequestType>(type: T, body: FrameBody<T>): Promise<Response['result']> {
    if (this.state !== 'ready') {
      throw this.fatal ?? new ClientError('NOT_CONNECTED', 'Not connected to the server.');
    }
    return (await this.rawRequest(type, body)).result;
  }

  ack(seqs: bigint[]): void {
    if (!this.socket || this.state !== 'ready' || seqs.length === 0) return;
    this.socket.send(encodeFrame(FrameType.ACK, 0, create(AckSchema, { seqs })));
  }

  close(): void {
    this.setState('closed');
    this.options.clock.clearTimeout(this.reconnectTimer);
    this.socket?.close(1000, 'bye');
    this.failPending(new ClientError('NOT_CONNECTED', 'Session closed.'));
  }

  // ---- internals ----

  private async rawRequest<T extends RequestType>(type: T, body: FrameBody<T>): Promise<Response> {
    const socket = this.socket;
    if (!socket) throw new ClientError('NOT_CONNECTED', 'Not connected to the server.');
    const id = this.nextId++ >>> 0 || this.nextId++;
    const frame = encodeFrame(type, id, body);
    const response = await new Promise<Response>((resolve, reject) => {
      const timer = this.options.clock.setTimeout(() => {
        this.pending.delete(id);
        reject(new ClientError('TIMEOUT', 'The server did not answer in time.'));
      }, this.options.requestTimeoutMs ?? 20_000);
      this.pending.set(id, { resolve, reject, timer });
      socket.send(frame);
    });
    if (response.result.case === 'error') {
      throw new RemoteError(response.result.value.code, response.result.value.message, response.result.value.retryAfterMs);
    }
    return response;
  }

  private onMessage(data: Uint8Array): void {
    let frame;
    try {
      frame = decodeFrame(data);
    } catch (error) {
      // A server frame we cannot read is dropped, never half-processed.
      this.options.logger.warn({ code: error instanceof ProtocolError ? error.code : 'unknown' }, 'dropped undecodable frame');
      return;
    }
    switch (frame.type) {
      case FrameType.CHALLENGE:
        this.challengeWaiter?.(frame.body);
        this.challengeWaiter = undefined;
        return;
      case FrameType.RESPONSE: {
        const pending = this.pending.get(frame.id);
        if (!pending) return;
        this.pending.delete(frame.id);
        this.options.clock.clearTimeout(pending.timer);
        const result = frame.body.result;
        if (result.case === 'error' && (result.value.code === ErrorCode.UPDATE_REQUIRED || result.value.code === ErrorCode.UNSUPPORTED_PROTOCOL)) {
          this.fatal = new RemoteError(result.value.code, result.value.message);
        }
        pending.resolve(frame.body);
        return;
      }
      case FrameType.DELIVERY:
        this.options.onDelivery(frame.body);
        return;
      case FrameType.ADVISORY:
        this.options.onAdvisory?.(frame.body);
        return;
      case FrameType.NOTICE:
        if (frame.body.kind === NoticeKind.REPLACED) {
          this.fatal = new ClientError('REPLACED', 'Another connection of this device took over.');
        }
        this.options.onNotice(frame.body);
        return;
      default:
        this.options.logger.warn({ type: frame.type }, 'dropped unexpected frame type');
    }
  }

  private onClose(socket: TransportSocket, code: number, _reason: string): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    // The server's close code for a device its account removed: reconnecting could only be refused.
    if (code === DEVICE_REMOVED_CLOSE) this.fatal ??= new ClientError('DEVICE_REMOVED', 'This device was removed from its account by another of its devices.');
    this.failPending(this.fatal ?? new ClientError('NOT_CONNECTED', `Connection lost (${code}).`));
    if (this.state === 'closed') return;
    if (this.fatal || this.options.reconnect === false || this.state === 'connecting') {
      this.setState('idle');
      return;
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.setState('reconnecting');
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempts);
    const delay = ceiling / 2 + jitterFraction(this.options.random) * (ceiling / 2);
    this.attempts += 1;
    this.options.logger.info({ attempt: this.attempts, delayMs: Math.round(delay) }, 'reconnecting');
    this.reconnectTimer = this.options.clock.setTimeout(() => {
      this.open().catch((error: unknown) => {
        this.options.logger.warn({ error: error instanceof Error ? error.name : 'unknown' }, 'reconnect failed');
        this.socket?.close();
        this.socket = undefined;
        if (this.state !== 'closed' && !this.fatal) this.scheduleReconnect();
        else if (this.state !== 'closed') this.setState('idle');
      });
    }, delay);
  }

  private failPending(error: Error): void {
    for (const [id, pending] of this.pending) {
      this.options.clock.clearTimeout(pending.timer);
      pending.reject(error);
      this.pending.delete(id);
    }
    this.challengeWaiter = undefined;
  }

  private withTimeout<T>(promise: Promise<T>, message: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.options.clock.setTimeout(() => reject(new ClientError('TIMEOUT', message)), this.options.requestTimeoutMs ?? 20_000);
      promise.then(
        (value) => {
          this.options.clock.clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          this.options.clock.clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  private setState(state: SessionState): void {
    if (this.state === state) return;
    this.state = state;
    this.options.onStateChange(state);
  }
}

/**
 * @module group-calls/janus-session
 * A member's side of Janus's API over WebSocket: one session, VideoRoom handles on it, requests
 * matched to answers by transaction, and the room's own events (a publisher came, one left)
 * handed to the handle they are for. Every request carries the member's token from the Sotto
 * server's ticket (Janus token_auth): without it Janus answers nothing. Pure: the platform hands
 * in the socket (`ws` in Node, the browser's WebSocket) and the clock, so Node and the web app
 * speak to the SFU with this one code.
 *
 * What Janus sends is input like any other: messages are bounded (64 KiB) and parsed defensively,
 * and a message of an unexpected shape is dropped, never trusted.
 */
import type { Clock } from '../ports.js';

/** A WebSocket to the SFU, opened with the `janus-protocol` subprotocol. */
export interface JanusSocket {
  send(text: string): void;
  close(): void;
}

export interface JanusSocketEvents {
  onMessage(text: string): void;
  /** The socket closed or failed; called at most once. */
  onClose(): void;
}

/** Opens a socket to `url`; rejects when it cannot be opened. */
export type JanusConnect = (url: string, events: JanusSocketEvents) => Promise<JanusSocket>;

/** Janus's messages are small JSON; an SDP is a few KiB. Larger ones end the session. */
export const MAX_JANUS_MESSAGE_CHARS = 64 * 1024;
/** Janus ends a session after 60 s without a request (session_timeout): keep it alive well before. */
const KEEPALIVE_MS = 25_000;
const REQUEST_TIMEOUT_MS = 10_000;

/** A session description as Janus carries it; `e2ee` marks SFrame-protected media. */
export interface JanusJsep {
  readonly type: 'offer' | 'answer';
  readonly sdp: string;
  readonly e2ee?: boolean;
}

/** What the VideoRoom answered: its data (and a description when negotiating), or why not. */
export type VideoRoomAnswer =
  | { readonly ok: true; readonly data: Readonly<Record<string, unknown>>; readonly jsep?: JanusJsep }
  | { readonly ok: false; readonly code: number; readonly reason: string };

export class JanusError extends Error {
  override readonly name = 'JanusError';
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsepOf(value: unknown): JanusJsep | undefined {
  if (!isObject(value)) return undefined;
  if ((value.type !== 'offer' && value.type !== 'answer') || typeof value.sdp !== 'string') return undefined;
  return { type: value.type, sdp: value.sdp, ...(value.e2ee === true ? { e2ee: true } : {}) };
}

export class JanusSession {
  private transactions = 0;
  private readonly waiting = new Map<string, { resolve: (message: JsonObject) => void; acked: boolean }>();
  private readonly handles = new Map<number, JanusHandle>();
  private keepalive: unknown;
  private closed = false;
  private sessionId = 0;
  private socket: JanusSocket | undefined;

  private constructor(
    private readonly token: string,
    private readonly clock: Clock,
    private readonly onClosed: (reason: string) => void,
  ) {}

  /** Connects and creates a session; `onClosed` hears once if the SFU goes away before `close`. */
  static async open(connect: JanusConnect, url: string, token: string, clock: Clock, onClosed: (reason: string) => void): Promise<JanusSession> {
    if (!/^wss?:\/\//.test(url)) throw new JanusError('The SFU address is not a ws:// or wss:// URL.');
    const session = new JanusSession(token, clock, onClosed);
    try {
      session.socket = await connect(url, {
        onMessage: (text) => session.onMessage(text),
        onClose: () => session.fail('the connection to the SFU closed'),
      });
    } catch {
      throw new JanusError('The SFU could not be reached.');
    }
    let created: JsonObject;
    try {
      created = await session.send({ janus: 'create' });
    } catch (error) {
      session.close(); // no answer: the socket must not outlive the attempt
      throw error;
    }
    const id = isObject(created.data) ? created.data.id : undefined;
    if (created.janus !== 'success' || typeof id !== 'number') {
      session.close();
      throw new JanusError(`The SFU refused the session: ${describeError(created)}.`);
    }
    session.sessionId = id;
    session.scheduleKeepalive();
    return session;
  }

  /** A handle on the VideoRoom plugin. */
  async attach(onEvent: (data: JsonObject, jsep: JanusJsep | undefined) => void): Promise<JanusHandle> {
    const attached = await this.send({ janus: 'attach', session_id: this.sessionId, plugin: 'janus.plugin.videoroom' });
    const id = isObject(attached.data) ? attached.data.id : undefined;
    if (attached.janus !== 'success' || typeof id !== 'number') throw new JanusError(`The SFU refused the room plugin: ${describeError(attached)}.`);
    const handle = new JanusHandle(this, id, onEvent);
    this.handles.set(id, handle);
    return handle;
  }

  /** Ends the session (Janus tears down its handles and peer connections); idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clock.clearTimeout(this.keepalive);
    if (this.sessionId !== 0) {
      try {
        this.socket?.send(JSON.stringify({ janus: 'destroy', session_id: this.sessionId, transaction: 'bye', token: this.token }));
      } catch {
        // The socket is gone already: Janus ends the session by itself.
      }
    }
    this.socket?.close();
    for (const { resolve } of this.waiting.values()) resolve({ janus: 'error', error: { code: 0, reason: 'closed' } });
    this.waiting.clear();
  }

  /** @internal One request; resolves with Janus's answer (for a plugin request: its event, not the ack). */
  send(request: JsonObject): Promise<JsonObject> {
    const socket = this.socket;
    if (this.closed || !socket) return Promise.reject(new JanusError('The connection to the SFU is closed.'));
    const transaction = `t${++this.transactions}`;
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.waiting.delete(transaction);
        reject(new JanusError(`The SFU did not answer (${String(request.janus)}) within ${REQUEST_TIMEOUT_MS / 1000} s.`));
      }, REQUEST_TIMEOUT_MS);
      this.waiting.set(transaction, {
        acked: request.janus === 'trickle' || request.janus === 'keepalive',
        resolve: (message) => {
          this.clock.clearTimeout(timer);
          resolve(message);
        },
      });
      socket.send(JSON.stringify({ ...request, transaction, token: this.token }));
    });
  }

  /** @internal */
  get id(): number {
    return this.sessionId;
  }

  private scheduleKeepalive(): void {
    this.keepalive = this.clock.setTimeout(() => {
      if (this.closed) return;
      void this.send({ janus: 'keepalive', session_id: this.sessionId }).catch(() => undefined);
      this.scheduleKeepalive();
    }, KEEPALIVE_MS);
  }

  private onMessage(text: string): void {
    if (this.closed) return;
    if (text.length > MAX_JANUS_MESSAGE_CHARS) return this.fail('the SFU sent a message over 64 KiB');
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (!isObject(message) || typeof message.janus !== 'string') return;
    const transaction = typeof message.transaction === 'string' ? message.transaction : undefined;
    const waiter = transaction !== undefined ? this.waiting.get(transaction) : undefined;
    if (waiter) {
      // An ack only says a plugin request arrived; its answer follows as an event.
      if (message.janus === 'ack' && !waiter.acked) return;
      this.waiting.delete(transaction!);
      waiter.resolve(message);
      return;
    }
    // The room's own events, for the handle they name.
    if (message.janus === 'event' && typeof message.sender === 'number') {
      const handle = this.handles.get(message.sender);
      const plugindata = isObject(message.plugindata) ? message.plugindata : undefined;
      if (handle && plugindata && isObject(plugindata.data)) handle.dispatch(plugindata.data, jsepOf(message.jsep));
      return;
    }
    if (message.janus === 'hangup' || message.janus === 'detached') {
      const handle = typeof message.sender === 'number' ? this.handles.get(message.sender) : undefined;
      handle?.dispatch({ hangup: true }, undefined);
    }
  }

  private fail(reason: string): void {
    if (this.closed) return;
    this.close();
    this.onClosed(reason);
  }
}

export class JanusHandle {
  constructor(
    private readonly session: JanusSession,
    readonly id: number,
    private readonly onEvent: (data: JsonObject, jsep: JanusJsep | undefined) => void,
  ) {}

  /** A VideoRoom request on this handle, with a session description when negotiating. */
  async request(body: JsonObject, jsep?: JanusJsep): Promise<VideoRoomAnswer> {
    const answer = await this.session.send({ janus: 'message', session_id: this.session.id, handle_id: this.id, body, ...(jsep ? { jsep } : {}) });
    if (answer.janus === 'error') return { ok: false, ...errorParts(answer) };
    const plugindata = isObject(answer.plugindata) ? answer.plugindata : undefined;
    const data = plugindata && isObject(plugindata.data) ? plugindata.data : {};
    if (typeof data.error_code === 'number') return { ok: false, code: data.error_code, reason: String(data.error) };
    const description = jsepOf(answer.jsep);
    return { ok: true, data, ...(description ? { jsep: description } : {}) };
  }

  /** Every candidate was in the description (no trickling). */
  async candidatesComplete(): Promise<void> {
    const answer = await this.session.send({ janus: 'trickle', session_id: this.session.id, handle_id: this.id, candidate: { completed: true } });
    if (answer.janus !== 'ack' && answer.janus !== 'success') throw new JanusError(`The SFU refused the end of candidates: ${describeError(answer)}.`);
  }

  /** Detaches the handle (its peer connection at the SFU ends); best effort. */
  async detach(): Promise<void> {
    await this.session.send({ janus: 'detach', session_id: this.session.id, handle_id: this.id }).catch(() => undefined);
  }

  /** @internal */
  dispatch(data: JsonObject, jsep: JanusJsep | undefined): void {
    this.onEvent(data, jsep);
  }
}

function errorParts(message: JsonObject): { code: number; reason: string } {
  const error = isObject(message.error) ? message.error : {};
  return { code: typeof error.code === 'number' ? error.code : 0, reason: typeof error.reason === 'string' ? error.reason.slice(0, 200) : 'unknown' };
}

function describeError(message: JsonObject): string {
  const { code, reason } = errorParts(message);
  return `${code} ${reason}`;
}

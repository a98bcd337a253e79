/** @module gateway/wire-client */
// The one raw protocol client that tests and benchmarks share (the engine's own
// client is core/session.ts). It connects and reads the challenge, says hello,
// makes requests matched by id, and collects deliveries and notices. It speaks
// the real wire format over a real WebSocket (`connect`) or an in-memory link to
// an in-process server (`connectOver`, with `@sotto/server/in-memory`'s
// transport). Tests wait on what arrives (`nextDelivery`, `nextNotice`); a load
// generator pipelines requests (`request` does not wait for earlier ones), takes
// deliveries through `onDelivery` and waits for `idle`. It is not part of the
// server's runtime.
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { WebSocket } from 'ws';
import {
  authTranscript,
  ContactAction,
  create,
  decodeFrame,
  encodeFrame,
  ErrorCode,
  FRAME_HEADER_BYTES,
  FRAME_SCHEMAS,
  FrameType,
  PROTOCOL_VERSION,
  SOFTWARE_VERSION,
  type Challenge,
  type Delivery,
  type Error as WireError,
  type FrameBody,
  type HelloOk,
  type KnownFrameType,
  type Notice,
  type NoticeKind,
  type Response,
} from '@sotto/protocol';
import { WS_PATH } from './http-gateway.js';
import type { ClientEnd, ClientEndHandlers } from './in-memory-socket.js';

const DEFAULT_TIMEOUT_MS = 5_000;

/** A device identity key pair made with node:crypto: what signs the hello. */
export interface WireIdentity {
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  sign(data: Uint8Array): Uint8Array;
}

export function makeIdentity(): WireIdentity {
  return identityOf(generateKeyPairSync('ed25519'));
}

/** An Ed25519 key pair made elsewhere (a benchmark keeps its own) as a device identity. */
export function identityOf({ publicKey, privateKey }: { publicKey: KeyObject; privateKey: KeyObject }): WireIdentity {
  const x = publicKey.export({ format: 'jwk' }).x;
  if (!x) throw new Error('Ed25519 JWK without x');
  return {
    publicKey: new Uint8Array(Buffer.from(x, 'base64url')),
    sign: (data) => new Uint8Array(sign(null, data, privateKey)),
  };
}

/** The plain-object initialiser of a frame type's body, as `create(schema, init)` takes it. */
export type FrameInit<T extends KnownFrameType> = NonNullable<Parameters<typeof create<(typeof FRAME_SCHEMAS)[T]>>[1]>;

type ResultCase = NonNullable<Response['result']['case']>;
export type ResultValue<C extends ResultCase> = Extract<Response['result'], { case: C }>['value'];

/** The response's result of kind `kind`, or an Error that names the code and message it got instead. */
export function resultOf<C extends ResultCase>(response: Response, kind: C): ResultValue<C> {
  if (response.result.case === kind) return response.result.value as ResultValue<C>;
  throw new Error(`expected ${kind}, got ${describeResult(response)}`);
}

/** The wire error of a response that must have failed with `code`. */
export function errorOf(response: Response, code: ErrorCode): WireError {
  const result = response.result;
  if (result.case === 'error' && result.value.code === code) return result.value;
  throw new Error(`expected error ${ErrorCode[code]}, got ${describeResult(response)}`);
}

export function describeResult(response: Response): string {
  const result = response.result;
  return result.case === 'error' ? `error ${ErrorCode[result.value.code]}: ${result.value.message}` : String(result.case);
}

/** A frame built by hand: any type, any body bytes, no limit check. For feeding the server bad input. */
export function rawFrame(type: number, id: number, body: Uint8Array, version = PROTOCOL_VERSION): Uint8Array {
  const frame = new Uint8Array(FRAME_HEADER_BYTES + body.byteLength);
  const view = new DataView(frame.buffer);
  view.setUint8(0, version);
  view.setUint16(1, type);
  view.setUint32(3, id);
  frame.set(body, FRAME_HEADER_BYTES);
  return frame;
}

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

export interface HelloOptions {
  readonly clientVersion?: string;
  readonly inviteCode?: string;
  readonly protocolVersion?: number;
}

/** A timer for `ms`, or none when `ms` is not finite (a load generator waits as long as it takes). */
function waitLimit(ms: number, onTimeout: () => void): ReturnType<typeof setTimeout> | undefined {
  return Number.isFinite(ms) ? setTimeout(onTimeout, ms) : undefined;
}

/**
 * RESPONSE frames by request id. A waiter is found by id, not by a scan, so a client with
 * thousands of requests in flight (a benchmark's pipeline) stays O(1) a frame; a response nobody
 * waits for yet (or with id 0, for a frame whose id the server could not read) is kept.
 */
class Responses {
  private readonly arrived = new Map<number, Response>();
  private readonly waiting = new Map<number, (response: Response) => void>();

  push(id: number, response: Response): void {
    const resolve = this.waiting.get(id);
    if (resolve) {
      this.waiting.delete(id);
      resolve(response);
    } else this.arrived.set(id, response);
  }

  take(id: number, timeoutMs: number): Promise<Response> {
    const response = this.arrived.get(id);
    if (response) {
      this.arrived.delete(id);
      return Promise.resolve(response);
    }
    return new Promise((resolve, reject) => {
      const timer = waitLimit(timeoutMs, () => {
        this.waiting.delete(id);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for the response to request ${id}`));
      });
      this.waiting.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
    });
  }
}

/** Items pushed by the server, taken in arrival order by waiters. */
class Inbox<T> {
  private readonly items: T[] = [];
  private readonly waiters: { match: (item: T) => boolean; resolve: (item: T) => void }[] = [];

  push(item: T): void {
    const index = this.waiters.findIndex((w) => w.match(item));
    if (index >= 0) this.waiters.splice(index, 1)[0]!.resolve(item);
    else this.items.push(item);
  }

  take(match: (item: T) => boolean, timeoutMs: number, what: string): Promise<T> {
    const index = this.items.findIndex(match);
    if (index >= 0) return Promise.resolve(this.items.splice(index, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = waitLimit(timeoutMs, () => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      });
      const waiter = {
        match,
        resolve: (item: T) => {
          clearTimeout(timer);
          resolve(item);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Items received and not taken yet. */
  pending(): readonly T[] {
    return this.items;
  }
}

/**
 * What the client needs of its socket. A ws WebSocket is one as it is (so tests can reach under
 * it); an in-memory client end is wrapped into one.
 */
export interface WireSocket {
  readonly readyState: number;
  send(data: Uint8Array | string): void;
  close(code: number): void;
  /** Stops reading what the server sends, so the server's backlog grows. */
  pause(): void;
  resume(): void;
}

/** Opens in-memory links: the shape of `@sotto/server/in-memory`'s transport. */
export interface LinkTransport {
  open(url: string, handlers: ClientEndHandlers): Promise<ClientEnd>;
}

export class WireClient {
  /** The server's first frame. */
  challenge!: Challenge;
  /** Set by a successful register or login. */
  device: { username: string; deviceId: string } | undefined;
  /** The ids of the RESPONSE frames received, in the order they arrived. */
  readonly answered: number[] = [];
  readonly closed: Promise<Closed>;

  private nextId = 1;
  private readonly responses = new Responses();
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private deliveryListener: ((delivery: Delivery) => void) | undefined;
  private readonly deliveryInbox = new Inbox<Delivery>();
  private readonly noticeInbox = new Inbox<Notice>();
  private readonly challengeInbox = new Inbox<Challenge>();

  private constructor(
    readonly socket: WireSocket,
    readonly timeoutMs: number,
    closed: Promise<Closed>,
  ) {
    this.closed = closed;
  }

  /**
   * Connects to `url` (an http:// server url or a ws:// endpoint) and waits for the challenge.
   * `timeoutMs` bounds every wait of this client; `Infinity` waits as long as it takes.
   */
  static async connect(url: string, options: { timeoutMs?: number; headers?: Record<string, string> } = {}): Promise<WireClient> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    // The server offers no compression; not asking for it keeps the upgrade what clients send.
    const socket = new WebSocket(toWsUrl(url), { perMessageDeflate: false, ...(options.headers ? { headers: options.headers } : {}) });
    const client = new WireClient(
      socket,
      timeoutMs,
      new Promise((resolve) => {
        socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
      }),
    );
    socket.on('error', () => {
      // Surfaced through `closed`; tests assert on close codes, not on socket errors.
    });
    socket.on('message', (data, isBinary) => {
      if (!isBinary) throw new Error('the server sent a text message');
      const buffer = data as Buffer;
      client.onFrame(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength));
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    client.challenge = await client.challengeInbox.take(() => true, timeoutMs, 'the challenge');
    return client;
  }

  /** Connects to the in-process server at `url` over `transport` and waits for the challenge. */
  static async connectOver(transport: LinkTransport, url: string, options: { timeoutMs?: number } = {}): Promise<WireClient> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    // Frames cross on a later turn than `open`, so the client exists before the first arrives.
    const link: { client?: WireClient; resolveClosed?: (closed: Closed) => void; state: number } = { state: WebSocket.OPEN };
    const closed = new Promise<Closed>((resolve) => (link.resolveClosed = resolve));
    const end = await transport.open(toWsUrl(url), {
      onMessage: (data) => link.client!.onFrame(data),
      onClose: (code, reason) => {
        link.state = WebSocket.CLOSED;
        link.resolveClosed!({ code, reason });
      },
    });
    const socket: WireSocket = {
      get readyState() {
        return link.state;
      },
      send: (data) => (typeof data === 'string' ? end.sendText(data) : end.send(data)),
      close: (code) => {
        link.state = WebSocket.CLOSING;
        end.close(code);
      },
      pause: () => end.pause(),
      resume: () => end.resume(),
    };
    const client = (link.client = new WireClient(socket, timeoutMs, closed));
    client.challenge = await client.challengeInbox.take(() => true, timeoutMs, 'the challenge');
    return client;
  }

  // ---- hello ----

  /** A register hello signed by `identity` over this connection's challenge. */
  registerHello(username: string, identity: WireIdentity, options: HelloOptions = {}): FrameInit<FrameType.HELLO> {
    return {
      protocolVersion: options.protocolVersion ?? PROTOCOL_VERSION,
      clientVersion: options.clientVersion ?? SOFTWARE_VERSION,
      auth: { case: 'register', value: { username, identityKey: identity.publicKey, inviteCode: options.inviteCode ?? '' } },
      signature: identity.sign(authTranscript(this.challenge.nonce, username, '')),
    };
  }

  /** A login hello for an existing device, signed by `identity`. */
  loginHello(username: string, deviceId: string, identity: WireIdentity, options: HelloOptions = {}): FrameInit<FrameType.HELLO> {
    return {
      protocolVersion: options.protocolVersion ?? PROTOCOL_VERSION,
      clientVersion: options.clientVersion ?? SOFTWARE_VERSION,
      auth: { case: 'login', value: { username, deviceId } },
      signature: identity.sign(authTranscript(this.challenge.nonce, username, deviceId)),
    };
  }

  hello(init: FrameInit<FrameType.HELLO>): Promise<Response> {
    return this.request(FrameType.HELLO, init);
  }

  /** Registers a new account; throws unless the server says hello. */
  async register(username: string, identity: WireIdentity, options: HelloOptions = {}): Promise<HelloOk> {
    const ok = resultOf(await this.hello(this.registerHello(username, identity, options)), 'hello');
    this.device = { username: ok.username, deviceId: ok.deviceId };
    return ok;
  }

  /** Logs an existing device in; throws unless the server says hello. */
  async login(username: string, deviceId: string, identity: WireIdentity, options: HelloOptions = {}): Promise<HelloOk> {
    const ok = resultOf(await this.hello(this.loginHello(username, deviceId, identity, options)), 'hello');
    this.device = { username: ok.username, deviceId: ok.deviceId };
    return ok;
  }

  // ---- requests ----

  /**
   * Sends a request and resolves with the RESPONSE of its id. It does not wait for earlier
   * requests: a caller may keep many in flight, as a pipelining client does.
   */
  request<T extends KnownFrameType>(type: T, init: FrameInit<T>): Promise<Response> {
    const id = this.nextId++;
    this.inFlight += 1;
    const answered = this.response(id).finally(() => this.settled());
    this.sendFrame(type, id, create(FRAME_SCHEMAS[type], init as never) as FrameBody<T>);
    return answered;
  }

  /** Waits for the RESPONSE with `id` (0 for errors about frames whose id could not be read). */
  response(id: number): Promise<Response> {
    return this.responses.take(id, this.timeoutMs);
  }

  /** Resolves once every request made with `request` has its response. */
  idle(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private settled(): void {
    this.inFlight -= 1;
    if (this.inFlight === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** A fresh request id, for frames built with `rawFrame`. */
  allocateId(): number {
    return this.nextId++;
  }

  sendFrame<T extends KnownFrameType>(type: T, id: number, body: FrameBody<T>): void {
    this.socket.send(encodeFrame(type, id, body));
  }

  /** Sends bytes (binary) or a string (a text message) as they are. */
  sendRaw(data: Uint8Array | string): void {
    this.socket.send(data);
  }

  /** Acknowledges deliveries; the server sends no response unless the ack is invalid. */
  ack(seqs: readonly bigint[]): number {
    const id = this.nextId++;
    this.sendFrame(FrameType.ACK, id, create(FRAME_SCHEMAS[FrameType.ACK], { seqs: [...seqs] }));
    return id;
  }

  // ---- pushed frames ----

  /**
   * Hands every delivery from now on to `listener` instead of keeping it for `nextDelivery`
   * (a load generator's path: nothing accumulates).
   */
  onDelivery(listener: (delivery: Delivery) => void): void {
    this.deliveryListener = listener;
  }

  nextDelivery(timeoutMs = this.timeoutMs): Promise<Delivery> {
    return this.deliveryInbox.take(() => true, timeoutMs, 'a delivery');
  }

  /** Takes `count` deliveries in order. */
  async deliveries(count: number, timeoutMs = this.timeoutMs): Promise<Delivery[]> {
    const out: Delivery[] = [];
    for (let i = 0; i < count; i++) out.push(await this.nextDelivery(timeoutMs));
    return out;
  }

  /** Deliveries received and not taken yet. */
  pendingDeliveries(): readonly Delivery[] {
    return this.deliveryInbox.pending();
  }

  nextNotice(kind?: NoticeKind, timeoutMs = this.timeoutMs): Promise<Notice> {
    return this.noticeInbox.take((n) => kind === undefined || n.kind === kind, timeoutMs, `a notice${kind === undefined ? '' : ` of kind ${kind}`}`);
  }

  /** Drops the connection without a closing handshake, as a crashed or vanished client would. */
  terminate(): void {
    if (this.socket instanceof WebSocket) this.socket.terminate();
    else this.socket.close(1006);
  }

  /** Closes (normal closure) and waits for the close to complete. */
  async close(): Promise<Closed> {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.close(1000);
    return this.closed;
  }

  private onFrame(bytes: Uint8Array): void {
    const frame = decodeFrame(bytes);
    switch (frame.type) {
      case FrameType.CHALLENGE:
        this.challengeInbox.push(frame.body);
        return;
      case FrameType.RESPONSE:
        this.answered.push(frame.id);
        this.responses.push(frame.id, frame.body);
        return;
      case FrameType.DELIVERY:
        if (this.deliveryListener) this.deliveryListener(frame.body);
        else this.deliveryInbox.push(frame.body);
        return;
      case FrameType.NOTICE:
        this.noticeInbox.push(frame.body);
        return;
      default:
        throw new Error(`the server sent a ${FrameType[frame.type]} frame`);
    }
  }
}

function toWsUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol === 'http:') parsed.protocol = 'ws:';
  if (parsed.protocol === 'https:') parsed.protocol = 'wss:';
  if (parsed.pathname === '/' || parsed.pathname === '') parsed.pathname = WS_PATH;
  return parsed.toString();
}

/**
 * Makes `reader` an accepted contact of `sender` (registered as `senderName`) and a member of a
 * new group with it, closes the reader's connection, and has the sender store `count` messages
 * of 60 KiB for it: a full mailbox waiting for the reader's next login.
 */
export async function fillOfflineMailbox(
  sender: WireClient,
  senderName: string,
  reader: { readonly client: WireClient; readonly username: string; readonly deviceId: string },
  count: number,
): Promise<void> {
  resultOf(await sender.request(FrameType.CONTACT_REQUEST, { toUsername: reader.username, text: 'hi' }), 'ok');
  reader.client.ack([(await reader.client.nextDelivery()).seq]);
  resultOf(await reader.client.request(FrameType.CONTACT_RESPOND, { username: senderName, action: ContactAction.ACCEPT }), 'ok');
  sender.ack([(await sender.nextDelivery()).seq]);
  const groupId = new Uint8Array(randomBytes(32));
  const members = [{ username: reader.username, deviceId: reader.deviceId }];
  resultOf(await sender.request(FrameType.CREATE_GROUP, { groupId, epoch: 1n, members, welcome: randomBytes(64) }), 'ok');
  reader.client.ack([(await reader.client.nextDelivery()).seq]);
  await reader.client.close();
  const payload = randomBytes(60 * 1024);
  for (let i = 0; i < count; i += 1) resultOf(await sender.request(FrameType.SEND, { groupId, messageId: randomBytes(16), payload }), 'send');
}

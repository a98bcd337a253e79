/**
 * @module gateway/in-memory-socket
 * A connected pair of in-memory ends: the server's end is a ServerSocket, the client's has the
 * shape of @sotto/core's TransportSocket. Frames are binary and cross on a later turn of the event
 * loop, never inside the call that sent them, as they would over a network. It keeps the
 * semantics the session depends on: a paused end reads nothing (frames, pongs and close frames
 * wait, and `bufferedAmount` on the other side grows); what the server sent counts in its
 * `bufferedAmount` until the client took it; a close is a handshake that arrives after the frames
 * sent before it; `terminate` cuts both ends at once with 1006, and a message over the size limit
 * closes with 1009, as `ws` does.
 */
import type { ServerSocket, ServerSocketHandlers } from './server-socket.js';

/** What the client end reports: the shape of @sotto/core's TransportHandlers. */
export interface ClientEndHandlers {
  onMessage(data: Uint8Array): void;
  onClose(code: number, reason: string): void;
}

/** The client end: the shape of @sotto/core's TransportSocket. */
export interface ClientEnd {
  send(data: Uint8Array): void;
  /** A text message, which the server refuses: for tests of exactly that. */
  sendText(text: string): void;
  close(code?: number, reason?: string): void;
  /** Stops taking what the server sends (its `bufferedAmount` grows) until `resume`. */
  pause(): void;
  resume(): void;
  /** Bytes the client sent that the server has not read (it reads nothing while paused). */
  readonly bufferedAmount: number;
}

export interface SocketPairOptions {
  /** The address the server sees the client at (rate limits by address). */
  readonly remoteAddress?: string;
  /** A client message over this many bytes closes the pair with 1009 (default: no limit). */
  readonly maxMessageBytes?: number;
}

/** The status ws reports for a socket cut without a close handshake. */
export const ABNORMAL_CLOSURE = 1006;
/** The status ws closes with when a message is over its size limit. */
export const MESSAGE_TOO_BIG = 1009;
/** What ws sends when a close frame carries no code. */
const NO_STATUS = 1005;

type Item =
  | { readonly kind: 'frame'; readonly bytes: Uint8Array; readonly taken?: () => void; readonly text?: true }
  | { readonly kind: 'close'; readonly code: number; readonly reason: string }
  | { readonly kind: 'ping' }
  | { readonly kind: 'pong' };

/** One direction of the pair: items queued by the sender, handed to the receiver on a later turn. */
class Pipe {
  private readonly items: Item[] = [];
  private bytes = 0;
  private scheduled = false;
  private held = false;
  paused = false;

  constructor(private readonly receive: (item: Item) => void) {}

  get bufferedAmount(): number {
    return this.bytes;
  }

  push(item: Item): void {
    this.items.push(item);
    if (item.kind === 'frame') this.bytes += item.bytes.byteLength;
    this.schedule();
  }

  hold(): void {
    this.held = true;
  }

  release(): void {
    this.held = false;
    this.schedule();
  }

  /** Drops what is queued; the sender's callbacks still run, as ws runs them for a destroyed socket. */
  drop(): void {
    const dropped = this.items.splice(0);
    this.bytes = 0;
    for (const item of dropped) if (item.kind === 'frame') item.taken?.();
  }

  schedule(): void {
    if (this.scheduled || this.held || this.paused || this.items.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.deliver();
    });
  }

  private deliver(): void {
    while (!this.held && !this.paused) {
      const item = this.items.shift();
      if (!item) return;
      if (item.kind === 'frame') this.bytes -= item.bytes.byteLength;
      this.receive(item);
      if (item.kind === 'frame') item.taken?.();
    }
  }
}

type PairState = 'open' | 'closing' | 'closed';

class InMemoryServerSocket implements ServerSocket {
  state: PairState = 'open';
  handlers: ServerSocketHandlers | undefined;

  constructor(
    readonly remoteAddress: string | undefined,
    private readonly outgoing: Pipe,
    private readonly incoming: Pipe,
    private readonly cut: (code: number) => void,
  ) {}

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get bufferedAmount(): number {
    return this.outgoing.bufferedAmount;
  }

  get isPaused(): boolean {
    return this.incoming.paused;
  }

  listen(handlers: ServerSocketHandlers): void {
    this.handlers = handlers;
  }

  send(bytes: Uint8Array, taken: () => void): void {
    if (this.state !== 'open') {
      queueMicrotask(taken);
      return;
    }
    this.outgoing.push({ kind: 'frame', bytes, taken });
  }

  pause(): void {
    this.incoming.paused = true;
  }

  resume(): void {
    this.incoming.paused = false;
    this.incoming.schedule();
  }

  corkUntilTurnEnds(): void {
    this.outgoing.hold();
    process.nextTick(() => this.outgoing.release());
  }

  ping(): void {
    if (this.state === 'open') this.outgoing.push({ kind: 'ping' });
  }

  close(code: number, reason: string): void {
    if (this.state !== 'open') return;
    this.state = 'closing';
    this.outgoing.push({ kind: 'close', code, reason });
  }

  terminate(): void {
    this.cut(ABNORMAL_CLOSURE);
  }
}

/**
 * A connected pair. `clientHandlers` hears what the server sends; give the server end to the
 * session, which calls `listen` on it before the first turn ends.
 */
export function socketPair(clientHandlers: ClientEndHandlers, options: SocketPairOptions = {}): { server: ServerSocket; client: ClientEnd } {
  let clientState: PairState = 'open';
  const toClient: Pipe = new Pipe((item) => onClientReceives(item));
  const toServer: Pipe = new Pipe((item) => onServerReceives(item));
  const server = new InMemoryServerSocket(options.remoteAddress, toClient, toServer, (code) => cut(code, ''));

  /** Both ends closed at once: nothing queued is delivered. */
  function cut(code: number, reason: string): void {
    if (server.state === 'closed' && clientState === 'closed') return;
    toClient.drop();
    toServer.drop();
    finishServer(code);
    finishClient(code, reason);
  }
  function finishServer(code: number): void {
    if (server.state === 'closed') return;
    server.state = 'closed';
    server.handlers?.onClose(code);
  }
  function finishClient(code: number, reason: string): void {
    if (clientState === 'closed') return;
    clientState = 'closed';
    clientHandlers.onClose(code, reason);
  }

  function onClientReceives(item: Item): void {
    if (clientState === 'closed') return;
    switch (item.kind) {
      case 'frame':
        clientHandlers.onMessage(item.bytes);
        return;
      case 'ping':
        // Clients answer pings by themselves, as browsers and ws do.
        toServer.push({ kind: 'pong' });
        return;
      case 'pong':
        return;
      case 'close':
        // The server began the handshake: the client sees the close, and its echo closes the server end.
        toServer.drop();
        finishClient(item.code, item.reason);
        finishServer(item.code);
        return;
    }
  }

  function onServerReceives(item: Item): void {
    if (server.state === 'closed') return;
    switch (item.kind) {
      case 'frame':
        if (server.state !== 'open') return;
        if (options.maxMessageBytes !== undefined && item.bytes.byteLength > options.maxMessageBytes) {
          cut(MESSAGE_TOO_BIG, 'Max payload size exceeded');
          return;
        }
        server.handlers?.onMessage(item.bytes, item.text !== true);
        return;
      case 'pong':
        server.handlers?.onPong();
        return;
      case 'ping':
        return;
      case 'close':
        // The client began the handshake: the server's echo reaches a client that is already closing.
        toClient.drop();
        finishServer(item.code);
        finishClient(item.code, item.reason);
        return;
    }
  }

  const client: ClientEnd = {
    get bufferedAmount() {
      return toServer.bufferedAmount;
    },
    send(data) {
      if (clientState !== 'open') return;
      // A copy: the sender may reuse its buffer, and a network would not share it.
      toServer.push({ kind: 'frame', bytes: data.slice() });
    },
    sendText(text) {
      if (clientState !== 'open') return;
      toServer.push({ kind: 'frame', bytes: new TextEncoder().encode(text), text: true });
    },
    pause() {
      toClient.paused = true;
    },
    resume() {
      toClient.paused = false;
      toClient.schedule();
    },
    close(code, reason = '') {
      if (clientState !== 'open') return;
      clientState = 'closing';
      toServer.push({ kind: 'close', code: code ?? NO_STATUS, reason });
    },
  };
  return { server, client };
}

/**
 * @module gateway/server-socket
 * What the protocol session needs of the socket under it, and nothing more: binary frames out with
 * a backpressure signal, frames in, reading paused and resumed, writes corked until the turn ends,
 * a close with a code, a hard cut, and liveness pings. `ws` is one adapter (ws-socket.ts), an
 * in-memory pair another (in-memory-socket.ts), so the session can run in one process with no
 * network.
 */

/** What a socket tells its session. Set once, by the session, with `listen`. */
export interface ServerSocketHandlers {
  /** One whole message; `isBinary` false for a text message (which the session refuses). */
  onMessage(bytes: Uint8Array, isBinary: boolean): void;
  /** The socket is closed, by either side or cut; called once. */
  onClose(code: number): void;
  /** The client answered a ping. */
  onPong(): void;
  /** A transport error; the adapter closes the socket itself after it. */
  onError(error: Error): void;
}

export interface ServerSocket {
  /** The client's address (after a trusted proxy's X-Forwarded-For), for rate limits only: never logged. */
  readonly remoteAddress: string | undefined;
  /** True until the socket starts closing: writes after that are dropped. */
  readonly isOpen: boolean;
  /** Bytes handed to `send` and not yet taken by the network: the backpressure signal. */
  readonly bufferedAmount: number;
  /** True while reading is paused. */
  readonly isPaused: boolean;
  listen(handlers: ServerSocketHandlers): void;
  /** Queues one binary frame; `taken` is called once the network took it (or the socket dropped it). */
  send(bytes: Uint8Array, taken: () => void): void;
  /** Stops delivering messages until `resume`: what arrives meanwhile waits (and pushes back on the client). */
  pause(): void;
  resume(): void;
  /** Holds writes until the current turn of the event loop ends, then sends them as one. */
  corkUntilTurnEnds(): void;
  ping(): void;
  /** Starts the close handshake with a code and a reason. */
  close(code: number, reason: string): void;
  /** Cuts the socket now, without a handshake. */
  terminate(): void;
}

/**
 * @module gateway/ws-socket
 * The `ws` adapter of ServerSocket: one WebSocket and the network stream under it. Corking is done
 * on the stream, so the frames of one turn (a group commit's answers and deliveries) leave in one
 * write: each frame was a syscall of its own, 8-12% of the server's time in relay profiles.
 */
import type { Duplex } from 'node:stream';
import { WebSocket, type RawData } from 'ws';
import type { ServerSocket, ServerSocketHandlers } from './server-socket.js';

export class WsServerSocket implements ServerSocket {
  private corked = false;

  constructor(
    private readonly socket: WebSocket,
    /** The socket under the WebSocket, corked while a turn of the event loop writes frames. */
    private readonly stream: Duplex | undefined,
    readonly remoteAddress: string | undefined,
  ) {}

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  get isPaused(): boolean {
    return this.socket.isPaused;
  }

  listen(handlers: ServerSocketHandlers): void {
    const socket = this.socket;
    socket.on('message', (data, isBinary) => handlers.onMessage(toBytes(data), isBinary));
    socket.on('close', (code) => handlers.onClose(code));
    socket.on('pong', () => handlers.onPong());
    // Without a listener an 'error' would crash the process; ws closes the socket itself after it.
    socket.on('error', (error) => handlers.onError(error));
  }

  send(bytes: Uint8Array, taken: () => void): void {
    this.socket.send(bytes, { binary: true }, taken);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  corkUntilTurnEnds(): void {
    const stream = this.stream;
    if (this.corked || !stream) return;
    this.corked = true;
    stream.cork();
    process.nextTick(() => {
      this.corked = false;
      stream.uncork();
    });
  }

  ping(): void {
    this.socket.ping();
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  terminate(): void {
    this.socket.terminate();
  }
}

function toBytes(data: RawData): Uint8Array {
  const buffer = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? Buffer.from(data) : data;
  // A plain view, so decoded byte fields are Uint8Array rather than Buffer slices.
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

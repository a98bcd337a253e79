/**
 * @module gateway/frame-intake
 * How a connection reads: frames are counted against its rate, queued, and handled one at a time in
 * arrival order, so auth state never races and answers come back in request order. The socket
 * stops reading when the queue reaches its high marks or the client's backlog is full, and reads
 * again once both have room. While the client is not taking its answers its next frame waits, and
 * one connection's frames run for at most SLICE_MS before the event loop gets a turn.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { FrameType, peekFrameHeader } from '@sotto/protocol';
import type { ServerMetrics } from '../metrics.js';
import { TokenBucket, type RateLimit } from '../token-bucket.js';
import { DEFAULT_FRAME_QUEUE_LIMITS, FrameQueue } from './frame-queue.js';
import type { ServerSocket } from './server-socket.js';
import type { WriteBacklog } from './write-backlog.js';

/**
 * One connection's frames run for at most this long before the event loop gets a turn: a burst of
 * cheap requests from one client must not make everyone else's wait for all of it.
 */
const SLICE_MS = 2;

/** What the intake asks of the connection that owns it. */
export interface IntakeOwner {
  readonly closing: boolean;
  /** A frame over the frame rate, not processed: answer it, drop it or close. */
  refuseOverRate(id: number): void;
  /** Handles one frame read from the socket (`headerId` is its id, if its header could be read). */
  handleMessage(bytes: Uint8Array, isBinary: boolean, headerId: number): Promise<void>;
}

export class FrameIntake {
  /** Frames read and not yet handled; the socket stops reading at its high marks. */
  private readonly queue = new FrameQueue<() => Promise<void>>(DEFAULT_FRAME_QUEUE_LIMITS);
  private readonly bucket: TokenBucket;
  private running: Promise<void> | undefined;

  constructor(
    private readonly socket: ServerSocket,
    private readonly backlog: WriteBacklog,
    rateLimit: RateLimit,
    private readonly metrics: ServerMetrics,
    private readonly owner: IntakeOwner,
  ) {
    this.bucket = new TokenBucket(rateLimit);
  }

  /** The queue's pass, while one runs. */
  get processing(): Promise<void> | undefined {
    return this.running;
  }

  /** One message from the socket: counted, rate-checked, queued. */
  receive(bytes: Uint8Array, isBinary: boolean): void {
    const header = isBinary ? peekFrameHeader(bytes) : undefined;
    this.metrics.framesReceived.inc({ type: isBinary ? frameTypeLabel(header?.type) : 'TEXT' });
    if (!this.bucket.take()) {
      this.owner.refuseOverRate(header?.id ?? 0);
      return;
    }
    this.enqueue(() => this.owner.handleMessage(bytes, isBinary, header?.id ?? 0), bytes.byteLength);
  }

  enqueue(task: () => Promise<void>, bytes: number): void {
    if (this.queue.push(task, bytes)) this.pauseReading();
    this.running ??= this.processQueue().finally(() => {
      this.running = undefined;
    });
  }

  pauseReading(): void {
    if (!this.socket.isPaused) this.socket.pause();
  }

  /** Reads again once neither its own queue of frames nor its client's backlog is over its bound. */
  resumeReadingIfRoom(): void {
    if (this.socket.isPaused && !this.owner.closing && this.queue.hasRoom && !this.backlog.isFull) this.socket.resume();
  }

  private async processQueue(): Promise<void> {
    let sliceStarted = performance.now();
    for (let task = this.queue.shift(); task; task = this.queue.shift()) {
      if (this.owner.closing) {
        this.queue.clear();
        return;
      }
      this.resumeReadingIfRoom();
      // While the client is not taking its answers, its next frame waits: answering it would only
      // add to what the server holds for a client that does not read.
      const room = this.backlog.whenWritable();
      if (room) {
        await room;
        if (this.owner.closing) {
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
}

/** A bounded label set: known frame type names, or UNKNOWN. */
function frameTypeLabel(type: number | undefined): string {
  return (type !== undefined && FrameType[type]) || 'UNKNOWN';
}

/**
 * @module gateway/write-backlog
 * What a connection has written that its client has not taken yet, in bytes and frames, and
 * whether that is too much. Answers, deliveries and notices all count: a client that sends
 * requests and never reads the answers is stopped by this bound, not by the machine's memory.
 * Full at either high mark; writable again only once both are back under their low marks, so a
 * connection near the bound does not flip between reading and not reading at every frame. Knows no
 * socket: the connection says what it wrote, what left, and how many bytes the socket holds.
 */
import type { Clock } from '../clock.js';

export interface BacklogLimits {
  /** Bytes held for the client at which the connection stops reading its frames (one frame more may be written). */
  readonly maxBytes: number;
  /** Bytes under which it reads again. */
  readonly resumeBytes: number;
  /** Frames held for the client at which it stops reading: tiny frames cost more than their bytes. */
  readonly maxFrames: number;
  /** Frames under which it reads again. */
  readonly resumeFrames: number;
  /** How long a full backlog may stay without a single frame leaving before the client counts as gone. */
  readonly stallMs: number;
}

/**
 * 1 MiB is the largest single answer (a RESPONSE frame) and 64 times a typical burst of answers; a
 * client that reads keeps its backlog near zero, since the kernel's socket buffer takes what it
 * sends long before this. 30 s without progress is a dead link or a client that stopped reading:
 * the heartbeat would drop it as long after, but it cannot while the connection is paused.
 */
export const DEFAULT_BACKLOG_LIMITS: BacklogLimits = {
  maxBytes: 1024 * 1024,
  resumeBytes: 256 * 1024,
  maxFrames: 1024,
  resumeFrames: 256,
  stallMs: 30_000,
};

export class WriteBacklog {
  private frames = 0;
  private full = false;
  /** When a frame last left, or the backlog last became full: the start of a possible stall. */
  private progressAt = 0;
  /** Made by the first wait: most connections never fill. */
  private waiters: (() => void)[] | undefined;

  constructor(
    private readonly limits: BacklogLimits,
    private readonly now: Clock,
  ) {}

  /** Over a high mark and not yet back under both low marks: read nothing more, answer nothing more. */
  get isFull(): boolean {
    return this.full;
  }

  /** Frames written and not yet taken by the network. */
  get framesHeld(): number {
    return this.frames;
  }

  /** A frame was handed to the socket, which now holds `bytesHeld` unsent. True if that made the backlog full. */
  wrote(bytesHeld: number): boolean {
    this.frames += 1;
    if (this.full || (bytesHeld < this.limits.maxBytes && this.frames < this.limits.maxFrames)) return false;
    this.full = true;
    this.progressAt = this.now();
    return true;
  }

  /** A frame left (or was dropped with the socket); the socket holds `bytesHeld`. True if that made the backlog writable again. */
  flushed(bytesHeld: number): boolean {
    this.frames = Math.max(0, this.frames - 1);
    if (!this.full) return false;
    this.progressAt = this.now();
    if (bytesHeld > this.limits.resumeBytes || this.frames > this.limits.resumeFrames) return false;
    this.full = false;
    this.release();
    return true;
  }

  /** Full, with nothing leaving for `stallMs`: the client stopped reading. */
  stalled(): boolean {
    return this.full && this.now() - this.progressAt >= this.limits.stallMs;
  }

  /** Milliseconds until `stalled()` can next become true (0: it is now). */
  untilStalled(): number {
    return Math.max(0, this.progressAt + this.limits.stallMs - this.now());
  }

  /**
   * Undefined when writing may go on; otherwise a promise that resolves once the backlog drained
   * (or was abandoned). Undefined rather than a resolved promise: most calls find it writable.
   */
  whenWritable(): Promise<void> | undefined {
    if (!this.full) return undefined;
    return new Promise((resolve) => (this.waiters ??= []).push(resolve));
  }

  /** The connection is gone: whoever waits for room goes on (and finds the connection closed). */
  abandon(): void {
    this.full = false;
    this.release();
  }

  private release(): void {
    const waiting = this.waiters;
    this.waiters = undefined;
    for (const resolve of waiting ?? []) resolve();
  }
}

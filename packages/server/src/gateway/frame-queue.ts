/**
 * @module gateway/frame-queue
 * The frames a connection has read and not yet handled, counted in frames and in bytes: the
 * connection stops reading its socket at either high mark and reads again once both are under
 * their low marks. Frames alone let 64 frames of 2 MiB each (128 MiB) wait on one connection;
 * bytes alone let tens of thousands of tiny ones. Knows no socket: the connection asks.
 */

export interface FrameQueueLimits {
  readonly maxFrames: number;
  readonly resumeFrames: number;
  readonly maxBytes: number;
  readonly resumeBytes: number;
}

/** 64 frames or 2 MiB waiting stop the reading; 16 frames and 512 KiB start it again. */
export const DEFAULT_FRAME_QUEUE_LIMITS: FrameQueueLimits = {
  maxFrames: 64,
  resumeFrames: 16,
  maxBytes: 2 * 1024 * 1024,
  resumeBytes: 512 * 1024,
};

export class FrameQueue<T> {
  private readonly items: T[] = [];
  private readonly sizes: number[] = [];
  private bytes = 0;

  constructor(private readonly limits: FrameQueueLimits) {}

  get length(): number {
    return this.items.length;
  }

  /** Adds a frame of `bytes`; true when the queue is now at a high mark (stop reading). */
  push(item: T, bytes: number): boolean {
    this.items.push(item);
    this.sizes.push(bytes);
    this.bytes += bytes;
    return this.items.length >= this.limits.maxFrames || this.bytes >= this.limits.maxBytes;
  }

  /** The oldest frame, no longer counted. */
  shift(): T | undefined {
    const item = this.items.shift();
    this.bytes -= this.sizes.shift() ?? 0;
    return item;
  }

  /** Under both low marks: a paused socket may be read again. */
  get hasRoom(): boolean {
    return this.items.length <= this.limits.resumeFrames && this.bytes <= this.limits.resumeBytes;
  }

  /** Bytes waiting. */
  get bytesHeld(): number {
    return this.bytes;
  }

  clear(): void {
    this.items.length = 0;
    this.sizes.length = 0;
    this.bytes = 0;
  }
}

/**
 * @module group-calls/held-frames
 * Frames that arrived under the group's next epoch, held until this device processes the commit
 * that starts it (another participant got it first and already sends under it). Both media stacks
 * (the CLI's and the browser's worker) hold them the same way: at most `max`, each until this
 * device's epoch changes or `holdMs` passed, whichever comes first; then it is opened once more,
 * and refused if it still does not open.
 */

/** A second of everyone's audio; video frames, far larger, have a bound of their own. */
export const MAX_HELD_FRAMES = 256;
/** A second of a few cameras' video (a key frame may be tens of kilobytes). */
export const MAX_HELD_VIDEO_FRAMES = 64;
export const HOLD_MS = 1_000;

interface Held<T> {
  readonly frame: T;
  readonly at: number;
  readonly epoch: bigint | undefined;
}

export class HeldFrames<T> {
  #held: Held<T>[] = [];

  constructor(
    private readonly now: () => number,
    private readonly max = MAX_HELD_FRAMES,
    private readonly holdMs = HOLD_MS,
  ) {}

  get size(): number {
    return this.#held.length;
  }

  /** Holds `frame`, seen while this device was at `epoch`; false when full (the frame is refused). */
  hold(frame: T, epoch: bigint | undefined): boolean {
    if (this.#held.length >= this.max) return false;
    this.#held.push({ frame, at: this.now(), epoch });
    return true;
  }

  /** The frames to open again now (their holder moved on from `epoch`, or they waited long enough), in arrival order; the rest stay. */
  due(epoch: bigint | undefined): T[] {
    if (this.#held.length === 0) return [];
    const now = this.now();
    const due: T[] = [];
    const keep: Held<T>[] = [];
    for (const held of this.#held) {
      if (held.epoch !== epoch || now - held.at > this.holdMs) due.push(held.frame);
      else keep.push(held);
    }
    this.#held = keep;
    return due;
  }

  clear(): void {
    this.#held = [];
  }
}

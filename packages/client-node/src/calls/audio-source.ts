/**
 * @module calls/audio-source
 * The "microphone" of a Node client: a PCM buffer played as 20 ms Opus frames in real time,
 * looping (a bot keeps talking for the whole call), or silence when there is no file.
 */
import { OPUS_FRAME_SAMPLES, type OpusCodec } from './opus-codec.js';

export const FRAME_MS = 20;
/**
 * Frames sent at most per timer tick. A blocked event loop is caught up by sending the missed
 * frames at once, but only a few: after a long stall, skipping ahead beats a burst of stale audio.
 */
const MAX_CATCH_UP_FRAMES = 5;

export interface AudioSourceOptions {
  /** Start again at the end of the buffer (default), or fall silent. */
  readonly loop?: boolean;
  /** Called if encoding or `onFrame` throws; the source has stopped by then. Default: ignore. */
  readonly onError?: (error: unknown) => void;
}

export class AudioSource {
  private readonly pcm: Int16Array;
  private readonly loop: boolean;
  private readonly onError: (error: unknown) => void;
  private readonly frame = new Int16Array(OPUS_FRAME_SAMPLES);
  private position = 0;
  private timer: NodeJS.Timeout | null = null;
  private startedAt = 0;
  private due = 0;
  private sent = 0;

  /** `pcm` is 48 kHz mono (see readWav); null or empty plays silence. The codec stays the caller's. */
  constructor(pcm: Int16Array | null, private readonly codec: OpusCodec, options: AudioSourceOptions = {}) {
    this.pcm = pcm ?? new Int16Array(0);
    this.loop = options.loop ?? true;
    this.onError = options.onError ?? (() => {});
  }

  /** Frames handed to `onFrame` so far. */
  get framesSent(): number {
    return this.sent;
  }

  /** Calls `onFrame` with one Opus packet every 20 ms until `stop`. Starting twice is a no-op. */
  start(onFrame: (opus: Uint8Array) => void): void {
    if (this.timer) return;
    this.startedAt = performance.now();
    this.due = 0;
    const tick = (): void => {
      // Frames are paced by the clock, not by counting ticks: setInterval drifts late.
      const target = Math.floor((performance.now() - this.startedAt) / FRAME_MS) + 1;
      if (target - this.due > MAX_CATCH_UP_FRAMES) this.due = target - MAX_CATCH_UP_FRAMES;
      try {
        while (this.due < target && this.timer) {
          this.due++;
          this.sent++;
          onFrame(this.codec.encode(this.nextFrame()));
        }
      } catch (error) {
        // A throw inside a timer callback would be an uncaught exception: stop and report instead.
        this.stop();
        this.onError(error);
      }
    };
    this.timer = setInterval(tick, FRAME_MS / 2);
    tick();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The next 960 samples, wrapping around when looping, zero-padded otherwise. */
  private nextFrame(): Int16Array {
    const { pcm, frame } = this;
    let filled = 0;
    while (filled < frame.length) {
      if (this.position >= pcm.length) {
        if (!this.loop || pcm.length === 0) break;
        this.position = 0;
      }
      const n = Math.min(frame.length - filled, pcm.length - this.position);
      frame.set(pcm.subarray(this.position, this.position + n), filled);
      filled += n;
      this.position += n;
    }
    frame.fill(0, filled);
    return frame;
  }
}

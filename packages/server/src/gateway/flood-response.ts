/**
 * @module gateway/flood-response
 * What a connection does with a refused frame, as its FloodGuard rules: a frame over the frame
 * rate is answered RATE_LIMITED once a second and otherwise dropped unanswered; a frame refused
 * for what it is has been answered already and is counted; the one too many closes the
 * connection as a flood. Made at a connection's first refusal: most are never refused one.
 */
import { ErrorCode, missingCase } from '@sotto/protocol';
import type { Clock } from '../clock.js';
import { ServerError } from '../errors.js';
import type { ServerMetrics } from '../metrics.js';
import { FloodGuard, type FloodLimits } from './flood-guard.js';
import type { FrameWriter } from './frame-writer.js';

/** Why a connection is closed as a flood: too many refusals, or it stopped reading. */
export type FloodReason = 'refusals' | 'stalled';

export class FloodResponse {
  private readonly guard: FloodGuard;

  constructor(
    limits: FloodLimits,
    now: Clock,
    private readonly out: FrameWriter,
    private readonly metrics: ServerMetrics,
    private readonly closeFlooding: (reason: FloodReason) => void,
  ) {
    this.guard = new FloodGuard(limits, now);
  }

  /** The hello succeeded: from now on the authenticated budget applies. */
  authenticated(): void {
    this.guard.authenticated();
  }

  /**
   * A frame over the frame rate is not processed. One a second is answered RATE_LIMITED, at once
   * (it can overtake answers to earlier frames); the rest are dropped unanswered and counted.
   */
  overRate(id: number): void {
    const verdict = this.guard.rateLimited();
    switch (verdict) {
      case 'answer':
        this.out.sendError(
          id,
          new ServerError(
            ErrorCode.RATE_LIMITED,
            'Too many frames: this one and any others in the next second were not processed. Slow down and send them again.',
            { retryAfterMs: 1_000 },
          ),
        );
        return;
      case 'drop':
        this.metrics.answersDropped.inc({ code: 'RATE_LIMITED' });
        return;
      case 'close':
        this.closeFlooding('refusals');
        return;
      default:
        throw missingCase(verdict);
    }
  }

  /** A frame was answered with a refusal (see isRefusal). */
  refused(): void {
    if (this.guard.refused() === 'close') this.closeFlooding('refusals');
  }
}

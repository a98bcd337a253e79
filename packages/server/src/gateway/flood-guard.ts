/**
 * @module gateway/flood-guard
 * What a connection does with frames it refuses, so that refusing costs less than asking. Frames
 * over the frame rate get one RATE_LIMITED answer a second and are otherwise dropped unanswered
 * (answering each was the flood: a client that never reads made the server queue an answer per
 * frame without end). Every refusal, of either kind, is taken from a budget that refills slowly;
 * a connection that empties it is a flood, not a client, and is closed. Before hello the budget is
 * a handful of frames: a working client sends nothing but its hello until it is answered.
 */
import { ErrorCode } from '@sotto/protocol';
import type { Clock } from '../clock.js';
import { TokenBucket, type RateLimit } from '../token-bucket.js';

export interface FloodLimits {
  /** Refused frames a connection may run up before a successful hello. */
  readonly refusalsBeforeHello: RateLimit;
  /** Refused frames an authenticated connection may run up. */
  readonly refusals: RateLimit;
  /** RATE_LIMITED answers to frames over the frame rate; beyond this they are dropped. */
  readonly rateLimitedAnswers: RateLimit;
}

/**
 * A working client is refused a frame now and then (a race, a stale epoch answered by the service
 * is not a refusal at all). A thousand refusals within seconds is never that, and neither are
 * sixteen requests before hello; a failed hello closes the connection at three anyway.
 */
export const DEFAULT_FLOOD_LIMITS: FloodLimits = {
  refusalsBeforeHello: { perSecond: 1, burst: 16 },
  refusals: { perSecond: 100, burst: 1_000 },
  rateLimitedAnswers: { perSecond: 1, burst: 1 },
};

/** `answer`: send the error; `drop`: send nothing (count it); `close`: the connection is a flood. */
export type RefusalVerdict = 'answer' | 'drop' | 'close';

/**
 * Error codes that refuse a frame for what it is, before any service looks at it. Errors a service
 * answers (NOT_A_CONTACT, STALE_EPOCH, an action's RATE_LIMITED...) are answers, not refusals.
 */
const REFUSAL_CODES: ReadonlySet<ErrorCode> = new Set([
  ErrorCode.FRAME_MALFORMED,
  ErrorCode.FRAME_TOO_LARGE,
  ErrorCode.UNKNOWN_FRAME_TYPE,
  ErrorCode.UNSUPPORTED_PROTOCOL,
  ErrorCode.NOT_AUTHENTICATED,
  ErrorCode.ALREADY_AUTHENTICATED,
]);

export function isRefusal(code: ErrorCode): boolean {
  return REFUSAL_CODES.has(code);
}

export class FloodGuard {
  private budget: TokenBucket;
  private readonly answers: TokenBucket;

  constructor(
    private readonly limits: FloodLimits,
    private readonly now: Clock,
  ) {
    this.budget = new TokenBucket(limits.refusalsBeforeHello, now);
    this.answers = new TokenBucket(limits.rateLimitedAnswers, now);
  }

  /** The hello succeeded: from now on the authenticated budget applies, full. */
  authenticated(): void {
    this.budget = new TokenBucket(this.limits.refusals, this.now);
  }

  /** A frame over the frame rate. */
  rateLimited(): RefusalVerdict {
    if (!this.budget.take()) return 'close';
    return this.answers.take() ? 'answer' : 'drop';
  }

  /** A frame refused for what it is (see isRefusal): answered, unless it is the one too many. */
  refused(): 'answer' | 'close' {
    return this.budget.take() ? 'answer' : 'close';
  }
}

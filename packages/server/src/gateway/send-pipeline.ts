/**
 * @module gateway/send-pipeline
 * The SENDs of one connection that are queued in the store but not yet answered. A connection
 * reads its next frame once a SEND's write is queued rather than once it is durable, so one
 * sender's messages share group commits instead of paying a commit each; this keeps their
 * responses in request order all the same, as the protocol promises (docs/PROTOCOL.md §2.1):
 * an answer is written only after every earlier one, however the writes finish.
 */
import type { ResponseResult } from './requests.js';

/** SENDs of one connection in flight at most; the connection stops reading until one is answered. */
export const MAX_PIPELINED_SENDS = 256;

export type SendOutcome = { readonly ok: true; readonly result: ResponseResult } | { readonly ok: false; readonly error: unknown };

interface Slot {
  readonly id: number;
  readonly startedAt: number;
  outcome?: SendOutcome;
}

/** Writes one request's answer; `startedAt` is when it was read (performance.now()), for the duration metric. */
export type Answer = (id: number, outcome: SendOutcome, startedAt: number) => void;

export class SendPipeline {
  private readonly slots: Slot[] = [];
  private waiters: { readonly below: number; readonly resolve: () => void }[] = [];

  constructor(private readonly answer: Answer) {}

  /** Requests started and not yet answered. */
  get size(): number {
    return this.slots.length;
  }

  /** Tracks a started request; its answer is written once it and every earlier one settled. */
  add(id: number, startedAt: number, result: Promise<ResponseResult>): void {
    const slot: Slot = { id, startedAt };
    this.slots.push(slot);
    result.then(
      (value) => this.settle(slot, { ok: true, result: value }),
      (error: unknown) => this.settle(slot, { ok: false, error }),
    );
  }

  /** Resolves once fewer than `below` requests are unanswered (`1`: all answered). */
  whenBelow(below: number): Promise<void> {
    if (this.slots.length < below) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ below, resolve }));
  }

  private settle(slot: Slot, outcome: SendOutcome): void {
    slot.outcome = outcome;
    while (this.slots.length > 0 && this.slots[0]!.outcome) {
      const head = this.slots.shift()!;
      this.answer(head.id, head.outcome!, head.startedAt);
    }
    if (this.waiters.length === 0) return;
    const waiting = this.waiters;
    this.waiters = [];
    for (const waiter of waiting) {
      if (this.slots.length < waiter.below) waiter.resolve();
      else this.waiters.push(waiter);
    }
  }
}

/**
 * @module support/steppable-clock
 * A clock for one engine that a test can move forward: real time passes as usual, and `advance`
 * adds to it at once, firing every timer that falls due. It lets a test show what happens a
 * minute or a day later (a disappearing message) without waiting for it, and without a timed test.
 */
import type { Clock } from '@sotto/core';

interface Pending {
  readonly due: number;
  readonly fn: () => void;
  readonly real: NodeJS.Timeout;
}

export class SteppableClock implements Clock {
  private offset = 0;
  private readonly pending = new Set<Pending>();

  now(): number {
    return Date.now() + this.offset;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const entry: Pending = {
      due: this.now() + ms,
      fn,
      real: setTimeout(() => {
        this.pending.delete(entry);
        fn();
      }, ms),
    };
    this.pending.add(entry);
    return entry;
  }

  clearTimeout(handle: unknown): void {
    const entry = handle as Pending | undefined;
    if (!entry || !this.pending.has(entry)) return;
    clearTimeout(entry.real);
    this.pending.delete(entry);
  }

  /** Moves time forward by `ms` and runs, in due order, every timer that is due by then. */
  advance(ms: number): void {
    this.offset += ms;
    const now = this.now();
    const due = [...this.pending].filter((p) => p.due <= now).sort((a, b) => a.due - b.due);
    for (const entry of due) {
      clearTimeout(entry.real);
      this.pending.delete(entry);
      entry.fn();
    }
  }
}

/**
 * @module serial-queue
 * Runs async jobs one at a time. MLS state is a chain: every operation must
 * start from the state the previous one stored, so the engine funnels all
 * state-changing work (incoming and outgoing) through one queue.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job, job);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves when everything queued so far has finished. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}

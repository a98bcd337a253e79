/**
 * @module storage/keyed-queue
 * Runs async jobs one at a time per key, jobs of different keys side by side; a key's queue is
 * forgotten once it drains, so keys seen once cost nothing later.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const result = before.then(job, job);
    const settled = result.catch(() => undefined);
    this.tails.set(key, settled);
    void settled.then(() => {
      if (this.tails.get(key) === settled) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with a job queued or running (for tests). */
  get size(): number {
    return this.tails.size;
  }
}

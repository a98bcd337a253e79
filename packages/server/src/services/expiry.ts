/** @module services/expiry */
// Deletes mailbox entries nobody fetched within the retention period, so an
// abandoned device does not keep ciphertext on the server forever; anomaly
// records age out with them, and rate-limit state of idle keys is forgotten.
// Files go by the same clock: uploads never completed once their token ends,
// complete ones once the retention period has passed (services/blobs.ts).
import type { Clock } from '../clock.js';
import { errorSummary, type Logger } from '../logger.js';
import type { Store } from '../storage/store.js';

const DAY_MS = 86_400_000;
export const EXPIRY_INTERVAL_MS = 3_600_000;

export interface ExpiryOptions {
  readonly retentionDays: number;
  readonly now: Clock;
  readonly log: Logger;
  readonly intervalMs?: number;
  /** The file sweep, run after the mailbox one; absent: no files expire. */
  readonly blobs?: { sweep(): Promise<number> };
}

export class ExpiryTimer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly store: Store,
    private readonly options: ExpiryOptions,
  ) {}

  /** Runs once now, then every interval. The timer is unref'd: it never keeps the process alive. */
  start(): void {
    if (this.timer) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), this.options.intervalMs ?? EXPIRY_INTERVAL_MS);
    this.timer.unref();
  }

  /** Deletes what is older than the retention period; returns how many mailbox entries went. */
  async runOnce(): Promise<number> {
    const now = this.options.now();
    const before = now - this.options.retentionDays * DAY_MS;
    const { mailbox } = await this.store.expire(before, now);
    await this.store.rateLimiter().prune(now);
    await this.options.blobs?.sweep();
    if (mailbox > 0) this.options.log.info({ expired: mailbox }, 'expired undelivered mailbox entries');
    return mailbox;
  }

  /** Stops the timer and waits for a run in progress, so the store can be closed after. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.runOnce()
      .catch((error: unknown) => this.options.log.error({ err: errorSummary(error) }, 'mailbox expiry failed'))
      .finally(() => {
        this.running = undefined;
      });
  }
}

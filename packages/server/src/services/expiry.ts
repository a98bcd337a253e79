/** @module services/expiry */
// Deletes mailbox entries nobody fetched within the retention period, so an
// abandoned device does not keep ciphertext on the server forever; anomaly
// records age out with them, and rate-limit state of idle keys is forgotten.
// Files go by the same clock: uploads never completed once their token ends,
// complete ones once the retention period has passed (services/blobs.ts).
//
// Disappearing messages cannot wait an hour: an entry past its expires_at is
// deleted by a light sweep of its own, run every MAIL_EXPIRY_INTERVAL_MS and
// bounded per run, so the server forgets them within about that much of their
// time even for devices that never connect (a connecting device's pump drops
// them at once, gateway/mailbox-pump.ts).
import type { Clock } from '../clock.js';
import { errorSummary, type Logger } from '../logger.js';
import type { Store } from '../storage/store.js';

const DAY_MS = 86_400_000;
export const EXPIRY_INTERVAL_MS = 3_600_000;
/** How often expired disappearing messages are swept: well within the minute the protocol promises. */
export const MAIL_EXPIRY_INTERVAL_MS = 30_000;
/** Entries one statement of the mail sweep deletes at most: each write stays short. */
export const MAIL_SWEEP_BATCH = 1_000;
/** Statements one run of the mail sweep makes at most; what is left waits for the next run. */
export const MAIL_SWEEP_BATCHES = 10;

export interface ExpiryOptions {
  readonly retentionDays: number;
  readonly now: Clock;
  readonly log: Logger;
  readonly intervalMs?: number;
  readonly mailIntervalMs?: number;
  /** Entries per statement of the mail sweep (default MAIL_SWEEP_BATCH; tests make it small). */
  readonly mailSweepBatch?: number;
  /** The file sweep, run after the mailbox one; absent: no files expire. */
  readonly blobs?: { sweep(): Promise<number> };
}

export class ExpiryTimer {
  private timer: NodeJS.Timeout | undefined;
  private mailTimer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private mailRunning: Promise<unknown> | undefined;

  constructor(
    private readonly store: Store,
    private readonly options: ExpiryOptions,
  ) {}

  /** Runs both sweeps once now, then each every its interval. The timers are unref'd: they never keep the process alive. */
  start(): void {
    if (this.timer) return;
    this.tick();
    this.mailTick();
    this.timer = setInterval(() => this.tick(), this.options.intervalMs ?? EXPIRY_INTERVAL_MS);
    this.timer.unref();
    this.mailTimer = setInterval(() => this.mailTick(), this.options.mailIntervalMs ?? MAIL_EXPIRY_INTERVAL_MS);
    this.mailTimer.unref();
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

  /** Deletes disappearing messages whose time has come, at most MAIL_SWEEP_BATCHES batches; returns how many. */
  async sweepExpiredMail(): Promise<number> {
    const now = this.options.now();
    const size = this.options.mailSweepBatch ?? MAIL_SWEEP_BATCH;
    let deleted = 0;
    for (let batch = 0; batch < MAIL_SWEEP_BATCHES; batch++) {
      const swept = await this.store.expireMail(now, size);
      deleted += swept;
      if (swept < size) break;
    }
    if (deleted > 0) this.options.log.info({ expired: deleted }, 'deleted disappearing messages past their expiry');
    return deleted;
  }

  /** Stops the timers and waits for runs in progress, so the store can be closed after. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.mailTimer) clearInterval(this.mailTimer);
    this.timer = undefined;
    this.mailTimer = undefined;
    await Promise.all([this.running, this.mailRunning]);
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.runOnce()
      .catch((error: unknown) => this.options.log.error({ err: errorSummary(error) }, 'mailbox expiry failed'))
      .finally(() => {
        this.running = undefined;
      });
  }

  private mailTick(): void {
    if (this.mailRunning) return;
    this.mailRunning = this.sweepExpiredMail()
      .catch((error: unknown) => this.options.log.error({ err: errorSummary(error) }, 'disappearing message sweep failed'))
      .finally(() => {
        this.mailRunning = undefined;
      });
  }
}

/**
 * @module outbox-sender
 * Sends what the outbox holds and decides what each failure means. An entry is in the outbox
 * (stored with the message) before it is first sent, so no outcome here loses a message:
 *
 * - stored by the server: it leaves the outbox and whoever sent it is told;
 * - refused for good (not a member any more, ...): it leaves the outbox, and the sender is told why;
 * - RATE_LIMITED: sent again after a backoff, for as long as that takes (the limit always lifts);
 * - the server cannot store it (INTERNAL: its storage is full or down) or did not answer in time:
 *   sent again after a backoff, each failure logged at warn and announced on `didDelaySend`, at
 *   most SEND_ATTEMPTS times and for at most SEND_GIVE_UP_MS. Then every sender still waiting is
 *   told SERVER_UNAVAILABLE, retries stop, and the entries stay in the outbox: the next connection
 *   or the next send on this one starts again, oldest first;
 * - the connection dropped: it stays in the outbox and goes again after reconnecting.
 *
 * Before the bound, one-shot clients (`sotto send`) waited in silence for ever when the server's
 * disk was full (issue 15, hole 10).
 */
import { create, ErrorCode, FrameType, SendSchema } from '@sotto/protocol';
import { fromHex } from './bytes.js';
import type { EngineContext } from './context.js';
import { ClientError, MessageKeptError, RemoteError } from './errors.js';
import { Emitter, subscribeSide, type Subscribable } from './events.js';
import type { OutboxEntry } from './ports.js';

/** Attempts at most while the server cannot store (the first send included). */
export const SEND_ATTEMPTS = 6;
/** And for at most this long from the first failure: slow failures (timeouts) end sooner in attempts. */
export const SEND_GIVE_UP_MS = 60_000;
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 8000;

/** Why the server did not store a message. */
export type SendDelayReason = 'server-failed' | 'no-answer';

/** A send the server did not store, and what happens next. Counts only: no content, no names. */
export interface SendDelay {
  readonly reason: SendDelayReason;
  /** Attempts that failed in a row so far (1 after the first). */
  readonly failedAttempts: number;
  readonly maxAttempts: number;
  /** When the next attempt goes; undefined when this was the last one and the senders were told. */
  readonly retryInMs: number | undefined;
  /** Messages whose senders are waiting for the server. */
  readonly waiting: number;
}

interface PendingAck {
  resolve(): void;
  reject(error: Error): void;
}

/** What one transmission came to. */
type Outcome = 'stored' | 'refused' | 'later';

/** A scheduled retry; `due` settles when it fires or is cancelled, so `settled()` can wait for it. */
interface ScheduledRetry {
  readonly timer: unknown;
  readonly due: Promise<void>;
  readonly release: () => void;
}

export class OutboxSender {
  /** Fires when a send was not stored: before each retry, and once more on giving up. */
  private readonly delayed = new Emitter<SendDelay>();
  /** Fires when a send is delayed because the server cannot store (with the retry plan). */
  readonly didDelaySend: Subscribable<SendDelay> = subscribeSide(this.delayed);
  private readonly pendingAcks = new Map<string, PendingAck>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private resending: Promise<void> | undefined;
  private retry: ScheduledRetry | undefined;
  private retryDelayMs = RETRY_MIN_MS;
  /** The server failing to store, since when and how many attempts; undefined while all is well. */
  private outage: { failures: number; since: number } | undefined;
  /** Gave up on this connection: nothing is retried until the next send or connection. */
  private stalled = false;

  constructor(private readonly ctx: Pick<EngineContext, 'session' | 'store' | 'clock' | 'logger' | 'events'>) {}

  /** Resolves when the server stored the entry (already in the outbox); survives reconnects. */
  deliver(entry: OutboxEntry): Promise<void> {
    const acked = new Promise<void>((resolve, reject) => this.pendingAcks.set(entry.messageId, { resolve, reject }));
    if (this.ctx.session.currentState !== 'ready') return acked; // goes out after (re)connecting
    if (this.stalled) {
      // A new send after giving up: try the whole outbox again, oldest first, this one with it.
      this.resendOutbox().catch(() => undefined);
    } else if (!this.resending && !this.retry) {
      // Otherwise the round under way, or the one scheduled, picks it up from the outbox.
      const attempt = this.transmit(entry).catch(() => undefined);
      this.inFlight.add(attempt);
      void attempt.finally(() => this.inFlight.delete(attempt));
    }
    return acked;
  }

  /**
   * Sends everything in the outbox, oldest first (after a reconnect, or when a retry is due),
   * until it is empty, the connection drops, or the server cannot store. Entries added meanwhile
   * are picked up by the same round.
   */
  resendOutbox(): Promise<void> {
    this.stalled = false;
    this.resending ??= (async () => {
      try {
        for (let entries = await this.ctx.store.listOutbox(); entries.length > 0; entries = await this.ctx.store.listOutbox()) {
          for (const entry of entries) {
            if ((await this.transmit(entry)) === 'later') return;
          }
        }
      } catch {
        // The local store failed: the entries are still there for the next round.
      } finally {
        this.resending = undefined;
      }
    })();
    return this.resending;
  }

  /**
   * The connection is gone and will not come back by itself (one-shot use, or closed): waiting
   * sends fail now. Their messages stay in the outbox and go out on the next connection.
   */
  abandonPending(): void {
    this.cancelRetry();
    this.outage = undefined;
    this.stalled = false;
    this.rejectAll(new MessageKeptError('NOT_CONNECTED', 'Not sent yet: the connection is gone. The message is kept and sent on the next connection.'));
  }

  /** Resolves once every send started so far was answered, gave up, or waits for a connection. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0 || this.resending || this.retry) {
      await Promise.allSettled([...this.inFlight, this.resending, this.retry?.due]);
    }
  }

  private async transmit(entry: OutboxEntry): Promise<Outcome> {
    // A disappearing message whose time ran out while it waited here is gone: it is not sent.
    if (entry.expiresAt !== undefined && entry.expiresAt <= this.ctx.clock.now()) {
      await this.ctx.store.apply({ outboxRemove: [entry.messageId] });
      this.settle(entry.messageId);
      return 'stored';
    }
    try {
      await this.ctx.session.request(FrameType.SEND, create(SendSchema, {
        groupId: fromHex(entry.groupId),
        messageId: fromHex(entry.messageId),
        payload: entry.payload,
        ...(entry.expiresAt !== undefined ? { expiresAt: BigInt(entry.expiresAt) } : {}),
      }));
    } catch (error) {
      return this.failed(entry, error);
    }
    this.outage = undefined;
    this.retryDelayMs = RETRY_MIN_MS;
    await this.ctx.store.apply({ outboxRemove: [entry.messageId], statuses: [{ messageId: entry.messageId, status: 'sent' }] });
    this.ctx.events.didChangeStatus.fire({ messageId: entry.messageId, status: 'sent' });
    this.settle(entry.messageId);
    return 'stored';
  }

  private async failed(entry: OutboxEntry, error: unknown): Promise<Outcome> {
    const notStored = notStoredReason(error);
    if (notStored) {
      this.serverCannotStore(notStored);
      return 'later';
    }
    if (error instanceof RemoteError && error.wireCode === ErrorCode.RATE_LIMITED) {
      this.scheduleRetry();
      return 'later';
    }
    if (error instanceof RemoteError) {
      // The server refused it for good (not a member any more, ...): drop it and tell the sender.
      await this.ctx.store.apply({ outboxRemove: [entry.messageId] });
      this.settle(entry.messageId, error);
      return 'refused';
    }
    // The connection dropped: it stays in the outbox and goes again after reconnecting.
    return 'later';
  }

  /** One more failed attempt in this outage: retry with a backoff, or give up once over the bound. */
  private serverCannotStore(reason: SendDelayReason): void {
    // Sends failing together (a window of them in flight) are one attempt: the retry covers them all.
    if (this.retry) return;
    const now = this.ctx.clock.now();
    this.outage = { failures: (this.outage?.failures ?? 0) + 1, since: this.outage?.since ?? now };
    const failedAttempts = this.outage.failures;
    const waiting = this.pendingAcks.size;
    if (failedAttempts < SEND_ATTEMPTS && now - this.outage.since < SEND_GIVE_UP_MS) {
      const retryInMs = this.scheduleRetry();
      this.ctx.logger.warn({ reason, failedAttempts, maxAttempts: SEND_ATTEMPTS, retryInMs, waiting }, 'the server did not store a message; retrying');
      this.delayed.fire({ reason, failedAttempts, maxAttempts: SEND_ATTEMPTS, retryInMs, waiting });
      return;
    }
    this.ctx.logger.warn({ reason, failedAttempts, waiting }, 'the server did not store a message; gave up until the next send or connection');
    this.outage = undefined;
    this.retryDelayMs = RETRY_MIN_MS;
    this.stalled = true;
    this.delayed.fire({ reason, failedAttempts, maxAttempts: SEND_ATTEMPTS, retryInMs: undefined, waiting });
    const why = reason === 'no-answer' ? 'The server did not answer in time' : 'The server cannot store messages right now';
    this.rejectAll(new MessageKeptError('SERVER_UNAVAILABLE', `${why} (${failedAttempts} attempts). The message is kept and sent on the next connection.`));
  }

  /** Sends the outbox again after the current backoff (unless already scheduled); returns the delay. */
  private scheduleRetry(): number {
    const delay = this.retryDelayMs;
    if (this.retry) return delay;
    this.retryDelayMs = Math.min(RETRY_MAX_MS, this.retryDelayMs * 2);
    let release = (): void => {};
    const due = new Promise<void>((resolve) => (release = resolve));
    const timer = this.ctx.clock.setTimeout(() => {
      this.retry = undefined;
      // Started before `due` settles, so settled() sees the round and keeps waiting.
      if (this.ctx.session.currentState === 'ready') this.resendOutbox().catch(() => undefined);
      release();
    }, delay);
    this.retry = { timer, due, release };
    return delay;
  }

  private cancelRetry(): void {
    if (!this.retry) return;
    this.ctx.clock.clearTimeout(this.retry.timer);
    this.retry.release();
    this.retry = undefined;
  }

  private settle(messageId: string, error?: Error): void {
    const pending = this.pendingAcks.get(messageId);
    if (!pending) return;
    this.pendingAcks.delete(messageId);
    if (error) pending.reject(error);
    else pending.resolve();
  }

  private rejectAll(error: ClientError): void {
    for (const [messageId, pending] of this.pendingAcks) {
      this.pendingAcks.delete(messageId);
      pending.reject(error);
    }
  }
}

/** Why a failed send means the server did not store it for now, or undefined when it means something else. */
function notStoredReason(error: unknown): SendDelayReason | undefined {
  // INTERNAL: the server failed and "nothing was changed" (its storage full or down, or a fault).
  if (error instanceof RemoteError) return error.wireCode === ErrorCode.INTERNAL ? 'server-failed' : undefined;
  // The request timed out on a live connection: stored or not, sending it again is safe (the
  // server keeps the first copy of a message id).
  if (error instanceof ClientError && error.code === 'TIMEOUT') return 'no-answer';
  return undefined;
}

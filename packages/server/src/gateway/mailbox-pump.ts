/** @module gateway/mailbox-pump */
// Moves a device's mailbox onto its connection: reads in mailbox order from a
// cursor, keeps a bounded number of deliveries un-acked, and runs one pass at
// a time (an event during a pass schedules one more pass, never a second
// concurrent reader, which could send entries twice or out of order).
// Entries stay in the store until acked, so a reconnect starts over at the
// oldest un-acked entry: delivery is at least once.
//
// Acks free the window at once but reach the store together, within ACK_FLUSH_MS: clients ack a
// few entries at a time, and one durable delete per ack frame made the commits (an fsync each on
// SQLite) most of a drain's cost. An ack lost in a crash only means the entry is delivered again,
// which the client's inbox drops by its sequence number; so acks need not be durable at once.
//
// In a cluster, a mail event may carry the entry it announces (services/mail-notifier.ts). The
// pump keeps such an entry only when it is the very next one of the mailbox, and then delivers it
// without reading the store: a device's seqs are consecutive and commit in order (storage), so
// the entry at seq cursor + 1 is the one a read would return first. Anything else (a gap, an
// event from before the first drain, a mail event without an entry, a retry) reads the store as
// before, which is always right.
//
// A disappearing message past its expiry is never delivered (docs/PROTOCOL.md 7.2): the pump
// passes over it and deletes it as if it were acked, and writes that deletion before it goes on,
// so by the time a device hears its mailbox is drained the expired entries are gone from the store.
import type { Logger } from '../logger.js';
import { errorSummary } from '../logger.js';
import type { Store } from '../storage/store.js';
import type { DeviceAddress, MailboxEntry } from '../storage/types.js';

export const PUMP_BATCH = 200;
export const MAX_IN_FLIGHT = 1000;
/** How long acked entries may wait before their deletion is written. */
export const ACK_FLUSH_MS = 10;
/** Acked entries that make a write at once, without waiting for the timer. */
const ACK_FLUSH_COUNT = 1000;
const RETRY_MS = 1000;
/** Carried entries kept for the next pass: a few, as each event triggers a pass. */
export const CARRIED_MAX = 64;
const CARRIED_BYTES_MAX = 256 * 1024;

export interface PumpSink {
  /**
   * Sends one entry. Throws (synchronously) if it cannot be encoded; the
   * promise resolves once the socket took the bytes and never rejects.
   */
  deliver(entry: MailboxEntry): Promise<void>;
  /**
   * Undefined while the connection can take more; otherwise resolves once it can (or closed).
   * A client that does not read its deliveries is not sent more than the connection's bound.
   */
  whenWritable(): Promise<void> | undefined;
  /** The first complete pass found the mailbox empty; `count` entries were sent on the way. */
  drained(count: number): void;
}

/** What a pump tells the server's metrics: where the entries it delivers come from. */
export interface PumpCounts {
  /** `entries` were taken from notifications that carried them. */
  carried(entries: number): void;
  /** The mailbox was read. */
  read(): void;
}

const NOT_COUNTED: PumpCounts = { carried: () => {}, read: () => {} };

export class MailboxPump {
  private cursor = 0n;
  private readonly inFlight = new Set<bigint>();
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private initialDrainDone = false;
  private deliveredBeforeDrain = 0;
  private retry: NodeJS.Timeout | undefined;
  private pendingAcks: bigint[] = [];
  private ackTimer: NodeJS.Timeout | undefined;
  /** The last write of acks; each waits for the one before, so they reach the store in order. */
  private ackWrite: Promise<void> | undefined;
  /** Entries carried by mail events, consecutive from some seq on, for the next pass to deliver. */
  private carried: MailboxEntry[] = [];
  private carriedBytes = 0;
  /** Set by every trigger that carried nothing: the next pass reads the store whatever it holds. */
  private mustRead = true;
  /** The seq of the last entry handed to the running pass: where the cursor will be once it is through. */
  private through = 0n;

  constructor(
    private readonly store: Store,
    private readonly device: DeviceAddress,
    private readonly sink: PumpSink,
    /** Made on first use: most pumps never log. */
    private readonly log: () => Logger,
    /** True once an entry may no longer be delivered (DeliveryService.expired). */
    private readonly expired: (entry: MailboxEntry) => boolean,
    private readonly counts: PumpCounts = NOT_COUNTED,
  ) {}

  get unacked(): number {
    return this.inFlight.size;
  }

  /** Asks for a pass that reads the store; coalesces with one already running. */
  trigger(): void {
    this.mustRead = true;
    this.schedule();
  }

  /**
   * A mail event carried `entry`: kept for the next pass when it is the next entry after the last
   * one this pump knows of, so that pass need not read the store; either way a pass is asked for.
   */
  offer(entry: MailboxEntry): void {
    if (this.stopped) return;
    // The cursor never passes `through` (it walks the entries handed to the pass, up to it).
    const last = this.carried.at(-1)?.seq ?? this.through;
    const fits = this.carried.length < CARRIED_MAX && this.carriedBytes + entry.payload.length <= CARRIED_BYTES_MAX;
    // Before the first drain the cursor says nothing of what the mailbox holds.
    if (this.initialDrainDone && entry.seq === last + 1n && fits) {
      this.carried.push(entry);
      this.carriedBytes += entry.payload.length;
      this.schedule();
    } else this.trigger();
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run().finally(() => {
      this.running = undefined;
    });
  }

  /** Makes room for more deliveries now; the entries are deleted from the store within ACK_FLUSH_MS. */
  ack(seqs: readonly bigint[]): void {
    const wasFull = this.inFlight.size >= MAX_IN_FLIGHT;
    for (const seq of seqs) {
      this.inFlight.delete(seq);
      this.pendingAcks.push(seq);
    }
    if (this.pendingAcks.length >= ACK_FLUSH_COUNT) void this.flushAcks();
    else this.ackTimer ??= setTimeout(() => void this.flushAcks(), ACK_FLUSH_MS);
    if (wasFull && this.inFlight.size < MAX_IN_FLIGHT) this.trigger();
  }

  /** Writes the deletions of every entry acked so far; resolves when they are stored. */
  flushAcks(): Promise<void> {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    const seqs = this.pendingAcks;
    this.pendingAcks = [];
    if (seqs.length > 0) {
      this.ackWrite = (this.ackWrite ?? Promise.resolve()).then(async () => {
        try {
          await this.store.ackMailbox(this.device, seqs);
        } catch (error) {
          // The entries stay and are delivered again after a reconnect; the client drops repeats.
          this.log().warn({ err: errorSummary(error), entries: seqs.length }, 'acked entries could not be deleted; they will be delivered again');
        }
      });
    }
    return this.ackWrite ?? Promise.resolve();
  }

  /** Resolves when no pass is running or scheduled (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops after the current entry; resolves when no pass is running and the acks are written. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    await Promise.all([this.running, this.flushAcks()]);
  }

  private async run(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.pass();
      } while (this.again && !this.stopped);
    } catch (error) {
      this.log().error({ err: errorSummary(error) }, 'mailbox pump failed; retrying');
      this.retry = setTimeout(() => this.trigger(), RETRY_MS);
      this.retry.unref();
    }
  }

  private reportDrained(): void {
    if (this.initialDrainDone || this.stopped) return;
    this.initialDrainDone = true;
    this.sink.drained(this.deliveredBeforeDrain);
  }

  private async pass(): Promise<void> {
    while (!this.stopped) {
      const room = MAX_IN_FLIGHT - this.inFlight.size;
      if (room <= 0) {
        // Full: an ack makes room and triggers the next pass. Until then, one peek tells whether the
        // initial drain is in fact complete, so the client is not left waiting for the notice.
        if (!this.initialDrainDone && (await this.peekIsEmpty())) this.reportDrained();
        return;
      }
      const limit = Math.min(PUMP_BATCH, room);
      const entries = this.takeCarried(limit) ?? (await this.readStore(limit));
      if (entries.length > 0) this.through = entries.at(-1)!.seq;
      let lastSend: Promise<void> | undefined;
      let skippedExpired = false;
      for (const entry of entries) {
        if (this.stopped) return;
        const room = this.sink.whenWritable();
        if (room) {
          await room;
          if (this.stopped) return;
        }
        // Asked after any wait for the socket: an entry may expire while it waits.
        if (this.expired(entry)) {
          this.cursor = entry.seq;
          this.pendingAcks.push(entry.seq);
          skippedExpired = true;
          continue;
        }
        // Advance first: an entry that cannot be encoded is skipped (and logged), not retried forever.
        this.cursor = entry.seq;
        try {
          lastSend = this.sink.deliver(entry);
        } catch (error) {
          this.log().error({ err: errorSummary(error) }, 'mailbox entry could not be delivered; skipped');
          continue;
        }
        this.inFlight.add(entry.seq);
        if (!this.initialDrainDone) this.deliveredBeforeDrain += 1;
      }
      // Wait for the socket to take the batch before reading the next: backpressure, not a growing buffer.
      await lastSend;
      if (skippedExpired) await this.flushAcks();
      if (entries.length < limit) {
        this.reportDrained();
        return;
      }
    }
  }

  /**
   * Up to `limit` carried entries that follow the cursor, or undefined when the store must be read:
   * a trigger asked for it, or what is held does not start right after the cursor.
   */
  private takeCarried(limit: number): MailboxEntry[] | undefined {
    // Entries a read delivered meanwhile are behind the cursor.
    while (this.carried.length > 0 && this.carried[0]!.seq <= this.cursor) this.carriedBytes -= this.carried.shift()!.payload.length;
    if (this.mustRead || this.carried.length === 0 || this.carried[0]!.seq !== this.cursor + 1n) return undefined;
    const taken = this.carried.splice(0, limit);
    for (const entry of taken) this.carriedBytes -= entry.payload.length;
    this.counts.carried(taken.length);
    return taken;
  }

  private async peekIsEmpty(): Promise<boolean> {
    this.counts.read();
    return (await this.store.readMailbox(this.device, this.cursor, 1)).length === 0;
  }

  private readStore(limit: number): Promise<MailboxEntry[]> {
    // Cleared before the read: a trigger during it sets it again for the pass after.
    this.mustRead = false;
    this.carried = [];
    this.carriedBytes = 0;
    this.counts.read();
    return this.store.readMailbox(this.device, this.cursor, limit);
  }
}

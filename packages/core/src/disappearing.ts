/**
 * @module disappearing
 * Disappearing messages on this device: each conversation's timer (set by any member, kept in
 * the settings), the expiry a new message gets from it, the notice a change of it leaves in the
 * chat, and the sweep that deletes expired messages from the store, timed to the next expiry.
 */
import { LIMITS } from '@sotto/protocol';
import type { EngineContext } from './context.js';
import type { ClientStore, StoredMessage } from './ports.js';

/** Messages deleted per sweep; the next sweep follows at once while any are left. */
const SWEEP_BATCH = 500;
/** The sweep looks again at least this often, whatever it last saw (clocks move; stores change). */
const SWEEP_AT_LEAST_EVERY_MS = 60_000;

export async function timerOf(store: ClientStore, groupId: string): Promise<number> {
  return (await store.getSettings()).conversationTimers?.[groupId] ?? 0;
}

/** When a message sent or received `now` under a timer of `seconds` disappears; undefined when off. */
export function expiryFor(seconds: number, now: number): number | undefined {
  return seconds > 0 ? now + seconds * 1000 : undefined;
}

/** A timer in words: "1 day", "5 minutes", "90 days". */
export function describeTimer(seconds: number): string {
  const units: [number, string][] = [[86_400, 'day'], [3_600, 'hour'], [60, 'minute']];
  for (const [size, name] of units) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return `${seconds} seconds`;
}

/** The notice a timer change leaves in the chat. */
export function timerNotice(by: string, me: string, seconds: number): string {
  const who = by === me ? 'You' : by;
  return seconds === 0 ? `${who} turned off disappearing messages` : `${who} set disappearing messages to ${describeTimer(seconds)}`;
}

export function isAllowedTimer(seconds: number): boolean {
  return seconds === 0 || (Number.isInteger(seconds) && seconds >= LIMITS.disappearingMinSeconds && seconds <= LIMITS.disappearingMaxSeconds);
}

/** Deletes expired messages from the store, each at its time (to the clock's resolution). */
export class DisappearingSweep {
  private timer: unknown;
  private dueAt = Infinity;
  private closed = false;

  constructor(private readonly ctx: EngineContext) {
    // A message stored with an expiry sooner than the next sweep brings the sweep forward.
    const watch = (m: { expiresAt?: number }) => {
      if (m.expiresAt !== undefined && m.expiresAt < this.dueAt) this.schedule(m.expiresAt);
    };
    ctx.events.didReceiveMessage.event((m: StoredMessage) => watch(m));
    // A message this device just sent shows up as pending first.
    ctx.events.didChangeStatus.event(({ messageId, status }) => {
      if (status === 'pending') void ctx.store.getMessage(messageId).then((m) => m && watch(m), () => undefined);
    });
  }

  /** Sweeps now, then whenever the next message is due. */
  start(): void {
    this.schedule(this.ctx.clock.now());
  }

  close(): void {
    this.closed = true;
    this.ctx.clock.clearTimeout(this.timer);
  }

  private schedule(at: number): void {
    if (this.closed) return;
    this.ctx.clock.clearTimeout(this.timer);
    const now = this.ctx.clock.now();
    const when = Math.min(at, now + SWEEP_AT_LEAST_EVERY_MS);
    this.dueAt = when;
    this.timer = this.ctx.clock.setTimeout(() => void this.sweep(), Math.max(0, when - now));
  }

  private async sweep(): Promise<void> {
    if (this.closed) return;
    this.dueAt = Infinity;
    try {
      const now = this.ctx.clock.now();
      const expired = await this.ctx.queue.run(async () => {
        const ids = await this.ctx.store.listExpiredMessages(now, SWEEP_BATCH);
        const groups = new Set<string>();
        for (const id of ids) {
          const message = await this.ctx.store.getMessage(id);
          if (message) groups.add(message.groupId);
        }
        if (ids.length > 0) await this.ctx.store.apply({ messagesDelete: ids });
        return { ids, groups };
      });
      for (const groupId of expired.groups) this.ctx.events.didExpireMessages.fire({ groupId });
      if (expired.ids.length === SWEEP_BATCH) return this.schedule(now);
      const next = await this.ctx.store.nextExpiry();
      this.schedule(next ?? now + SWEEP_AT_LEAST_EVERY_MS);
    } catch (error) {
      this.ctx.logger.warn({ error: error instanceof Error ? error.name : 'unknown' }, 'disappearing sweep failed');
      this.schedule(this.ctx.clock.now() + SWEEP_AT_LEAST_EVERY_MS);
    }
  }
}

/**
 * @module typing
 * Typing indicators: "alice is typing…", each one an MLS application message like any content
 * (the server sees only that a small quiet message went to the group), with a setting that works
 * both ways: off, the member's typing is not sent, and contacts' typing is not shown either.
 *
 * Sending is paced here, not by the screen: at most one "typing" every REFRESH_MS while the
 * member goes on typing, one "stopped" when they stop, and each is quiet content
 * (Conversations.sendQuiet) that no device is woken for and that the server forgets after
 * EXPIRES_MS. Receiving keeps who is typing in memory only, for SHOWN_MS after their newest.
 */
import { AppContentSchema, create } from '@sotto/protocol';
import type { EngineContext } from './context.js';
import type { Conversations } from './conversations.js';
import { ClientError } from './errors.js';
import { newMessageId } from './message-id.js';

/** While typing goes on, "typing" is sent again this often (receivers show it for SHOWN_MS). */
export const TYPING_REFRESH_MS = 5_000;
/** How long a "typing" is shown without a newer one. */
export const TYPING_SHOWN_MS = 8_000;
/** The server forgets an undelivered indicator after this; a receiver ignores one older than this. */
export const TYPING_EXPIRES_MS = 15_000;

export class TypingIndicators {
  /** When this device last sent "typing", by conversation; absent once "stopped" went (or none did). */
  private readonly startedAt = new Map<string, number>();
  /** Who is typing, by conversation: each username with the timer that clears it. */
  private readonly typing = new Map<string, Map<string, unknown>>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly conversations: Conversations,
  ) {
    // A message sent ends the member's typing there for every receiver, with no "stopped".
    conversations.willSendStored.event((groupId) => this.startedAt.delete(groupId));
  }

  /**
   * The member is typing in `groupId` (or stopped: sent the message, cleared the box, left the
   * chat). Call it on every keystroke: what goes out is paced here. Nothing is sent when typing
   * indicators are off, in the account's own-devices conversation, or in a chat the member left.
   */
  async set(groupId: string, typing: boolean): Promise<void> {
    const now = this.ctx.clock.now();
    const last = this.startedAt.get(groupId);
    if (typing ? last !== undefined && now - last < TYPING_REFRESH_MS : last === undefined) return;
    if ((await this.ctx.store.getSettings()).typingIndicators === false) return;
    const conversation = await this.ctx.store.getConversation(groupId);
    if (!conversation || !conversation.active || conversation.kind === 'self') return;
    if (typing) this.startedAt.set(groupId, now);
    else this.startedAt.delete(groupId);
    const content = create(AppContentSchema, {
      messageId: newMessageId(this.ctx.clock, this.ctx.random),
      sentAt: BigInt(now),
      body: { case: 'typing', value: { stopped: !typing } },
    });
    try {
      const sent = await this.conversations.sendQuiet(groupId, content, now + TYPING_EXPIRES_MS);
      if (!sent && typing) this.startedAt.delete(groupId);
    } catch (error) {
      // Offline or refused: an indicator is worth nothing late, so it is never retried.
      if (typing) this.startedAt.delete(groupId);
      if (!(error instanceof ClientError)) throw error;
    }
  }

  /** Who is typing in `groupId` now (other accounts only), in the order they started. */
  in(groupId: string): string[] {
    return [...(this.typing.get(groupId)?.keys() ?? [])];
  }

  /**
   * A typing indicator from `username` arrived in `groupId` (the inbox checked it came from
   * another account, in a chat, while this member's typing indicators are on).
   */
  received(groupId: string, username: string, stopped: boolean, sentAt: number): void {
    if (this.ctx.clock.now() - sentAt > TYPING_EXPIRES_MS) return;
    if (stopped) return this.clear(groupId, username);
    const inGroup = this.typing.get(groupId) ?? new Map<string, unknown>();
    const before = inGroup.get(username);
    if (before !== undefined) this.ctx.clock.clearTimeout(before);
    inGroup.set(username, this.ctx.clock.setTimeout(() => this.clear(groupId, username), TYPING_SHOWN_MS));
    this.typing.set(groupId, inGroup);
    if (before === undefined) this.ctx.events.didChangeTyping.fire({ groupId });
  }

  /** `username` is no longer typing in `groupId`: they stopped, or their message arrived. */
  clear(groupId: string, username: string): void {
    const inGroup = this.typing.get(groupId);
    const timer = inGroup?.get(username);
    if (!inGroup || timer === undefined) return;
    this.ctx.clock.clearTimeout(timer);
    inGroup.delete(username);
    if (inGroup.size === 0) this.typing.delete(groupId);
    this.ctx.events.didChangeTyping.fire({ groupId });
  }

  /** Typing indicators were turned off: nobody is shown typing any more. */
  clearAll(): void {
    for (const [groupId, inGroup] of [...this.typing]) {
      for (const username of [...inGroup.keys()]) this.clear(groupId, username);
    }
  }
}

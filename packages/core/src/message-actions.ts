/**
 * @module message-actions
 * `client.messages`: what a member does to a message once it is there: answer it, react to it,
 * edit or delete it for everyone (their own), forward it to another chat. Each is an ordinary MLS
 * message of the conversation, judged by the rules every receiving device applies too
 * (`message-rules.ts`); this device's own copy changes in the same write that queues the action.
 */
import { AppContentSchema, AttachmentSchema, create, fromBinary, isReactionEmoji, LIMITS, toBinary, type MessageInitShape } from '@sotto/protocol';
import { fromHex, toHex } from './bytes.js';
import type { EngineContext } from './context.js';
import type { Conversations } from './conversations.js';
import { ClientError } from './errors.js';
import { newMessageId } from './message-id.js';
import { expiryFor, timerOf } from './disappearing.js';
import { judgeEdit, judgeReaction, judgeRetract, type ActionVerdict } from './message-rules.js';
import type { StoredMessage } from './ports.js';

type Audience = Parameters<Conversations['send']>[3];

export class MessageActions {
  constructor(
    private readonly ctx: EngineContext,
    private readonly conversations: Conversations,
    private readonly audience: Audience,
    /** The engine's one check of a message's text (`checkMessageText`). */
    private readonly checkText: (text: string) => void,
  ) {}

  /** Sends `text` as an answer to `messageId`, which must be a message of the same conversation. */
  async reply(conversationId: string, messageId: string, text: string): Promise<StoredMessage> {
    this.checkText(text);
    const target = await this.target(conversationId, messageId);
    if (target.deletedAt !== undefined) throw new ClientError('INVALID_INPUT', 'That message was deleted; there is nothing to answer.');
    return this.conversations.sendText(conversationId, text, this.audience, { replyTo: target.messageId });
  }

  /** Reacts to a message with one emoji; an empty emoji takes this account's reaction back. */
  async react(conversationId: string, messageId: string, emoji: string): Promise<void> {
    if (emoji !== '' && !isReactionEmoji(emoji)) throw new ClientError('INVALID_INPUT', `A reaction is one emoji (at most ${LIMITS.reactionMaxCodePoints} code points).`);
    const target = await this.target(conversationId, messageId);
    await this.act(target, (now) => judgeReaction(target, this.ctx.identity.username, emoji, now), { case: 'reaction', value: { messageId: fromHex(target.messageId), emoji } });
  }

  /** Replaces the text of one of this account's own texts, within 15 minutes of sending it. */
  async edit(conversationId: string, messageId: string, text: string): Promise<void> {
    this.checkText(text);
    const target = await this.target(conversationId, messageId);
    await this.act(target, (now) => judgeEdit(target, this.ctx.identity.username, text, now), { case: 'edit', value: { messageId: fromHex(target.messageId), body: text } });
  }

  /** Deletes one of this account's own messages for everyone, within 2 days of sending it. */
  async deleteForEveryone(conversationId: string, messageId: string): Promise<void> {
    const target = await this.target(conversationId, messageId);
    await this.act(target, (now) => judgeRetract(target, this.ctx.identity.username, now), { case: 'retract', value: { messageId: fromHex(target.messageId) } });
  }

  /**
   * Sends a copy of a message to another conversation, marked as forwarded. A file goes by its
   * descriptor: the same encrypted blob, nothing uploaded again.
   */
  async forward(messageId: string, toConversationId: string): Promise<StoredMessage> {
    const source = await this.ctx.store.getMessage(messageId);
    if (!source) throw new ClientError('INVALID_INPUT', 'No such message here.');
    if (source.deletedAt !== undefined) throw new ClientError('INVALID_INPUT', 'A deleted message cannot be forwarded.');
    if (!source.attachment) {
      this.checkText(source.body);
      return this.conversations.sendText(toConversationId, source.body, this.audience, { forwarded: true });
    }
    const id = newMessageId(this.ctx.clock, this.ctx.random);
    const now = this.ctx.clock.now();
    const seconds = await timerOf(this.ctx.store, toConversationId);
    const expiresAt = expiryFor(seconds, now);
    const attachment = { ...fromBinary(AttachmentSchema, source.attachment), forwarded: true, expireSeconds: seconds };
    const content = create(AppContentSchema, { messageId: id, sentAt: BigInt(now), body: { case: 'attachment', value: attachment } });
    const record: StoredMessage = {
      messageId: toHex(id), groupId: toConversationId, sender: this.ctx.identity.username, senderDevice: this.ctx.identity.deviceId,
      body: attachment.caption, sentAt: now, receivedAt: now, outgoing: true, status: 'pending', forwarded: true,
      attachment: toBinary(AttachmentSchema, create(AttachmentSchema, attachment)), ...(expiresAt !== undefined ? { expiresAt } : {}),
    };
    await this.conversations.send({ groupId: toConversationId }, content, record, this.audience);
    return { ...record, status: 'sent' };
  }

  private async target(conversationId: string, messageId: string): Promise<StoredMessage> {
    const target = await this.ctx.store.getMessage(messageId);
    if (!target || target.groupId !== conversationId) throw new ClientError('INVALID_INPUT', 'That message is not in this conversation.');
    return target;
  }

  /** Judges the action as every receiver will, then sends it and changes this device's copy in one write. */
  private async act(target: StoredMessage, judge: (now: number) => ActionVerdict, body: MessageInitShape<typeof AppContentSchema>['body']): Promise<void> {
    const now = this.ctx.clock.now();
    const verdict = judge(now);
    if (!verdict.ok) throw new ClientError('INVALID_INPUT', verdict.reason);
    const content = create(AppContentSchema, { messageId: newMessageId(this.ctx.clock, this.ctx.random), sentAt: BigInt(now), body });
    await this.conversations.send({ groupId: target.groupId }, content, undefined, this.audience, [verdict.change]);
    this.ctx.events.didChangeMessage.fire({ messageId: target.messageId, groupId: target.groupId });
  }
}

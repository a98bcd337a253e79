/**
 * @module contact-notices
 * "bob accepted your request": the notice a requester's 1:1 chat keeps once the other member
 * accepts. CONTACT_ACCEPTED usually arrives before any 1:1 with them exists (the accepter sets it
 * up right after answering), so the acceptance waits in this device's settings
 * (`acceptedRequests`) until a direct conversation with them is here, joined through a Welcome or
 * made on this device, and then becomes that chat's notice. Written as a stored notice (never
 * unread, never answered), so it is still there after a restart; one id per contact and
 * acceptance, and the waiting entry goes in the same batch, so it is written once.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from './bytes.js';
import type { EngineContext } from './context.js';
import type { Conversations } from './conversations.js';
import type { ClientWriteBatch, StoredConversation, StoredMessage } from './ports.js';

/** An acceptance this recent may still have its 1:1 on the way from the accepter's device. */
const RECENT_ACCEPTANCE_MS = 30_000;
/** How long a requester waits for that 1:1 before making one of its own. */
const ACCEPTERS_CHAT_WAIT_MS = 3_000;
const POLL_MS = 50;

const utf8 = new TextEncoder();

/** The notice in the 1:1 `groupId` that `peer` accepted this account's request at `acceptedAt`. */
export function acceptedNotice(groupId: string, peer: string, acceptedAt: number): StoredMessage {
  return {
    messageId: toHex(sha256(utf8.encode(`sotto contact notice\0${peer}\0${acceptedAt}`)).subarray(0, 16)),
    groupId,
    sender: peer,
    senderDevice: '',
    body: `${peer} accepted your request`,
    sentAt: acceptedAt,
    receivedAt: acceptedAt,
    outgoing: false,
    status: 'read',
    notice: 'contact',
  };
}

/**
 * What the inbox stores for a CONTACT_ACCEPTED from `peer` (inside the engine queue): the notice
 * in the 1:1 with them if there is one already, else the acceptance, waiting for that chat.
 */
export async function recordAcceptance(ctx: EngineContext, conversations: Conversations, peer: string): Promise<{ batch: ClientWriteBatch; notice?: StoredMessage }> {
  const now = ctx.clock.now();
  const direct = await conversations.findDirect(peer);
  if (direct) {
    const notice = acceptedNotice(direct.groupId, peer, now);
    return { batch: { messages: [notice] }, notice };
  }
  const waiting = (await ctx.store.getSettings()).acceptedRequests;
  return { batch: { settings: { acceptedRequests: { ...waiting, [peer]: now } } } };
}

/**
 * The 1:1 with `peer` that their device is setting up, when they accepted this account's request
 * moments ago and its Welcome has not been processed yet: waited for (at most a few seconds) so a
 * requester who writes at once does not start a second 1:1 beside it. Undefined when there is no
 * such recent acceptance, or nothing came.
 */
export async function accepterChat(ctx: EngineContext, conversations: Conversations, peer: string): Promise<StoredConversation | undefined> {
  const acceptedAt = (await ctx.store.getSettings()).acceptedRequests?.[peer];
  if (acceptedAt === undefined || ctx.clock.now() - acceptedAt > RECENT_ACCEPTANCE_MS) return undefined;
  const deadline = ctx.clock.now() + ACCEPTERS_CHAT_WAIT_MS;
  while (ctx.clock.now() < deadline) {
    await new Promise<void>((resolve) => ctx.clock.setTimeout(resolve, POLL_MS));
    const found = await conversations.findDirect(peer);
    if (found) return found;
  }
  return undefined;
}

export class ContactNotices {
  constructor(private readonly ctx: EngineContext) {
    // A 1:1 joined through a Welcome: an acceptance may be waiting for it.
    ctx.events.didJoinConversation.event(({ groupId }) => void this.placeIn(groupId).catch(() => undefined));
  }

  /** A direct conversation `groupId` is here: the acceptance waiting for it becomes its notice. */
  async placeIn(groupId: string): Promise<void> {
    const notice = await this.ctx.queue.run(async () => {
      const conversation = await this.ctx.store.getConversation(groupId);
      if (!conversation?.active || conversation.kind !== 'direct') return undefined;
      const waiting = (await this.ctx.store.getSettings()).acceptedRequests ?? {};
      const acceptedAt = waiting[conversation.name];
      if (acceptedAt === undefined) return undefined;
      const notice = acceptedNotice(groupId, conversation.name, acceptedAt);
      const rest = Object.fromEntries(Object.entries(waiting).filter(([peer]) => peer !== conversation.name));
      await this.ctx.store.apply({ messages: [notice], settings: { acceptedRequests: rest } });
      return notice;
    });
    if (notice) this.ctx.events.didReceiveMessage.fire(notice);
  }
}

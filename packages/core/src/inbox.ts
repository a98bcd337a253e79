/**
 * @module inbox
 * Processes mailbox entries one at a time, in order, exactly once: an entry's
 * effects and the new high-water mark are written in one batch, and only then
 * is the entry acknowledged. Consent comes before parsing: a Welcome from
 * anyone but an accepted contact, and a group message for a conversation this
 * device is not in, are dropped without decoding; a contact request is only
 * ever read as bounded plain text. Within a group, MLS authenticates the
 * sender, which must match the device the server names.
 */
import {
  ContactState,
  decodeAppContent,
  DeliveryKind,
  isPlainText,
  LIMITS,
  missingCase,
  create,
  AppContentSchema,
  ReceiptKind,
  AnomalyKind,
  AttachmentSchema,
  toBinary,
  type AppContent,
  type Delivery,
} from '@sotto/protocol';
import { equalBytes, toHex, utf8 } from './bytes.js';
import type { EngineContext } from './context.js';
import { isDirectBetween, type Conversations } from './conversations.js';
import { ClientError } from './errors.js';
import { adminsOf, epochOf, membersOf } from './mls/group.js';
import type { ClientState } from 'ts-mls';
import { settlePending } from './pending-changes.js';
import { isStatusAdvance } from './message-status.js';
import { expiryFor, timerNotice } from './disappearing.js';
import { adminNotices, membershipNotices, renameNotice } from './group-notices.js';
import { judgeEdit, judgeReaction, judgeRetract, type ActionVerdict } from './message-rules.js';
import type { ClientWriteBatch, MessageStatus, StoredCallLogEntry, StoredConversation, StoredMessage } from './ports.js';
import type { Calls } from './calls/call-controller.js';
import { callSignalFromWire, callSignalRecipient } from './calls/call-signal-codec.js';
import type { ThreatNotices } from './threat-notices.js';
import { newMessageId } from './message-id.js';
import type { DeviceDeliveries } from './devices/device-deliveries.js';
import { groupCallNoticeText, noticeKindOf } from './group-calls/group-call-notices.js';
import type { TypingIndicators } from './typing.js';
import type { Profiles } from './profiles.js';
import { recordAcceptance } from './contact-notices.js';

/** How long a live join waits for its conversation's GroupMeta before it is announced as it is. */
const JOIN_ANNOUNCE_GRACE_MS = 1500;

interface Outcome {
  readonly batch: ClientWriteBatch;
  /** Runs after the batch is stored: events, follow-up work. */
  readonly after?: () => void;
}

export class Inbox {
  private readonly receipts = new Map<string, Uint8Array[]>();
  /**
   * Set when storing an entry's effects failed. Later entries are then left
   * unacknowledged too: processing them would move the high-water mark past
   * the failed one, and its redelivery would be mistaken for a duplicate.
   */
  private halted = false;
  private flushQueued = false;
  private processed = 0;
  /**
   * Conversations joined but not announced yet: a Welcome cannot say what the conversation is,
   * the GroupMeta right behind it does (a two-person group is not a 1:1; a group has a name,
   * not `group-1a2b3c4d`). The join is announced with the meta's name, or with the provisional
   * one when a message comes first, the mailbox drains, or (live) a moment passes.
   */
  private readonly unannounced = new Map<string, string>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly conversations: Conversations,
    private readonly calls: Calls,
    private readonly threats: ThreatNotices,
    private readonly devices: DeviceDeliveries,
    private readonly profiles: Profiles,
    private readonly typing: TypingIndicators,
    /** Whether the mailbox waiting at connect time has been processed (live deliveries after it). */
    private readonly drained: () => boolean = () => false,
  ) {}

  /** A new connection redelivers everything unacknowledged: start processing again. */
  resume(): void {
    this.halted = false;
  }

  /** How many entries were processed (shown or dropped) since start. */
  get count(): number {
    return this.processed;
  }

  enqueue(delivery: Delivery): void {
    this.ctx.queue.run(() => this.process(delivery)).catch((error: unknown) => {
      this.ctx.logger.error({ error: error instanceof Error ? error.name : 'unknown' }, 'inbox entry failed; it stays unacknowledged');
    });
  }

  private async process(delivery: Delivery): Promise<void> {
    if (this.halted) return;
    if (delivery.seq <= (await this.ctx.store.getLastSeq())) {
      this.ctx.session.ack([delivery.seq]); // seen before; the earlier ack was lost
      return;
    }
    let outcome: Outcome;
    try {
      outcome = await this.handle(delivery);
    } catch (error) {
      if (error instanceof ClientError && (error.code === 'NOT_CONNECTED' || error.code === 'TIMEOUT')) {
        // Not the entry's fault: leave it (and everything after it) for the next connection.
        this.halted = true;
        throw error;
      }
      // MLS could not process it (or a Welcome could not be joined): the sender's bytes were bad.
      outcome = this.drop(delivery, error instanceof Error ? error.message : 'unreadable', {}, AnomalyKind.UNDECRYPTABLE);
    }
    try {
      // Object.assign, not a spread with more properties after it: V8 builds those on a slow path (~2 us).
      await this.ctx.store.apply(Object.assign({}, outcome.batch, { lastSeq: delivery.seq }));
    } catch (error) {
      this.halted = true;
      throw error;
    }
    this.processed += 1;
    this.ctx.session.ack([delivery.seq]);
    outcome.after?.();
  }

  private async handle(delivery: Delivery): Promise<Outcome> {
    const sender = delivery.senderUsername;
    switch (delivery.kind) {
      case DeliveryKind.CONTACT_REQUEST:
      case DeliveryKind.CALL_REQUEST:
      case DeliveryKind.LINKED_CONTACT_REQUEST:
        return this.onContactRequest(delivery);
      case DeliveryKind.THREAT_NOTICE:
        return this.onThreatNotice(delivery);
      case DeliveryKind.CONTACT_ACCEPTED: {
        const contact = { username: sender, state: ContactState.ACCEPTED, text: '', updatedAt: this.ctx.clock.now() };
        // "bob accepted your request", in the 1:1 with them (or waiting for it).
        const { batch, notice } = await recordAcceptance(this.ctx, this.conversations, sender);
        return {
          batch: { ...batch, contacts: [contact] },
          after: () => {
            this.ctx.events.didChangeContact.fire(contact);
            if (notice) this.ctx.events.didReceiveMessage.fire(notice);
          },
        };
      }
      case DeliveryKind.MLS_WELCOME:
        if (!(await this.isTrustedAfterAsking(sender))) return this.drop(delivery, 'welcome from a member who is not an accepted contact', {}, AnomalyKind.CONSENT_VIOLATION);
        // A Welcome from this account itself is opened only from a device in its signed list:
        // the server naming the member's own account as the sender is not enough.
        if (sender === this.ctx.identity.username && !(await this.devices.ownWelcomeAllowed(delivery.senderDeviceId))) {
          return this.drop(delivery, 'welcome from an unlisted device of this account', {}, AnomalyKind.CONSENT_VIOLATION);
        }
        return this.onWelcome(delivery);
      case DeliveryKind.DEVICE_LINK_REQUEST:
      case DeliveryKind.DEVICE_LINK_BUNDLE:
      case DeliveryKind.DEVICE_LIST: {
        const outcome = await this.devices.handle(delivery);
        return 'drop' in outcome ? this.drop(delivery, outcome.drop, {}, outcome.anomaly) : outcome;
      }
      case DeliveryKind.MLS_COMMIT:
      case DeliveryKind.MLS_MESSAGE:
      case DeliveryKind.MLS_RING:
      case DeliveryKind.MEMBER_LEFT:
        return this.onGroupMessage(delivery);
      case DeliveryKind.CONTACT_DECLINED: {
        // The requester took their request back: it leaves this member's list (a pending one only).
        const known = await this.ctx.store.getContact(delivery.senderUsername);
        if (known?.state !== ContactState.PENDING) return { batch: {} };
        const contact = { username: delivery.senderUsername, state: ContactState.DECLINED, text: '', updatedAt: this.ctx.clock.now() };
        return { batch: { contacts: [contact] }, after: () => this.ctx.events.didChangeContact.fire(contact) };
      }
      case DeliveryKind.UNSPECIFIED:
        return this.drop(delivery, 'unknown delivery kind');
      default:
        return this.drop(delivery, 'unknown delivery kind');
    }
  }

  private async onContactRequest(delivery: Delivery): Promise<Outcome> {
    const sender = delivery.senderUsername;
    let text: string;
    try {
      text = utf8.decode(delivery.payload);
    } catch {
      return this.drop(delivery, 'contact request text is not UTF-8', {}, AnomalyKind.MALFORMED);
    }
    if (!isPlainText(text, LIMITS.contactRequestMaxChars)) return this.drop(delivery, 'contact request text is not plain text of at most 280 characters', {}, AnomalyKind.MALFORMED);
    const existing = await this.ctx.store.getContact(sender);
    if (existing?.state === ContactState.BLOCKED) return this.drop(delivery, 'request from a blocked member');
    if (existing?.state === ContactState.ACCEPTED) return { batch: {} };
    const viaLink = delivery.kind === DeliveryKind.LINKED_CONTACT_REQUEST;
    // In lockdown a stranger's words are not kept: the member sees only that someone asked.
    const lockdown = (await this.ctx.store.getSettings()).lockdown;
    const contact = { username: sender, state: ContactState.PENDING, text: lockdown && !viaLink ? '' : text, updatedAt: this.ctx.clock.now(), ...(viaLink ? { viaLink } : {}) };
    const heldBack = lockdown && !viaLink;
    // A stranger's call attempt: it rings nothing and is only logged (rule 1).
    const missed = delivery.kind === DeliveryKind.CALL_REQUEST ? this.missedRequest(sender, delivery) : undefined;
    return {
      batch: { contacts: [contact], ...(missed ? { callLog: [missed] } : {}) },
      after: () => {
        this.ctx.events.didChangeContact.fire(heldBack ? { ...contact, heldBack } : contact);
        if (missed) this.calls.announceMissedCall(missed);
      },
    };
  }

  private async onWelcome(delivery: Delivery): Promise<Outcome> {
    const { state, usedRef } = await this.ctx.mls.join(delivery.payload, async (ref) => {
      const stored = await this.ctx.store.getKeyPackage(ref);
      if (!stored) return undefined;
      const decoded = this.ctx.mls.decodeKeyPackage(stored.publicPackage, this.ctx.identity, this.ctx.identity.publicKey);
      return {
        publicPackage: decoded,
        privatePackage: { initPrivateKey: stored.initPrivateKey, hpkePrivateKey: stored.hpkePrivateKey, signaturePrivateKey: stored.signaturePrivateKey },
      };
    });
    const groupId = toHex(state.groupContext.groupId);
    const existing = await this.ctx.store.getConversation(groupId);
    const used = await this.ctx.store.getKeyPackage(usedRef);
    const keyPackagesRemove = used && !used.lastResort ? [usedRef] : [];
    if (existing?.active) return { batch: { keyPackagesRemove } };
    const me = this.ctx.identity.username;
    const usernames = membersOf(state).map((m) => m.username);
    // From another device of this account, the peer is whoever else is in it; what the
    // conversation is (1:1 or a named group) came in the linking device's bundle, if it did.
    const others = [...new Set(usernames)].filter((u) => u !== me);
    const sender = delivery.senderUsername === me && others.length === 1 ? others[0]! : delivery.senderUsername;
    const linked = delivery.senderUsername === me ? (await this.ctx.store.getSettings()).linkedConversations?.[groupId] : undefined;
    // A two-account group starts out as the direct conversation with its creator; a
    // GroupMeta from the creator (sent right after creating a named group) makes it a group.
    const direct = linked ? linked.kind === 'direct' : isDirectBetween(usernames, me, sender);
    // The account's own devices and nobody else, made by one of them: where settings are kept in
    // step (a group whose other members all left stays a group: the bundle says what it is).
    const own = linked ? linked.kind === 'self' : delivery.senderUsername === me && others.length === 0;
    // Added back to a group this device was once in: it stays what it was (a named group of
    // two is not a direct chat, and must not become one: call signals are heard only in those).
    const conversation: StoredConversation = {
      groupId,
      kind: existing?.kind ?? (own ? 'self' : direct ? 'direct' : 'group'),
      name: existing?.name ?? linked?.name ?? (own ? '' : direct ? sender : `group-${groupId.slice(0, 8)}`),
      state: this.ctx.mls.encodeState(state),
      epoch: epochOf(state),
      createdAt: this.ctx.clock.now(),
      active: true,
    };
    // The own-devices conversation is no chat: nothing to announce.
    if (conversation.kind === 'self') return { batch: { conversations: [conversation], keyPackagesRemove } };
    return {
      batch: { conversations: [conversation], keyPackagesRemove },
      after: () => (linked || existing ? this.ctx.events.didJoinConversation.fire({ groupId, name: conversation.name }) : this.deferJoin(groupId, conversation.name)),
    };
  }

  private deferJoin(groupId: string, name: string): void {
    this.unannounced.set(groupId, name);
    // Live: the creator's GroupMeta follows within moments; announce anyway if it does not.
    if (this.drained()) this.ctx.clock.setTimeout(() => this.announceJoin(groupId), JOIN_ANNOUNCE_GRACE_MS);
  }

  /** Announces a deferred join, with `name` if the conversation's meta just gave one. */
  private announceJoin(groupId: string, name?: string): void {
    const provisional = this.unannounced.get(groupId);
    if (provisional === undefined) return;
    this.unannounced.delete(groupId);
    this.ctx.events.didJoinConversation.fire({ groupId, name: name ?? provisional });
  }

  /** The mailbox waiting at connect time is processed: every join still deferred is announced. */
  announcePendingJoins(): void {
    for (const groupId of [...this.unannounced.keys()]) this.announceJoin(groupId);
  }

  private async onGroupMessage(delivery: Delivery): Promise<Outcome> {
    const groupId = toHex(delivery.groupId);
    const stored = await this.ctx.store.getConversation(groupId);
    // A change of ours still awaiting the server's word decides which epoch we are in.
    const conversation = stored && (await settlePending(this.ctx, stored));
    if (!conversation?.active) return this.drop(delivery, 'message for a conversation this device is not in');
    const before = this.ctx.mls.decodeState(conversation.state);
    const incoming = await this.ctx.mls.process(before, delivery.payload);
    if (incoming.sender.username !== delivery.senderUsername || incoming.sender.deviceId !== delivery.senderDeviceId) {
      // The server's word and MLS disagree on who sent it: trust neither, show nothing.
      return this.drop(delivery, 'sender does not match the MLS sender', {}, AnomalyKind.MALFORMED);
    }
    // A commit the group's admin rule refuses: nothing of it is applied, the group stays in its
    // epoch and the next messages read as before (the server refuses such commits too).
    if (incoming.kind === 'handshake' && incoming.rejected !== undefined) {
      return this.drop(delivery, `commit refused: ${incoming.rejected}`, {}, AnomalyKind.MALFORMED);
    }
    const updated: StoredConversation = {
      ...conversation,
      state: this.ctx.mls.encodeState(incoming.state),
      epoch: epochOf(incoming.state),
      active: incoming.kind === 'handshake' ? !incoming.removedSelf : true,
    };
    if (incoming.kind === 'handshake') {
      const needsCommit = incoming.contentType === 'proposal' && Object.keys(incoming.state.unappliedProposals).length > 0;
      // A group chat says who joined and who is no longer in it (accounts, not devices).
      const group = incoming.contentType === 'commit' && conversation.kind === 'group';
      const now = this.ctx.clock.now();
      const me = this.ctx.identity.username;
      const notices = group
        ? [
          ...membershipNotices(groupId, membersOf(before).map((m) => m.username), membersOf(incoming.state).map((m) => m.username), epochOf(incoming.state), me, now),
          ...adminNotices(groupId, adminsOf(before), adminsOf(incoming.state), delivery.senderUsername, epochOf(incoming.state), me, now),
        ]
        : [];
      // The last admin left and this commit removed them: a member names itself (first one wins).
      const adminless = group && !incoming.removedSelf && lacksAdmin(incoming.state);
      return {
        batch: { conversations: [updated], ...(notices.length > 0 ? { messages: notices } : {}) },
        after: () => {
          if (incoming.contentType === 'commit') this.ctx.events.didChangeMembers.fire({ groupId });
          for (const n of notices) this.ctx.events.didReceiveMessage.fire(n);
          if (needsCommit) this.conversations.commitPending(groupId).catch(() => undefined);
          if (adminless) this.conversations.settleAdmins({ groupId }).catch(() => undefined);
        },
      };
    }
    if (await this.isBlocked(delivery.senderUsername)) {
      // Nothing a blocked member sends is read. The server marks rings, so a ring can still be
      // logged as a missed request without decoding a byte of it.
      if (delivery.kind !== DeliveryKind.MLS_RING) return { batch: { conversations: [updated] } };
      const missed = this.missedRequest(delivery.senderUsername, delivery);
      this.ctx.anomalies.record({ user: delivery.senderUsername, device: delivery.senderDeviceId }, AnomalyKind.UNSOLICITED_CALL);
      return { batch: { conversations: [updated], callLog: [missed] }, after: () => this.calls.announceMissedCall(missed) };
    }
    let content: ReturnType<typeof decodeAppContent>;
    try {
      content = decodeAppContent(incoming.plaintext);
    } catch (error) {
      // The MLS state still moves on, so later messages from the same sender stay readable.
      return this.drop(delivery, error instanceof Error ? error.message : 'unreadable content', { conversations: [updated] }, AnomalyKind.MALFORMED);
    }
    if (!equalBytes(content.messageId, delivery.messageId)) return this.drop(delivery, 'message id does not match its envelope', { conversations: [updated] }, AnomalyKind.MALFORMED);
    const body = content.body;
    switch (body.case) {
      case 'text':
        return this.storeMessage(delivery, content, groupId, updated, body.value.body, undefined, {
          ...(body.value.replyTo.byteLength > 0 ? { replyTo: toHex(body.value.replyTo) } : {}),
          ...(body.value.forwarded ? { forwarded: true } : {}),
          ...expiring(body.value.expireSeconds, this.ctx.clock.now()),
        });
      case 'profile': {
        const verdict = await this.profiles.receive(delivery.senderUsername, updated.kind, Number(content.sentAt), body.value);
        if ('drop' in verdict) return this.drop(delivery, verdict.drop, { conversations: [updated] });
        return { batch: { conversations: [updated], settings: verdict.settings }, after: () => this.ctx.events.didChangeProfile.fire({ username: delivery.senderUsername }) };
      }
      case 'timer': {
        // Any member sets the conversation's timer; the chat keeps a notice of it.
        if (updated.kind === 'self') return this.drop(delivery, 'a disappearing timer in the own-devices conversation', { conversations: [updated] });
        const settings = await this.ctx.store.getSettings();
        const timers = { ...settings.conversationTimers };
        if (body.value.seconds === 0) delete timers[groupId];
        else timers[groupId] = body.value.seconds;
        const now = this.ctx.clock.now();
        const notice: StoredMessage = {
          messageId: toHex(content.messageId), groupId, sender: delivery.senderUsername, senderDevice: delivery.senderDeviceId,
          body: timerNotice(delivery.senderUsername, this.ctx.identity.username, body.value.seconds),
          sentAt: Number(content.sentAt), receivedAt: now, outgoing: delivery.senderUsername === this.ctx.identity.username, status: 'read', notice: 'timer',
        };
        if (await this.ctx.store.getMessage(notice.messageId)) return { batch: { conversations: [updated] } };
        return {
          batch: { conversations: [updated], settings: { conversationTimers: timers }, messages: [notice] },
          after: () => this.ctx.events.didReceiveMessage.fire(notice),
        };
      }
      // Actions on a message of this conversation: judged by the same rules the acting device used.
      case 'reaction':
        return this.actOn(delivery, groupId, updated, body.value.messageId, (target) => judgeReaction(target, delivery.senderUsername, body.value.emoji, Number(content.sentAt)));
      case 'edit':
        return this.actOn(delivery, groupId, updated, body.value.messageId, (target) => judgeEdit(target, delivery.senderUsername, body.value.body, Number(content.sentAt)));
      case 'settingsSync': {
        // Settings come only from another device of this account, through its own-devices conversation.
        if (updated.kind !== 'self' || delivery.senderUsername !== this.ctx.identity.username) {
          return this.drop(delivery, 'settings from outside the account\'s own devices', { conversations: [updated] }, AnomalyKind.CONSENT_VIOLATION);
        }
        const chats = Object.fromEntries(body.value.chats.map((c) => [toHex(c.groupId), {
          ...(c.mutedUntil !== 0n ? { mutedUntil: Number(c.mutedUntil) } : {}), ...(c.archived ? { archived: true } : {}), ...(c.pinned ? { pinned: true } : {}),
        }]));
        const settings = { relayOnlyCalls: body.value.relayOnlyCalls, readReceipts: !body.value.noReadReceipts, typingIndicators: !body.value.noTypingIndicators, chats };
        return { batch: { conversations: [updated], settings }, after: () => this.ctx.events.didChangeSettings.fire() };
      }
      case 'typing': {
        // Shown only from another account, in a chat, while this member's own indicators are on
        // (off on one side means neither sees the other's). Never stored, never receipted.
        if (updated.kind === 'self') return this.drop(delivery, 'a typing indicator in the own-devices conversation', { conversations: [updated] });
        const shown = delivery.senderUsername !== this.ctx.identity.username && (await this.ctx.store.getSettings()).typingIndicators !== false;
        return {
          batch: { conversations: [updated] },
          ...(shown ? { after: () => this.typing.received(groupId, delivery.senderUsername, body.value.stopped, Number(content.sentAt)) } : {}),
        };
      }
      case 'groupCall': {
        // A line in the group's chat; the latest of each device says who is in the call.
        if (updated.kind !== 'group') return this.drop(delivery, 'a group call notice outside a group', { conversations: [updated] });
        const kind = noticeKindOf(body.value.event);
        const notice: StoredMessage = {
          messageId: toHex(content.messageId), groupId, sender: delivery.senderUsername, senderDevice: delivery.senderDeviceId,
          body: groupCallNoticeText(delivery.senderUsername, this.ctx.identity.username, kind),
          sentAt: Number(content.sentAt), receivedAt: this.ctx.clock.now(), outgoing: delivery.senderUsername === this.ctx.identity.username, status: 'read', notice: kind,
        };
        if (await this.ctx.store.getMessage(notice.messageId)) return { batch: { conversations: [updated] } };
        return { batch: { conversations: [updated], messages: [notice] }, after: () => this.ctx.events.didReceiveMessage.fire(notice) };
      }
      case 'retract':
        return this.actOn(delivery, groupId, updated, body.value.messageId, (target) => judgeRetract(target, delivery.senderUsername, Number(content.sentAt)));
      // A file: only its descriptor is kept (the key, digest, size and claimed type inside MLS);
      // nothing is fetched or decoded until the member asks (`client.attachments.save`).
      case 'attachment':
        return this.storeMessage(delivery, content, groupId, updated, body.value.caption, toBinary(AttachmentSchema, body.value), {
          ...(body.value.forwarded ? { forwarded: true } : {}),
          ...expiring(body.value.expireSeconds, this.ctx.clock.now()),
        });
      case 'receipt': {
        // Another device of this account read these: they are read here too (unread clears everywhere).
        const fromSibling = delivery.senderUsername === this.ctx.identity.username;
        // With read receipts off, a contact's READ shows as delivered only: neither side sees the other's.
        const receiptsOn = (await this.ctx.store.getSettings()).readReceipts !== false;
        const status: MessageStatus = body.value.kind === ReceiptKind.READ && (fromSibling || receiptsOn) ? 'read' : 'delivered';
        const statuses: { messageId: string; status: MessageStatus }[] = [];
        for (const id of body.value.messageIds) {
          const own = await this.ctx.store.getMessage(toHex(id));
          // A sibling with read receipts off tells only this account's devices, through their own
          // conversation, what it read in any chat; otherwise a receipt names its own chat's messages.
          const anyChat = fromSibling && updated.kind === 'self';
          if (!own || (!anyChat && own.groupId !== groupId)) continue;
          if (fromSibling ? !own.outgoing && status === 'read' && own.status !== 'read' : own.outgoing && isStatusAdvance(own.status, status)) {
            statuses.push({ messageId: own.messageId, status });
          }
        }
        return {
          batch: { conversations: [updated], statuses },
          after: () => statuses.forEach((s) => this.ctx.events.didChangeStatus.fire(s)),
        };
      }
      case 'groupMeta': {
        // A new name for a group whose name was already known is a rename: the chat says so.
        const provisional = conversation.name === `group-${groupId.slice(0, 8)}`;
        const renamed = conversation.kind === 'group' && !this.unannounced.has(groupId) && !provisional && conversation.name !== body.value.name
          ? [renameNotice(groupId, toHex(content.messageId), delivery.senderUsername, this.ctx.identity.username, body.value.name, this.ctx.clock.now())]
          : [];
        return {
          batch: { conversations: [{ ...updated, kind: 'group', name: body.value.name }], ...(renamed.length > 0 ? { messages: renamed } : {}) },
          after: () => {
            this.announceJoin(groupId, body.value.name);
            for (const n of renamed) this.ctx.events.didReceiveMessage.fire(n);
          },
        };
      }
      case 'call': {
        // Calls are 1:1: signalling is heard only in the direct conversation with its sender, or,
        // from another device of this account, the direct conversation it is calling in.
        const peer = delivery.senderUsername === this.ctx.identity.username ? updated.name : delivery.senderUsername;
        const direct = updated.kind === 'direct' && isDirectBetween(membersOf(incoming.state).map((m) => m.username), this.ctx.identity.username, peer);
        const signal = callSignalFromWire(body.value);
        if (!direct) return this.drop(delivery, 'call signal outside a direct conversation', { conversations: [updated] }, AnomalyKind.CONSENT_VIOLATION);
        if (!signal) return this.drop(delivery, 'call signal breaks its rules', { conversations: [updated] }, AnomalyKind.MALFORMED);
        // A ring from someone this device does not know as a contact may come from a contact
        // another device of this account accepted: ask the server once, as for a Welcome.
        if (signal.type === 'ring') await this.isTrustedAfterAsking(delivery.senderUsername);
        const origin = {
          user: delivery.senderUsername,
          device: delivery.senderDeviceId,
          toDevice: callSignalRecipient(body.value),
          deliveredAsRing: delivery.kind === DeliveryKind.MLS_RING,
        };
        return { batch: { conversations: [updated] }, after: () => this.calls.receive(signal, origin, updated) };
      }
      case undefined:
        return this.drop(delivery, 'empty content', { conversations: [updated] }, AnomalyKind.MALFORMED);
      default:
        throw missingCase(body);
    }
  }

  /**
   * An action (reaction, edit, deletion) on a message of this conversation: applied when `judge`
   * allows it; dropped with its reason otherwise (a target this device does not have, in another
   * conversation, or not the sender's to change). It is not a message: no receipt, nothing shown.
   */
  private async actOn(delivery: Delivery, groupId: string, updated: StoredConversation, targetId: Uint8Array, judge: (target: StoredMessage) => ActionVerdict): Promise<Outcome> {
    const target = await this.ctx.store.getMessage(toHex(targetId));
    if (!target || target.groupId !== groupId) return this.drop(delivery, 'action on a message this device does not have in that conversation', { conversations: [updated] });
    const verdict = judge(target);
    if (!verdict.ok) return this.drop(delivery, `action refused: ${verdict.reason}`, { conversations: [updated] });
    return {
      batch: { conversations: [updated], messageChanges: [verdict.change] },
      after: () => this.ctx.events.didChangeMessage.fire({ messageId: target.messageId, groupId }),
    };
  }

  /** A message to show (a text, or a file with its caption), stored once, with a delivery receipt for its sender. */
  private async storeMessage(delivery: Delivery, content: AppContent, groupId: string, updated: StoredConversation, text: string, attachment?: Uint8Array,
    extra: Pick<StoredMessage, 'replyTo' | 'forwarded' | 'expiresAt'> = {}): Promise<Outcome> {
    const messageId = toHex(content.messageId);
    if (await this.ctx.store.getMessage(messageId)) return { batch: { conversations: [updated] } };
    // Sent by another device of this account: it shows as sent here too, and gets no receipt.
    const own = delivery.senderUsername === this.ctx.identity.username;
    const message: StoredMessage = {
      messageId,
      groupId,
      sender: delivery.senderUsername,
      senderDevice: delivery.senderDeviceId,
      body: text,
      sentAt: Number(content.sentAt),
      receivedAt: this.ctx.clock.now(),
      outgoing: own,
      status: own ? 'sent' : 'delivered',
      ...(attachment ? { attachment } : {}),
      ...extra,
    };
    if (!own) this.queueReceipt(groupId, content.messageId);
    return {
      batch: { conversations: [updated], messages: [message] },
      after: () => {
        this.announceJoin(groupId);
        // Their message is what they were typing: no longer "typing…".
        this.typing.clear(groupId, delivery.senderUsername);
        this.ctx.events.didReceiveMessage.fire(message);
      },
    };
  }

  private missedRequest(peer: string, delivery: Delivery): StoredCallLogEntry {
    const callId = delivery.messageId.byteLength > 0 ? toHex(delivery.messageId) : `request-${delivery.seq}`;
    return { callId, peer, direction: 'incoming', outcome: 'missed-request', durationMs: 0, endedAt: this.ctx.clock.now() };
  }

  private queueReceipt(groupId: string, messageId: Uint8Array): void {
    const list = this.receipts.get(groupId) ?? [];
    list.push(messageId);
    this.receipts.set(groupId, list);
    // Queued from inside the entry being processed, so the flush runs after every entry
    // already waiting: one receipt covers a burst, and no entry's receipt waits for the next
    // delivery (a flush queued at enqueue time could run before this entry was processed).
    if (!this.flushQueued) {
      this.flushQueued = true;
      this.ctx.queue.run(() => this.flushReceipts()).catch((error: unknown) =>
        this.ctx.logger.warn({ error: error instanceof Error ? error.name : 'unknown' }, 'delivery receipts failed'),
      );
    }
  }

  /** Sends one delivery receipt per conversation for everything processed since the last flush. */
  private async flushReceipts(): Promise<void> {
    this.flushQueued = false;
    const batches = [...this.receipts];
    this.receipts.clear();
    for (const [groupId, ids] of batches) {
      const conversation = await this.ctx.store.getConversation(groupId);
      if (!conversation?.active) continue;
      for (let i = 0; i < ids.length; i += 1000) {
        const content = create(AppContentSchema, {
          messageId: newMessageId(this.ctx.clock, this.ctx.random),
          sentAt: BigInt(this.ctx.clock.now()),
          body: { case: 'receipt', value: { kind: ReceiptKind.DELIVERED, messageIds: ids.slice(i, i + 1000) } },
        });
        // Not awaited inside the queue: sending takes the queue itself for encryption.
        this.conversations.send(conversation, content).catch((error: unknown) =>
          this.ctx.logger.warn({ error: error instanceof Error ? error.name : 'unknown', code: error instanceof ClientError ? error.code : undefined }, 'delivery receipt not sent'),
        );
      }
    }
  }

  private async isTrusted(username: string): Promise<boolean> {
    if (username === this.ctx.identity.username) return true;
    return (await this.ctx.store.getContact(username))?.state === ContactState.ACCEPTED;
  }

  /** `isTrusted`, asking the server for the account's contacts once if this device does not know `username` as one. */
  private async isTrustedAfterAsking(username: string): Promise<boolean> {
    if (await this.isTrusted(username)) return true;
    await this.devices.contactsMayHaveChanged();
    return this.isTrusted(username);
  }

  private async isBlocked(username: string): Promise<boolean> {
    return (await this.ctx.store.getContact(username))?.state === ContactState.BLOCKED;
  }

  private async onThreatNotice(delivery: Delivery): Promise<Outcome> {
    // Only the server writes these; one claiming a member sender is forged on the way.
    if (delivery.senderUsername !== '') return this.drop(delivery, 'threat notice from a member', {}, AnomalyKind.MALFORMED);
    const result = await this.threats.fromDelivery(delivery.payload, this.ctx.clock.now());
    if ('reason' in result) return this.drop(delivery, result.reason);
    return { batch: result.batch, after: () => this.threats.announce(result.record) };
  }

  /** `anomaly`: what to report about the sender; absent for drops that are no one's fault (a group we left). */
  private drop(delivery: Delivery, reason: string, batch: ClientWriteBatch = {}, anomaly?: AnomalyKind): Outcome {
    this.ctx.logger.warn({ kind: delivery.kind, reason }, 'dropped delivery');
    if (anomaly !== undefined) this.ctx.anomalies.record({ user: delivery.senderUsername, device: delivery.senderDeviceId }, anomaly);
    const event = { reason, kind: delivery.kind, sender: delivery.senderUsername };
    return { batch, after: () => this.ctx.events.didDrop.fire(event) };
  }
}

/** A group with admins none of whom is in it any more. */
function lacksAdmin(state: ClientState): boolean {
  const admins = adminsOf(state);
  if (!admins) return false;
  const accounts = new Set(membersOf(state).map((m) => m.username));
  return !admins.some((a) => accounts.has(a));
}

/** A received message's expiry on this device: its timer counted from its arrival here. */
function expiring(seconds: number, now: number): Pick<StoredMessage, 'expiresAt'> {
  const expiresAt = expiryFor(seconds, now);
  return expiresAt === undefined ? {} : { expiresAt };
}

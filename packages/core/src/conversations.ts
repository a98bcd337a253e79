/**
 * @module conversations
 * Outgoing work on conversations: setting up direct and group conversations,
 * membership commits (retried when another commit wins the epoch), and
 * sending content through the outbox so nothing the member sent is lost.
 */
import {
  create,
  ContactState,
  DeviceRefSchema,
  encodeAppContent,
  AnomalyKind,
  ErrorCode,
  FrameType,
  AppContentSchema,
  ClaimKeyPackagesSchema,
  CommitSchema,
  CreateGroupSchema,
  LeaveGroupSchema,
  SendSchema,
  describeErrorCode,
  toBinary,
  type AppContent,
} from '@sotto/protocol';
import type { ClientState, KeyPackage } from 'ts-mls';
import { equalBytes, fromHex, toHex } from './bytes.js';
import { expiryFor, timerOf } from './disappearing.js';
import type { EngineContext } from './context.js';
import { ClientError, RemoteError } from './errors.js';
import { adminsOf, epochOf, membersOf, type Member } from './mls/group.js';
import { Emitter, subscribeSide } from './events.js';
import { adminsToSettle } from './group-admins.js';
import { adminNotices } from './group-notices.js';
import { settlePending, submitChange } from './pending-changes.js';
import type { ClientWriteBatch, ConversationKind, MessageChange, OutboxEntry, StoredConversation, StoredMessage } from './ports.js';
import { newMessageId } from './message-id.js';
import { OutboxSender } from './outbox-sender.js';
import { DecodedStates } from './mls/state-cache.js';
import type { DeviceLists } from './devices/device-lists.js';

interface ClaimedDevice {
  readonly username: string;
  readonly deviceId: string;
  readonly keyPackage: KeyPackage;
}

const COMMIT_ATTEMPTS = 5;

/** A commit built on the current state, with what the Commit frame declares about it. */
interface BuiltCommit {
  readonly state: ClientState;
  readonly commit: Uint8Array;
  readonly welcome: Uint8Array | undefined;
  readonly added: readonly { username: string; deviceId: string }[];
  readonly removed: readonly { username: string; deviceId: string }[];
  /** The admins it sets, when it changes them. */
  readonly admins?: readonly string[] | undefined;
}

/** Approves the members a message is about to be encrypted for (checked inside the queue). */
export type Audience = (members: readonly Member[], conversation: StoredConversation) => boolean;

/**
 * A direct conversation is only ever the two of them: if someone committed a third member in,
 * that member would read the text, so nothing is sent (`ensureDirect` then starts a clean one).
 */
export function onlyThePair(me: string): Audience {
  return (members, conversation) => conversation.kind !== 'direct' || isDirectBetween(members.map((m) => m.username), me, conversation.name);
}

/** Quiet content (typing indicators) a device sends between two of its stored messages in a conversation. */
export const MAX_QUIET_BETWEEN_STORED = 100;

export class Conversations {
  /** Sends the outbox and retries it within a bound; `didDelaySend` says when the server cannot store. */
  readonly outbox: OutboxSender;
  /** Decoded group states kept between messages: a send does not decode its group's state again. */
  private readonly states: DecodedStates;
  /** Quiet content sent since this device's last stored message, by conversation (see sendQuiet). */
  private readonly quietSinceStored = new Map<string, number>();
  private readonly sendingStored = new Emitter<string>();
  /** This device is sending a stored message (anything but quiet content) in a conversation: its id. */
  readonly willSendStored = subscribeSide(this.sendingStored);

  constructor(
    private readonly ctx: EngineContext,
    private readonly deviceLists: DeviceLists,
  ) {
    this.outbox = new OutboxSender(ctx);
    this.states = new DecodedStates((encoded) => ctx.mls.decodeState(encoded));
  }

  // ---- lookup ----

  /** The decoded group state of `conversation`, to read (members, epoch); never to advance. */
  state(conversation: StoredConversation): ClientState {
    return this.states.get(conversation.groupId, conversation.state);
  }

  /** The active conversation `groupId`, or NO_CONVERSATION / UNKNOWN_GROUP (when `kind` is 'group'). */
  async require(groupId: string, kind?: 'group'): Promise<StoredConversation> {
    const conversation = await this.ctx.store.getConversation(groupId);
    if (kind === 'group' && (conversation?.kind !== 'group' || !conversation.active)) throw new ClientError('UNKNOWN_GROUP', 'No such group.');
    if (!conversation?.active) throw new ClientError('NO_CONVERSATION', 'This device is not in that conversation.');
    return conversation;
  }

  /** Usernames of a conversation's current MLS members (this member included), sorted. */
  async members(groupId: string): Promise<string[]> {
    const conversation = await this.ctx.store.getConversation(groupId);
    if (!conversation) throw new ClientError('NO_CONVERSATION', 'No such conversation.');
    return [...new Set(membersOf(this.state(conversation)).map((m) => m.username))].sort();
  }

  /**
   * The direct conversation with `peer`: a conversation marked direct whose
   * MLS members are exactly this account and `peer`. Membership is checked
   * on the group state itself, so no third member can pose as a 1:1. If both
   * sides started one at the same moment, both use the lower group id.
   */
  async findDirect(peer: string): Promise<StoredConversation | undefined> {
    const candidates = (await this.ctx.store.listConversations())
      .filter((c) => c.kind === 'direct' && c.active && c.name === peer)
      .filter((c) => isDirectBetween(membersOf(this.state(c)).map((m) => m.username), this.ctx.identity.username, peer))
      .sort((a, b) => (a.groupId < b.groupId ? -1 : 1));
    return candidates[0];
  }

  // ---- setup ----

  /** The direct conversation with `peer`, created (with an MLS Welcome) if there is none yet. */
  async ensureDirect(peer: string): Promise<StoredConversation> {
    const existing = await this.findDirect(peer);
    if (existing) return existing;
    await this.requireContact(peer);
    const claimed = [...(await this.claim(peer)), ...(await this.claimSiblings())];
    return this.createConversation(this.ctx.random.bytes(32), 'direct', peer, claimed);
  }

  /**
   * The conversation of this account's own devices (where settings are kept in step), created
   * with every other listed device if there is none yet; undefined while this is the only device.
   */
  async ensureSelf(): Promise<StoredConversation | undefined> {
    const existing = (await this.ctx.store.listConversations()).find((c) => c.kind === 'self' && c.active);
    if (existing) return existing;
    const siblings = await this.claimSiblings();
    if (siblings.length === 0) return undefined;
    return this.createConversation(this.ctx.random.bytes(32), 'self', '', siblings);
  }

  async createGroup(name: string, usernames: string[]): Promise<StoredConversation> {
    const others = [...new Set(usernames)].filter((u) => u !== this.ctx.identity.username);
    for (const username of others) await this.requireContact(username);
    const claimed = [...(await Promise.all(others.map((u) => this.claim(u)))).flat(), ...(await this.claimSiblings())];
    const conversation = await this.createConversation(this.ctx.random.bytes(32), 'group', name, claimed);
    await this.sendMeta(conversation);
    return conversation;
  }

  /** The group's admins (accounts in it now), or undefined for a conversation without admins. */
  admins(conversation: StoredConversation): string[] | undefined {
    const state = this.state(conversation);
    const admins = adminsOf(state);
    if (!admins) return undefined;
    const accounts = new Set(membersOf(state).map((m) => m.username));
    return admins.filter((a) => accounts.has(a));
  }

  /** NOT_GROUP_ADMIN unless this account may change who is in `conversation` (checked before anything is sent or claimed). */
  requireAdmin(conversation: StoredConversation): void {
    const admins = this.admins(conversation);
    if (admins && !admins.includes(this.ctx.identity.username)) throw new ClientError('NOT_GROUP_ADMIN', describeErrorCode(ErrorCode.NOT_GROUP_ADMIN));
  }

  async addMembers(conversation: StoredConversation, usernames: string[]): Promise<void> {
    this.requireAdmin(conversation);
    for (const username of usernames) await this.requireContact(username);
    const claimed = (await Promise.all(usernames.map((u) => this.claim(u)))).flat();
    await this.commitChange(conversation, async (state) => ({
      ...(await this.ctx.mls.commit(state, { add: claimed.map((c) => c.keyPackage) })),
      added: claimed,
      removed: [],
    }));
    await this.sendMeta(conversation);
  }

  /**
   * Adds devices of this member's own account (a device just linked) to `conversation`, if they
   * are not in it yet. `no-key-package`: one of them has uploaded none yet (it does right after its
   * hello), so the caller may wait and try again.
   */
  async addOwnDevices(conversation: StoredConversation, deviceIds: readonly string[]): Promise<'added' | 'present' | 'no-key-package'> {
    const present = new Set(membersOf(this.state(conversation)).filter((m) => m.username === this.ctx.identity.username).map((m) => m.deviceId));
    const missing = deviceIds.filter((id) => !present.has(id));
    if (missing.length === 0) return 'present';
    const claimed = await this.claim(this.ctx.identity.username, missing).catch((error: unknown) => {
      if (error instanceof RemoteError && error.wireCode === ErrorCode.NO_KEY_PACKAGE) return [];
      throw error;
    });
    if (claimed.length < missing.length) return 'no-key-package';
    let added = false;
    await this.commitChange(conversation, async (state) => {
      const now = new Set(membersOf(state).map((m) => `${m.username}:${m.deviceId}`));
      const adding = claimed.filter((c) => !now.has(`${c.username}:${c.deviceId}`));
      if (adding.length === 0) return undefined;
      added = true;
      return { ...(await this.ctx.mls.commit(state, { add: adding.map((c) => c.keyPackage) })), added: adding, removed: [] };
    });
    return added ? 'added' : 'present';
  }

  /** Removes devices of `username` (no longer in their account's list) from `conversation`. */
  async removeDevices(conversation: StoredConversation, username: string, deviceIds: readonly string[]): Promise<boolean> {
    let removed = false;
    await this.commitChange(conversation, async (state) => {
      const leaving = membersOf(state).filter((m) => m.username === username && deviceIds.includes(m.deviceId));
      if (leaving.length === 0) return undefined;
      removed = true;
      return { ...(await this.ctx.mls.commit(state, { removeLeaves: leaving.map((m) => m.leafIndex) })), added: [], removed: leaving };
    });
    return removed;
  }

  async removeMembers(conversation: StoredConversation, usernames: string[]): Promise<void> {
    this.requireAdmin(conversation);
    await this.commitChange(conversation, async (state) => {
      const leaving = membersOf(state).filter((m) => usernames.includes(m.username));
      if (leaving.length === 0) throw new ClientError('INVALID_INPUT', 'None of them is in the group.');
      return {
        ...(await this.ctx.mls.commit(state, { removeLeaves: leaving.map((m) => m.leafIndex) })),
        added: [],
        removed: leaving,
      };
    });
    await this.settleAdmins(conversation);
  }

  /**
   * A commit that changes no member, only keys (an update path): the group moves to a new epoch
   * whose secrets only its members now learn. Group calls use it when a participant leaves.
   */
  async rekey(groupId: string): Promise<void> {
    const conversation = await this.require(groupId);
    await this.commitChange(conversation, async (state) => ({ ...(await this.ctx.mls.commit(state, {})), added: [], removed: [] }));
  }

  /** Makes `account` (a member) an admin too: a commit of the new list alone. Admins only. */
  async makeAdmin(conversation: StoredConversation, account: string): Promise<void> {
    this.requireAdmin(conversation);
    if (!membersOf(this.state(conversation)).some((m) => m.username === account)) throw new ClientError('INVALID_INPUT', `${account} is not in the group.`);
    // A change of admins is a commit of its own: pending proposals (a member leaving) go first.
    await this.commitPending(conversation.groupId);
    await this.commitChange(conversation, async (state) => {
      const admins = adminsOf(state) ?? [];
      if (admins.includes(account)) return undefined;
      if (Object.keys(state.unappliedProposals).length > 0) throw new ClientError('INVALID_INPUT', 'The group is changing; try again.');
      return { ...(await this.ctx.mls.commit(state, { admins: [...admins, account] })), added: [], removed: [] };
    });
  }

  /**
   * Once admins are no longer in the group (they left, and their removal was committed), commits
   * the list without them, or with this member alone when no admin is left: a commit of its own,
   * as the rule wants (group-admins.ts). Nothing when the list needs no change. Losing the epoch
   * to another member's commit is fine: theirs settles it or this is tried again after it.
   */
  async settleAdmins(conversation: Pick<StoredConversation, 'groupId'>): Promise<void> {
    const current = await this.ctx.store.getConversation(conversation.groupId);
    if (!current?.active || current.kind !== 'group') return;
    let before: string[] | undefined;
    try {
      await this.commitChange(current, async (state) => {
        if (Object.keys(state.unappliedProposals).length > 0) return undefined;
        const admins = adminsToSettle(adminsOf(state), new Set(membersOf(state).map((m) => m.username)), this.ctx.identity.username);
        if (!admins) return undefined;
        before = adminsOf(state);
        return { ...(await this.ctx.mls.commit(state, { admins })), added: [], removed: [] };
      }, 1);
    } catch (error) {
      // STALE_EPOCH: another member's commit came first. NOT_GROUP_ADMIN: the server's routing
      // already lacks an admin whose departure MLS has not seen committed yet; the commit of it
      // brings this back here.
      const later = error instanceof RemoteError && (error.wireCode === ErrorCode.STALE_EPOCH || error.wireCode === ErrorCode.NOT_GROUP_ADMIN);
      if (!later) throw error;
      return;
    }
    if (!before) return;
    // "You are now an admin": the others see it from the commit.
    const after = await this.ctx.store.getConversation(current.groupId);
    if (!after) return;
    const me = this.ctx.identity.username;
    const notices = adminNotices(current.groupId, before, adminsOf(this.state(after)), me, after.epoch, me, this.ctx.clock.now());
    if (notices.length === 0) return;
    await this.ctx.queue.run(() => this.ctx.store.apply({ messages: notices }));
    for (const n of notices) this.ctx.events.didReceiveMessage.fire(n);
  }

  async leave(conversation: StoredConversation): Promise<void> {
    await this.ctx.queue.run(async () => {
      const current = await this.reload(conversation);
      const proposal = await this.ctx.mls.selfRemoveProposal(this.state(current));
      await this.ctx.session.request(FrameType.LEAVE_GROUP, create(LeaveGroupSchema, {
        groupId: fromHex(current.groupId),
        proposal,
        messageId: newMessageId(this.ctx.clock, this.ctx.random),
      }));
      await this.ctx.store.apply({ conversations: [{ ...current, active: false }] });
    });
    // Leaving is a membership change too: a call in this conversation must end.
    this.ctx.events.didChangeMembers.fire({ groupId: conversation.groupId });
  }

  /** Settles every change left pending by a crash or a lost connection (after reconnecting). */
  async settleAllPending(): Promise<void> {
    for (const conversation of await this.ctx.store.listConversations()) {
      if (conversation.pending) await this.ctx.queue.run(async () => {
        const current = await this.ctx.store.getConversation(conversation.groupId);
        if (current) await settlePending(this.ctx, current);
      });
    }
  }

  /** Commits proposals others made (a member leaving). Losing the race to another committer is fine. */
  async commitPending(groupId: string): Promise<void> {
    const conversation = await this.ctx.store.getConversation(groupId);
    if (!conversation?.active) return;
    try {
      await this.commitChange(conversation, async (state) => {
        if (Object.keys(state.unappliedProposals).length === 0) return undefined;
        return { ...(await this.ctx.mls.commit(state, {})), added: [], removed: [] };
      }, 1);
    } catch (error) {
      if (!(error instanceof RemoteError && error.wireCode === ErrorCode.STALE_EPOCH)) throw error;
      return;
    }
    // An admin among those who left: the list is settled in a commit of its own.
    await this.settleAdmins(conversation);
  }

  // ---- sending ----

  /**
   * Sends `text` to the conversation `groupId`. It is queued for encryption before this returns
   * its promise, so calls made one after another (without awaiting) are sent in call order.
   * `audience`, when given, must approve the members it is encrypted for (see `onlyThePair`).
   */
  async sendText(groupId: string, text: string, audience?: Audience, extra: { replyTo?: string; forwarded?: boolean } = {}): Promise<StoredMessage> {
    const messageId = newMessageId(this.ctx.clock, this.ctx.random);
    const now = this.ctx.clock.now();
    const seconds = await timerOf(this.ctx.store, groupId);
    const expiresAt = expiryFor(seconds, now);
    const value = {
      body: text, ...(extra.replyTo ? { replyTo: fromHex(extra.replyTo) } : {}), ...(extra.forwarded ? { forwarded: true } : {}), expireSeconds: seconds,
    };
    const content = create(AppContentSchema, { messageId, sentAt: BigInt(now), body: { case: 'text', value } });
    const record: StoredMessage = {
      messageId: toHex(messageId),
      groupId,
      sender: this.ctx.identity.username,
      senderDevice: this.ctx.identity.deviceId,
      body: text,
      sentAt: now,
      receivedAt: now,
      outgoing: true,
      status: 'pending',
      ...(extra.replyTo ? { replyTo: extra.replyTo } : {}),
      ...(extra.forwarded ? { forwarded: true } : {}),
      ...(expiresAt !== undefined ? { expiresAt } : {}),
    };
    await this.send({ groupId }, content, record, audience);
    return { ...record, status: 'sent' };
  }

  /** Encrypts `content` in order, records it (and `record`) with the outbox entry, then sends it. */
  async send(conversation: Pick<StoredConversation, 'groupId'>, content: AppContent, record?: StoredMessage, audience?: Audience, changes?: MessageChange[]): Promise<void> {
    // Every device gets this one: the generations skipped by quiet content before it are bounded again.
    this.quietSinceStored.delete(conversation.groupId);
    this.sendingStored.fire(conversation.groupId);
    const entry = await this.encrypt(conversation, content, (current, payload) => {
      // A disappearing message's undelivered copies disappear from the server at the same time.
      const outbox: OutboxEntry = {
        messageId: toHex(content.messageId), groupId: current.groupId, payload, createdAt: this.ctx.clock.now(),
        ...(record?.expiresAt !== undefined ? { expiresAt: record.expiresAt } : {}),
      };
      // An action on a message (edit, deletion, reaction) changes this device's copy in the same write.
      return { entry: outbox, batch: { outboxAdd: [outbox], ...(record ? { messages: [record] } : {}), ...(changes ? { messageChanges: changes } : {}) } };
    }, audience);
    // Stored and safe from here on, even offline: let screens show it as pending right away.
    if (record) this.ctx.events.didChangeStatus.fire({ messageId: record.messageId, status: 'pending' });
    await this.outbox.deliver(entry);
  }

  /**
   * Encrypts `content` as the next message of the conversation, inside the engine queue, and
   * stores the advanced MLS state together with whatever `alongside` adds to the same batch.
   */
  private encrypt<T>(
    conversation: Pick<StoredConversation, 'groupId'>,
    content: AppContent,
    alongside: (current: StoredConversation, payload: Uint8Array) => { entry: T; batch: ClientWriteBatch },
    audience?: Audience,
  ): Promise<T> {
    return this.ctx.queue.run(async () => {
      const current = await this.reload(conversation);
      // Taken out of the cache: if anything below fails, the next send starts from the stored bytes.
      let state = this.states.take(current.groupId, current.state);
      if (Object.keys(state.unappliedProposals).length > 0) {
        // MLS refuses to send with proposals pending: commit them first.
        state = await this.commitLocked(current, state);
      }
      // Checked on the very state it is encrypted for, inside the queue: no commit can come between.
      if (audience && !audience(membersOf(state), current)) {
        throw new ClientError('NO_CONVERSATION', 'The conversation no longer has exactly the members this was meant for; nothing was sent.');
      }
      const encrypted = await this.ctx.mls.encrypt(state, encodeAppContent(content));
      const { entry, batch } = alongside(current, encrypted.message);
      // Object.assign, not spreads with more properties after them: V8 builds those on a slow path (~2 us each).
      const updated = Object.assign({}, current, { state: this.ctx.mls.encodeState(encrypted.state), epoch: epochOf(encrypted.state) });
      await this.ctx.store.apply(Object.assign({}, batch, { conversations: [updated] }));
      this.states.remember(updated.groupId, updated.state, encrypted.state);
      return entry;
    });
  }

  /**
   * Sends call signalling: encrypted in order like any content, but sent once and not kept in
   * the outbox. A call signal is only worth something within seconds; resending one after a
   * reconnect (a ring minutes late, an offer for a call long over) would do harm, and a ring
   * refused by the server's rate limit must fail the call rather than be retried. `audience`,
   * when given, must approve the group's members as they are when it is encrypted (a call's
   * signals go only to exactly its two parties), else NO_CONVERSATION and nothing is sent.
   */
  async sendSignal(conversation: StoredConversation, content: AppContent, ring: boolean, audience?: (members: readonly Member[]) => boolean): Promise<void> {
    const payload = await this.encrypt(conversation, content, (_current, message) => ({ entry: message, batch: {} }), audience);
    await this.ctx.session.request(FrameType.SEND, create(SendSchema, {
      groupId: fromHex(conversation.groupId),
      messageId: content.messageId,
      payload,
      ring,
    }));
  }

  /**
   * Sends content not worth keeping (a typing indicator): encrypted in order like any content,
   * but not kept in the outbox, marked quiet (no push wakes anyone for it), and forgotten by the
   * server at `expiresAt`. A device offline until then never gets it, so its MLS ratchet skips
   * that generation of this device's: at most MAX_QUIET_BETWEEN_STORED go out between two stored
   * messages of this device in a conversation (in this run of the app), far inside the 5,000 steps
   * a receiver ratchets forward. Returns false, sending nothing, once that many went out.
   */
  async sendQuiet(groupId: string, content: AppContent, expiresAt: number): Promise<boolean> {
    const sent = this.quietSinceStored.get(groupId) ?? 0;
    if (sent >= MAX_QUIET_BETWEEN_STORED) return false;
    this.quietSinceStored.set(groupId, sent + 1);
    const payload = await this.encrypt({ groupId }, content, (_current, message) => ({ entry: message, batch: {} }));
    await this.ctx.session.request(FrameType.SEND, create(SendSchema, {
      groupId: fromHex(groupId), messageId: content.messageId, payload, quiet: true, expiresAt: BigInt(expiresAt),
    }));
    return true;
  }

  /** Resends the outbox, oldest first (after a reconnect); see OutboxSender. */
  resendOutbox(): Promise<void> {
    return this.outbox.resendOutbox();
  }

  /**
   * The connection is gone and will not come back by itself (one-shot use,
   * or closed): waiting sends fail now. Their messages stay in the outbox and
   * go out on the next connection.
   */
  abandonPending(): void {
    this.outbox.abandonPending();
  }

  /** Resolves once every send started so far has been answered (or has failed, or gave up). */
  settled(): Promise<void> {
    return this.outbox.settled();
  }

  /** Tells every member the group's name (after creating it, adding members, or renaming it). */
  async sendMeta(conversation: StoredConversation): Promise<void> {
    const content = create(AppContentSchema, {
      messageId: newMessageId(this.ctx.clock, this.ctx.random),
      sentAt: BigInt(this.ctx.clock.now()),
      body: { case: 'groupMeta', value: { name: conversation.name } },
    });
    await this.send(conversation, content);
  }

  // ---- internals ----

  private async requireContact(username: string): Promise<void> {
    if (username === this.ctx.identity.username) throw new ClientError('INVALID_INPUT', 'That is you.');
    const contact = await this.ctx.store.getContact(username);
    if (contact?.state !== ContactState.ACCEPTED) {
      throw new ClientError('NOT_A_CONTACT', `${username} is not an accepted contact. Send a contact request first.`);
    }
  }

  /** This account's other devices, each with a claimed key package; none if they have none to claim. */
  private async claimSiblings(): Promise<ClaimedDevice[]> {
    const own = await this.deviceLists.current(this.ctx.identity.username);
    if (!own || own.list.devices.every((d) => d.deviceId === this.ctx.identity.deviceId)) return [];
    // A sibling without key packages left is added later (by the device that linked it, or at its next change).
    return this.claim(this.ctx.identity.username).catch(() => []);
  }

  /**
   * Claims one key package per device of `username` (or of the devices named), pinning each
   * device's identity key. When the account has a signed device list, a package for a device
   * not in it is refused: that is a device the server added, and it is never let in.
   */
  private async claim(username: string, deviceIds: readonly string[] = []): Promise<ClaimedDevice[]> {
    const result = await this.ctx.session.request(FrameType.CLAIM_KEY_PACKAGES, create(ClaimKeyPackagesSchema, { username, deviceIds: [...deviceIds] }));
    if (result.case !== 'claimKeyPackages') throw new ClientError('REMOTE', 'Unexpected answer to a claim.');
    const pins = await this.ctx.store.listPins(username);
    const list = await this.deviceLists.current(username);
    const claimed: ClaimedDevice[] = [];
    for (const item of result.value.packages) {
      if (username === this.ctx.identity.username && item.deviceId === this.ctx.identity.deviceId) continue;
      if (list && !list.list.devices.some((d) => d.deviceId === item.deviceId && equalBytes(d.identityKey, item.identityKey))) {
        this.ctx.events.didWarnDevices.fire({ username, reason: `The server offered a device of ${username} that is not in their signed device list; it was not added.` });
        this.ctx.anomalies.record({ user: username, device: item.deviceId }, AnomalyKind.MALFORMED);
        continue;
      }
      const pinned = pins.find((p) => p.deviceId === item.deviceId);
      if (pinned && !equalBytes(pinned.identityKey, item.identityKey)) {
        throw new ClientError('CRYPTO', `${username}'s identity key changed. Verify the safety number before continuing.`);
      }
      const keyPackage = this.ctx.mls.decodeKeyPackage(item.keyPackage, { username, deviceId: item.deviceId }, item.identityKey);
      if (!pinned) await this.ctx.store.apply({ pins: [{ username, deviceId: item.deviceId, identityKey: item.identityKey }] });
      claimed.push({ username, deviceId: item.deviceId, keyPackage });
    }
    if (claimed.length === 0 && username !== this.ctx.identity.username) throw new ClientError('REMOTE', `${username} has no device to talk to.`);
    return claimed;
  }

  private async createConversation(groupId: Uint8Array, kind: ConversationKind, name: string, claimed: ClaimedDevice[]): Promise<StoredConversation> {
    return this.ctx.queue.run(async () => {
      const self = { username: this.ctx.identity.username, deviceId: this.ctx.identity.deviceId };
      const key = { publicKey: this.ctx.identity.publicKey, signKey: this.ctx.identity.signKey };
      // A named group's creator is its first admin; 1:1 chats and the own-devices conversation have none.
      const admins = kind === 'group' ? [self.username] : [];
      const { state, welcome } = await this.ctx.mls.createGroup(groupId, self, key, claimed.map((c) => c.keyPackage), admins.length > 0 ? admins : undefined);
      const request = create(CreateGroupSchema, {
        groupId,
        epoch: epochOf(state),
        members: claimed.map((c) => create(DeviceRefSchema, { username: c.username, deviceId: c.deviceId })),
        welcome: welcome ?? new Uint8Array(),
        admins,
      });
      const encoded = this.ctx.mls.encodeState(state);
      const draft: StoredConversation = {
        groupId: toHex(groupId),
        kind,
        name,
        state: encoded,
        epoch: epochOf(state),
        createdAt: this.ctx.clock.now(),
        active: false,
      };
      return submitChange(this.ctx, draft, { kind: 'create', state: encoded, request: toBinary(CreateGroupSchema, request) });
    });
  }

  /**
   * Builds and submits a commit; the group state is stored only once the
   * server accepted it. If another commit won the epoch, the queued
   * deliveries apply it first and the change is rebuilt on the new state.
   */
  private async commitChange(
    conversation: StoredConversation,
    build: (state: ClientState) => Promise<BuiltCommit | undefined>,
    attempts = COMMIT_ATTEMPTS,
  ): Promise<void> {
    let changed = false;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.ctx.queue.run(async () => {
          const current = await this.reload(conversation);
          const before = this.state(current);
          const epoch = epochOf(before);
          const built = await build(before);
          if (!built) return;
          await this.submitCommit(current, epoch, built);
          changed = true;
        });
        if (changed) this.ctx.events.didChangeMembers.fire({ groupId: conversation.groupId });
        return;
      } catch (error) {
        const stale = error instanceof RemoteError && error.wireCode === ErrorCode.STALE_EPOCH;
        if (!stale || attempt >= attempts) throw error;
        await new Promise((resolve) => this.ctx.clock.setTimeout(() => resolve(undefined), 100 * attempt));
      }
    }
  }

  /** Commits pending proposals while already holding the queue. */
  private async commitLocked(conversation: StoredConversation, state: ClientState): Promise<ClientState> {
    const epoch = epochOf(state);
    const built = { ...(await this.ctx.mls.commit(state, {})), added: [], removed: [] };
    await this.submitCommit(conversation, epoch, built);
    return built.state;
  }

  private async submitCommit(
    conversation: StoredConversation,
    epoch: bigint,
    built: BuiltCommit,
  ): Promise<void> {
    const ref = (d: { username: string; deviceId: string }) => create(DeviceRefSchema, { username: d.username, deviceId: d.deviceId });
    const request = create(CommitSchema, {
      groupId: fromHex(conversation.groupId),
      epoch,
      commit: built.commit,
      added: built.added.map(ref),
      removed: built.removed.map(ref),
      welcome: built.welcome ?? new Uint8Array(),
      messageId: newMessageId(this.ctx.clock, this.ctx.random),
      admins: [...(built.admins ?? [])],
    });
    await submitChange(this.ctx, conversation, { kind: 'commit', state: this.ctx.mls.encodeState(built.state), request: toBinary(CommitSchema, request) });
  }

  private async reload(conversation: Pick<StoredConversation, 'groupId'>): Promise<StoredConversation> {
    const stored = await this.ctx.store.getConversation(conversation.groupId);
    const current = stored && (await settlePending(this.ctx, stored));
    if (!current?.active) throw new ClientError('NO_CONVERSATION', 'This device is no longer in that conversation.');
    return current;
  }

}

/** True when the members are exactly the two accounts (any number of their devices). */
export function isDirectBetween(usernames: readonly string[], me: string, peer: string): boolean {
  const set = new Set(usernames);
  return set.size === 2 && set.has(me) && set.has(peer);
}

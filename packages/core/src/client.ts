/**
 * @module client
 * `SottoClient`: the engine behind the CLI, the web app and the Node SDK.
 * It owns the session, the inbox and the conversations, and exposes the
 * member's actions (contacts, messages, groups, verification) and events.
 */
import {
  authTranscript,
  ContactAction,
  ContactRequestSchema,
  ContactRespondSchema,
  AppContentSchema,
  GroupCallEvent,
  ContactState,
  create,
  ReceiptKind,
  GetDevicesSchema,
  ListContactsSchema,
  FrameType,
  HelloSchema,
  isPlainText,
  isValidUsername,
  LIMITS,
  NoticeKind,
  PROTOCOL_VERSION,
  SOFTWARE_VERSION,
  type Challenge,
  type HelloOk,
  type Notice,
} from '@sotto/protocol';
import type { CiphersuiteName } from 'ts-mls';
import { equalBytes, fromHex, toHex } from './bytes.js';
import { ClientEvents, type EngineContext, type PublicClientEvents } from './context.js';
import { subscribeSides } from './events.js';
import { Conversations, onlyThePair } from './conversations.js';
import { Attachments } from './attachments/attachments.js';
import { MessageActions } from './message-actions.js';
import { SettingsSync, touchesSyncedSettings } from './devices/settings-sync.js';
import { DisappearingSweep, isAllowedTimer, timerNotice, timerOf } from './disappearing.js';
import { Profiles } from './profiles.js';
import { accepterChat, ContactNotices } from './contact-notices.js';
import { Push } from './push.js';
import { adminNotices, membershipNotices, renameNotice } from './group-notices.js';
import { ClientError } from './errors.js';
import { Inbox } from './inbox.js';
import { refreshKeyPackages, replenishKeyPackages } from './key-packages.js';
import { MlsContext } from './mls/group.js';
import { loadCiphersuite } from './mls/suite.js';
import type {
  ChatFlags, ClientSettings, Clock, ClientStore, Ed25519Signer, Hkdf, HttpPort, Logger, Random, StoredCallLogEntry, StoredContact, StoredConversation, StoredIdentity, StoredMessage, Transport,
} from './ports.js';
import { Advisories } from './advisories.js';
import { AnomalyReporter } from './anomaly-reporter.js';
import { Lockdown, parseContactLink } from './lockdown.js';
import { ThreatNotices } from './threat-notices.js';
import { GroupCalls, type GroupCallsConfig } from './group-calls/group-calls.js';
import { groupCallNoticeText, noticeKindOf } from './group-calls/group-call-notices.js';
import { Calls, type CallsConfig } from './calls/call-controller.js';
import { TypingIndicators } from './typing.js';
import { safetyNumber } from './safety-number.js';
import { SerialQueue } from './serial-queue.js';
import { Session, type SessionState } from './session.js';
import { helloOnce } from './hello-once.js';
import { newMessageId } from './message-id.js';
import { DeviceLists } from './devices/device-lists.js';
import { DeviceLinking } from './devices/linking.js';
import { DeviceDeliveries } from './devices/device-deliveries.js';
import { Devices } from './devices/devices.js';
import { parseLinkCode } from './devices/link-code.js';
import { sealForLink } from './devices/link-seal.js';

export interface ClientDeps {
  readonly store: ClientStore;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly clientVersion?: string;
  readonly ciphersuite?: CiphersuiteName;
  /** The platform's Ed25519 (Node injects node:crypto's); without it, WebCrypto. */
  readonly signature?: Ed25519Signer;
  /** The platform's HKDF (Node injects OpenSSL's HMAC); without it, @noble/hashes. */
  readonly hkdf?: Hkdf;
  /** Reconnect with backoff after a connection drops (default true). */
  readonly reconnect?: boolean;
  /** The RTC stack and call policy; without media, calls ring and are logged but cannot be carried. */
  readonly calls?: CallsConfig;
  /** The media stack toward the SFU; without it, group calls cannot be joined. */
  readonly groupCalls?: GroupCallsConfig;
  /** The platform's HTTP client, for files (`attachments`); without it, files can be neither sent nor saved. */
  readonly http?: HttpPort;
}

export interface SyncResult {
  /** Entries processed (shown or dropped) during this sync. */
  readonly processed: number;
}

/** Every MLS operation of a client runs on the suite its deps choose. */
function suiteFor(deps: ClientDeps) {
  return loadCiphersuite(deps.ciphersuite, { signature: deps.signature, hkdf: deps.hkdf });
}

/** How far back unread counting and read receipts look: the receipt's id list stays small. */
const UNREAD_WINDOW = 500;

/** Answers to a request, and 'unblock' (a blocked member), 'cancel' (your own pending request). */
export type ContactResponse = 'accept' | 'decline' | 'block' | 'unblock' | 'cancel';

const ACTIONS: Record<ContactResponse, ContactAction> = {
  accept: ContactAction.ACCEPT,
  decline: ContactAction.DECLINE,
  block: ContactAction.BLOCK,
  unblock: ContactAction.UNBLOCK,
  cancel: ContactAction.CANCEL,
};

export class SottoClient {
  /** The engine's emitters; callers get only their subscribe sides, as `events`. */
  private readonly emitters = new ClientEvents();
  readonly events: PublicClientEvents = subscribeSides(this.emitters);
  private readonly queue = new SerialQueue();
  private readonly session: Session;
  private readonly ctx: EngineContext;
  private readonly inbox: Inbox;
  /** Internal: membership, encryption and the outbox; members reach it through the id-based methods below. */
  private readonly conversations: Conversations;
  /** 1:1 voice calls: place, accept, decline, hang up, and their events (a facade: its own small API). */
  readonly calls: Calls;
  /** Group calls through the server's SFU: join a group's call, leave it (one at a time). */
  readonly groupCalls: GroupCalls;
  /** Files: send one, save a received one (end to end encrypted; fetched only when asked). */
  readonly attachments: Attachments;
  /** What a member does to a message: reply, react, edit, delete for everyone, forward. */
  readonly messages: MessageActions;
  /** Typing indicators: tell a chat the member is typing, and who is typing there. */
  readonly typing: TypingIndicators;
  private readonly settingsSync: SettingsSync;
  private readonly sweep: DisappearingSweep;
  /** "bob accepted your request", placed in the 1:1 with bob once it is here. */
  private readonly contactNotices: ContactNotices;
  /** This account's display name and avatar, and contacts' (shared end to end with contacts only). */
  readonly profile: Profiles;
  /** Web Push: the server's VAPID key and this device's subscription (pushes carry nothing). */
  readonly push: Push;
  /** The operator's security advisories, verified against the pinned operator key. */
  readonly advisories: Advisories;
  /** Lockdown mode and contact links. */
  readonly lockdown: Lockdown;
  /** The server's warnings that this member is being targeted. */
  readonly threats: ThreatNotices;
  /** What this device dropped, reported to the server (never content). */
  readonly anomalies: AnomalyReporter;
  /** This account's devices: list, link a new one, remove one. */
  readonly devices: Devices;
  private readonly deviceLists: DeviceLists;
  private readonly linking: DeviceLinking;
  private drained = false;
  private readonly background = new Set<Promise<unknown>>();
  private drainWaiters: (() => void)[] = [];

  private constructor(
    private readonly deps: ClientDeps,
    mls: MlsContext,
    readonly identity: StoredIdentity,
  ) {
    this.session = new Session({
      serverUrl: identity.serverUrl,
      transport: deps.transport,
      clock: deps.clock,
      random: deps.random,
      logger: deps.logger,
      reconnect: deps.reconnect ?? true,
      hello: (challenge) => this.login(challenge),
      onDelivery: (delivery) => this.inbox.enqueue(delivery),
      onNotice: (notice) => this.onNotice(notice),
      onStateChange: (state) => this.onSessionState(state),
      onReady: (hello) => this.onReady(hello),
      onAdvisory: (push) => void this.advisories.receiveBoard(push.advisoryKey, push.advisory ? [push.advisory] : []).catch(() => undefined),
    });
    this.anomalies = new AnomalyReporter(this.session, identity.username, deps.clock, deps.logger);
    this.ctx = {
      store: deps.store, mls, identity, session: this.session, clock: deps.clock, random: deps.random, logger: deps.logger, queue: this.queue, events: this.emitters, anomalies: this.anomalies,
    };
    this.lockdown = new Lockdown(deps.store, this.session, identity.serverUrl, identity.username);
    this.threats = new ThreatNotices(deps.store);
    this.deviceLists = new DeviceLists(this.ctx, async (data) => (await suiteFor(deps)).signature.sign(identity.signKey, data));
    this.conversations = new Conversations(this.ctx, this.deviceLists);
    const settingsSync = (this.settingsSync = new SettingsSync(this.ctx, this.conversations));
    // Once a new device is in every conversation, it gets the member's settings (and, with the
    // account's second device, the own-devices conversation is made).
    const linking = (this.linking = new DeviceLinking(this.ctx, this.deviceLists, this.conversations, () => settingsSync.push()));
    this.devices = new Devices(this.ctx, this.deviceLists, linking, this.conversations);
    this.calls = new Calls(this.ctx, this.conversations, deps.calls ?? {});
    this.groupCalls = new GroupCalls(this.ctx, {
      rekey: (groupId) => this.conversations.rekey(groupId),
      announce: (groupId, event) => this.announceGroupCall(groupId, event),
    }, deps.groupCalls ?? {});
    this.attachments = new Attachments(this.ctx, this.conversations, deps.http, onlyThePair(identity.username));
    this.sweep = new DisappearingSweep(this.ctx);
    this.profile = new Profiles(this.ctx, this.conversations, onlyThePair(identity.username));
    this.contactNotices = new ContactNotices(this.ctx);
    this.push = new Push(this.session);
    this.messages = new MessageActions(this.ctx, this.conversations, onlyThePair(identity.username), checkMessageText);
    const deviceDeliveries = new DeviceDeliveries(this.ctx, this.deviceLists, linking, (work) => this.inBackground(work), () => this.emitters.didLinkThisDevice.fire(),
      // Called inside the engine queue: the contacts are stored directly, not through the queue.
      async () => this.deps.store.apply({ contacts: await this.fetchContacts() }));
    this.typing = new TypingIndicators(this.ctx, this.conversations);
    this.inbox = new Inbox(this.ctx, this.conversations, this.calls, this.threats, deviceDeliveries, this.profile, this.typing, () => this.drained);
    this.advisories = new Advisories(this.ctx, deps.clientVersion ?? SOFTWARE_VERSION, async (key, data, signature) =>
      (await suiteFor(deps)).signature.verify(key, data, signature));
  }

  // ---- lifecycle ----

  /** Creates this device's identity key and account on the server. */
  static async register(deps: ClientDeps, serverUrl: string, username: string, inviteCode = ''): Promise<SottoClient> {
    if (await deps.store.getIdentity()) throw new ClientError('ALREADY_REGISTERED', 'This profile is already registered.');
    if (!isValidUsername(username)) {
      throw new ClientError('INVALID_INPUT', 'Usernames are 3-32 characters: lower-case letters, digits, "_", "." and "-".');
    }
    const impl = await suiteFor(deps);
    const key = await impl.signature.keygen();
    const hello = await helloOnce(deps, serverUrl, { case: 'register', value: { username, identityKey: key.publicKey, inviteCode } }, (challenge) =>
      impl.signature.sign(key.signKey, authTranscript(challenge.nonce, username, '')));
    const identity: StoredIdentity = { serverUrl, username, deviceId: hello.deviceId, publicKey: key.publicKey, signKey: key.signKey, createdAt: deps.clock.now() };
    await deps.store.apply({ identity });
    // The account's device list (version 1, naming this device) is signed at its first connection.
    return SottoClient.open(deps);
  }

  /**
   * Makes this profile a new device of an existing account, with the one-time code another device
   * of it shows (`devices.link()`). Resolves once that device has listed this one and sent its
   * bundle; the conversations' invitations follow as ordinary deliveries.
   */
  static async joinWithLink(deps: ClientDeps, serverUrl: string, codeText: string, timeoutMs = 120_000): Promise<SottoClient> {
    if (await deps.store.getIdentity()) throw new ClientError('ALREADY_REGISTERED', 'This profile already belongs to an account.');
    const code = parseLinkCode(codeText);
    const impl = await suiteFor(deps);
    const key = await impl.signature.keygen();
    const sealed = sealForLink(code, 'request', key.publicKey);
    const hello = await helloOnce(deps, serverUrl, { case: 'link', value: { linkId: code.linkId, identityKey: key.publicKey, sealed } }, (challenge) =>
      impl.signature.sign(key.signKey, authTranscript(challenge.nonce, '', toHex(code.linkId))));
    const identity: StoredIdentity = { serverUrl, username: hello.username, deviceId: hello.deviceId, publicKey: key.publicKey, signKey: key.signKey, createdAt: deps.clock.now() };
    await deps.store.apply({ identity, settings: { linking: DeviceLinking.linkingSettings(code) } });
    const client = await SottoClient.open(deps);
    const linked = new Promise<void>((resolve, reject) => {
      const timer = deps.clock.setTimeout(() => reject(new ClientError('TIMEOUT', 'The other device did not finish linking in time. Make a new code there and try again.')), timeoutMs);
      client.emitters.didLinkThisDevice.event(() => {
        deps.clock.clearTimeout(timer);
        resolve();
      });
    });
    await client.connect();
    try {
      await linked;
      // The account's contacts, so this device knows from the start who may ring and write.
      await client.refreshContacts();
    } catch (error) {
      await client.close();
      throw error;
    }
    return client;
  }

  /** Opens the client for the identity in `deps.store`. */
  static async open(deps: ClientDeps): Promise<SottoClient> {
    const identity = await deps.store.getIdentity();
    // Worded for no surface in particular: each one adds its own way to register (the CLI's command, the web's form).
    if (!identity) throw new ClientError('NOT_REGISTERED', 'This device has no account yet.');
    const impl = await suiteFor(deps);
    const self: { client?: SottoClient } = {};
    const mls = new MlsContext(impl, (device, key) => self.client!.checkDeviceKey(device.username, device.deviceId, key));
    self.client = new SottoClient(deps, mls, identity);
    return self.client;
  }

  /** Connects and authenticates; deliveries start flowing right after. */
  async connect(): Promise<void> {
    this.sweep.start();
    await this.session.open();
  }

  /** Waits until everything queued for this device at connect time has been processed. */
  async sync(timeoutMs = 60_000): Promise<SyncResult> {
    const before = this.inbox.count;
    if (!this.drained) {
      await new Promise<void>((resolve, reject) => {
        const timer = this.deps.clock.setTimeout(() => reject(new ClientError('TIMEOUT', 'The mailbox did not drain in time.')), timeoutMs);
        this.drainWaiters.push(() => {
          this.deps.clock.clearTimeout(timer);
          resolve();
        });
      });
    }
    await this.queue.idle();
    await this.queue.idle();
    return { processed: this.inbox.count - before };
  }

  /** Resolves when all queued work (state changes, sends, key uploads) has finished. */
  async idle(): Promise<void> {
    do {
      await this.queue.idle();
      await Promise.allSettled([...this.background]);
      await this.conversations.settled();
      await this.queue.idle();
    } while (this.background.size > 0);
  }

  async close(): Promise<void> {
    this.sweep.close();
    // Hang up first, while the connection can still carry the hangup.
    await this.calls.shutdown();
    await this.groupCalls.shutdown();
    // What this device dropped is worth telling the server before going: a CLI run lasts seconds.
    await this.anomalies.flush().catch(() => undefined);
    this.linking.closeAll();
    this.session.close();
    await this.queue.idle();
  }

  /** The most recent call-log entries, oldest first. */
  listCallLog(limit = 50): Promise<StoredCallLogEntry[]> {
    return this.deps.store.listCallLog(limit);
  }

  getSettings(): Promise<ClientSettings> {
    return this.deps.store.getSettings();
  }

  /** Stores `settings`; the member's choices among them go to the account's other devices too. */
  async updateSettings(settings: Partial<ClientSettings>): Promise<void> {
    await this.deps.store.apply({ settings });
    this.emitters.didChangeSettings.fire();
    if (touchesSyncedSettings(settings)) await this.settingsSync.push();
  }

  get connectionState(): SessionState {
    return this.session.currentState;
  }

  /**
   * Why the connection stopped for good, if it did: a `RemoteError` with `UPDATE_REQUIRED` or
   * `UNSUPPORTED_PROTOCOL`, or `ClientError('REPLACED')` when another connection of this device
   * (another tab, another process) took over. Reconnecting is then the member's call.
   */
  get stopReason(): ClientError | undefined {
    return this.session.stopReason;
  }

  // ---- contacts ----

  /**
   * Asks `username` for contact. `link`: their contact link, needed when they are in lockdown mode
   * (the link names them; a link for someone else is refused here).
   */
  async requestContact(username: string, text: string, options: { link?: string } = {}): Promise<void> {
    if (!isValidUsername(username)) throw new ClientError('INVALID_INPUT', `"${username}" is not a valid username.`);
    if (!isPlainText(text, LIMITS.contactRequestMaxChars)) {
      throw new ClientError('INVALID_INPUT', `A contact request is plain text of at most ${LIMITS.contactRequestMaxChars} characters.`);
    }
    const link = options.link !== undefined ? parseContactLink(options.link) : undefined;
    if (link && link.username !== username) throw new ClientError('INVALID_INPUT', `That contact link is ${link.username}'s, not ${username}'s.`);
    // The server answers a request to an accepted contact like any other (it tells a requester
    // nothing); said here instead of printing "sent" for a request that goes nowhere.
    if ((await this.refreshContacts()).some((c) => c.username === username && c.state === ContactState.ACCEPTED)) {
      throw new ClientError('INVALID_INPUT', `${username} is already your contact.`);
    }
    await this.session.request(FrameType.CONTACT_REQUEST, create(ContactRequestSchema, { toUsername: username, text, ...(link ? { linkToken: link.token } : {}) }));
    await this.refreshContacts();
  }

  async respondToContact(username: string, response: ContactResponse): Promise<void> {
    await this.session.request(FrameType.CONTACT_RESPOND, create(ContactRespondSchema, { username, action: ACTIONS[response] }));
    await this.refreshContacts();
    if (response === 'accept') await this.welcomeContact(username);
  }

  /**
   * A contact this device just accepted: their 1:1 is set up now, by the one device that answered,
   * so both profiles cross at once (this one on creation, theirs on their Welcome) and the first
   * message needs no extra round trip. If it cannot be made now, the first openDirect makes it.
   */
  private async welcomeContact(username: string): Promise<void> {
    await this.openDirect(username).catch((error: unknown) => this.deps.logger.warn({ code: error instanceof ClientError ? error.code : 'UNKNOWN' }, 'could not set up the conversation with a new contact'));
  }

  /** The server's view of this member's contacts, mirrored into the local store. */
  async refreshContacts(): Promise<StoredContact[]> {
    const contacts = await this.fetchContacts();
    await this.queue.run(() => this.deps.store.apply({ contacts }));
    return contacts;
  }

  /** The server's contact list as this device stores it (not stored yet: the caller does, on or off the queue). */
  private async fetchContacts(): Promise<StoredContact[]> {
    const result = await this.session.request(FrameType.LIST_CONTACTS, create(ListContactsSchema));
    if (result.case !== 'listContacts') throw new ClientError('REMOTE', 'Unexpected answer to list contacts.');
    const lockdown = (await this.deps.store.getSettings()).lockdown;
    const contacts = result.value.contacts.map((c) => ({
      username: c.username,
      state: c.state,
      // In lockdown a stranger's words are not kept, let alone shown.
      text: lockdown && !c.viaLink && c.state === ContactState.PENDING ? '' : c.text,
      updatedAt: Number(c.updatedAt),
      ...(c.viaLink ? { viaLink: true } : {}),
    }));
    return contacts;
  }

  listContacts(): Promise<StoredContact[]> {
    return this.deps.store.listContacts();
  }

  // ---- messages and groups (conversations by id; names are for the surfaces to resolve) ----

  /**
   * The id of the member's direct conversation with `username`, created (an MLS group of the two
   * of them) if there is none yet. Only an accepted contact can be talked to.
   */
  async openDirect(username: string): Promise<string> {
    // Just accepted by them: their device is setting the 1:1 up; wait a moment for it rather than start a second.
    const existed = (await this.conversations.findDirect(username)) ?? (await accepterChat(this.ctx, this.conversations, username));
    const conversation = existed ?? (await this.conversations.ensureDirect(username));
    if (!existed) {
      // A 1:1 just made here: the new contact gets this account's profile (joiners do on their
      // Welcome), and an acceptance waiting for this chat becomes its notice.
      await this.profile.shareWith(conversation.groupId).catch(() => undefined);
      await this.contactNotices.placeIn(conversation.groupId).catch(() => this.deps.logger.warn({ error: 'store' }, 'could not write the acceptance notice'));
    }
    return conversation.groupId;
  }

  /** The id of the direct conversation with `username` if there is one; never creates one. */
  async findDirect(username: string): Promise<string | undefined> {
    return (await this.conversations.findDirect(username))?.groupId;
  }

  /**
   * Sends `text` to the conversation `conversationId` (direct or group). Each call returns its own
   * promise, settled when the server has the message; calls made one after another without
   * awaiting are sent in call order, so a caller can keep several in flight (`send --stdin`).
   */
  sendText(conversationId: string, text: string): Promise<StoredMessage> {
    try {
      checkMessageText(text);
    } catch (error) {
      return Promise.reject(error);
    }
    // Not async, and nothing awaited before this call: it joins the engine queue now, in call order.
    return this.conversations.sendText(conversationId, text, onlyThePair(this.identity.username));
  }

  createGroup(name: string, members: string[]): Promise<StoredConversation> {
    if (!isPlainText(name, 64) || name.length === 0) throw new ClientError('INVALID_INPUT', 'Group names are 1-64 characters of plain text.');
    return this.conversations.createGroup(name, members);
  }

  async addMembers(groupId: string, members: string[]): Promise<void> {
    const before = await this.conversations.members(groupId);
    await this.conversations.addMembers(await this.conversations.require(groupId, 'group'), members);
    await this.noteMembership(groupId, before);
  }

  async removeMembers(groupId: string, members: string[]): Promise<void> {
    const before = await this.conversations.members(groupId);
    await this.conversations.removeMembers(await this.conversations.require(groupId, 'group'), members);
    await this.noteMembership(groupId, before);
  }

  /** The group's admins (accounts), or an empty list for a conversation without admins (1:1 chats). */
  async groupAdmins(groupId: string): Promise<string[]> {
    const conversation = await this.deps.store.getConversation(groupId);
    if (!conversation) throw new ClientError('NO_CONVERSATION', 'No such conversation.');
    return this.conversations.admins(conversation) ?? [];
  }

  /** Makes `member` an admin of the group too (admins only: NOT_GROUP_ADMIN otherwise); the chat keeps a notice. */
  async makeGroupAdmin(groupId: string, member: string): Promise<void> {
    const conversation = await this.conversations.require(groupId, 'group');
    const before = this.conversations.admins(conversation);
    await this.conversations.makeAdmin(conversation, member);
    const after = await this.deps.store.getConversation(groupId);
    if (!after) return;
    const notices = adminNotices(groupId, before, this.conversations.admins(after), this.identity.username, after.epoch, this.identity.username, this.deps.clock.now());
    if (notices.length === 0) return;
    await this.queue.run(() => this.deps.store.apply({ messages: notices }));
    for (const n of notices) this.emitters.didReceiveMessage.fire(n);
  }

  /** Renames a group for every member (1-64 characters of plain text); the chat keeps a notice. */
  async renameGroup(groupId: string, name: string): Promise<void> {
    if (!isPlainText(name, 64) || name.trim() === '') throw new ClientError('INVALID_INPUT', 'A group name is 1 to 64 characters of plain text.');
    const conversation = await this.conversations.require(groupId, 'group');
    if (conversation.name === name) return;
    const renamed = { ...conversation, name };
    await this.queue.run(() => this.deps.store.apply({ conversations: [renamed] }));
    const notice = renameNotice(groupId, toHex(this.deps.random.bytes(16)), this.identity.username, this.identity.username, name, this.deps.clock.now());
    await this.conversations.sendMeta(renamed);
    await this.queue.run(() => this.deps.store.apply({ messages: [notice] }));
    this.emitters.didReceiveMessage.fire(notice);
  }

  /** Notices of this device's own membership change of a group (others see theirs from the commit). */
  private async noteMembership(groupId: string, before: readonly string[]): Promise<void> {
    const conversation = await this.deps.store.getConversation(groupId);
    if (!conversation) return;
    const notices = membershipNotices(groupId, before, await this.conversations.members(groupId), conversation.epoch, this.identity.username, this.deps.clock.now());
    if (notices.length === 0) return;
    await this.queue.run(() => this.deps.store.apply({ messages: notices }));
    for (const n of notices) this.emitters.didReceiveMessage.fire(n);
  }

  async leave(groupId: string): Promise<void> {
    await this.conversations.leave(await this.conversations.require(groupId, 'group'));
  }

  /** Fires when a send is delayed because the server cannot store (with the retry plan). */
  get didDelaySend() {
    return this.conversations.outbox.didDelaySend;
  }

  /** The member's chats: 1:1 and groups (the own-devices conversation is no chat). */
  async listConversations(): Promise<StoredConversation[]> {
    return (await this.deps.store.listConversations()).filter((c) => c.kind !== 'self');
  }

  /** The conversation's messages, oldest first; a disappearing message past its time is never shown, swept or not. */
  async listMessages(groupId: string, limit = 100): Promise<StoredMessage[]> {
    return notExpired(await this.deps.store.listMessages(groupId, limit), this.deps.clock.now());
  }

  /**
   * Sets the conversation's disappearing timer (0: off; else a minute to 90 days), for every
   * member: messages sent from now on disappear that long after they arrive, on every device.
   */
  async setDisappearing(conversationId: string, seconds: number): Promise<void> {
    if (!isAllowedTimer(seconds)) throw new ClientError('INVALID_INPUT', 'Disappearing messages are off, or set to a minute to 90 days.');
    const conversation = await this.deps.store.getConversation(conversationId);
    if (!conversation?.active || conversation.kind === 'self') throw new ClientError('NO_CONVERSATION', 'No such chat here.');
    const messageId = newMessageId(this.deps.clock, this.deps.random);
    const now = this.deps.clock.now();
    const content = create(AppContentSchema, { messageId, sentAt: BigInt(now), body: { case: 'timer', value: { seconds } } });
    const notice: StoredMessage = {
      messageId: toHex(messageId), groupId: conversationId, sender: this.identity.username, senderDevice: this.identity.deviceId,
      body: timerNotice(this.identity.username, this.identity.username, seconds), sentAt: now, receivedAt: now, outgoing: true, status: 'read', notice: 'timer',
    };
    await this.conversations.send({ groupId: conversationId }, content, notice, onlyThePair(this.identity.username));
    await this.queue.run(async () => {
      const timers = { ...(await this.deps.store.getSettings()).conversationTimers };
      if (seconds === 0) delete timers[conversationId];
      else timers[conversationId] = seconds;
      await this.deps.store.apply({ settings: { conversationTimers: timers } });
    });
    this.emitters.didChangeSettings.fire();
  }

  /** Tells the group this device joined or left its call: a line in every member's chat. */
  private async announceGroupCall(groupId: string, event: GroupCallEvent): Promise<void> {
    const messageId = newMessageId(this.deps.clock, this.deps.random);
    const now = this.deps.clock.now();
    const content = create(AppContentSchema, { messageId, sentAt: BigInt(now), body: { case: 'groupCall', value: { event } } });
    const kind = noticeKindOf(event);
    const notice: StoredMessage = {
      messageId: toHex(messageId), groupId, sender: this.identity.username, senderDevice: this.identity.deviceId,
      body: groupCallNoticeText(this.identity.username, this.identity.username, kind), sentAt: now, receivedAt: now, outgoing: true, status: 'read', notice: kind,
    };
    await this.conversations.send({ groupId }, content, notice);
  }

  /**
   * How the member keeps a chat: muted until a time (`-1` for ever, `null` to unmute), archived,
   * pinned. Kept on every device of the account.
   */
  async setChatFlags(conversationId: string, change: { mutedUntil?: number | null; archived?: boolean; pinned?: boolean }): Promise<void> {
    if (change.mutedUntil !== undefined && change.mutedUntil !== null && change.mutedUntil !== -1 && !(Number.isSafeInteger(change.mutedUntil) && change.mutedUntil > 0)) {
      throw new ClientError('INVALID_INPUT', 'A chat is muted until a time, or for ever.');
    }
    const conversation = await this.deps.store.getConversation(conversationId);
    if (!conversation || conversation.kind === 'self') throw new ClientError('NO_CONVERSATION', 'No such chat here.');
    const chats = { ...(await this.deps.store.getSettings()).chats };
    const before = chats[conversationId] ?? {};
    const mutedUntil = change.mutedUntil === undefined ? before.mutedUntil : change.mutedUntil ?? undefined;
    const archived = change.archived ?? before.archived;
    const pinned = change.pinned ?? before.pinned;
    const next: ChatFlags = { ...(mutedUntil !== undefined ? { mutedUntil } : {}), ...(archived ? { archived } : {}), ...(pinned ? { pinned } : {}) };
    if (Object.keys(next).length === 0) delete chats[conversationId];
    else chats[conversationId] = next;
    await this.updateSettings({ chats });
  }

  /** How the member keeps a chat (muted is already false once its time passed). */
  async chatFlags(conversationId: string): Promise<{ muted: boolean; mutedUntil?: number; archived: boolean; pinned: boolean }> {
    const flags = (await this.deps.store.getSettings()).chats?.[conversationId] ?? {};
    const muted = flags.mutedUntil === -1 || (flags.mutedUntil !== undefined && flags.mutedUntil > this.deps.clock.now());
    return { muted, ...(muted && flags.mutedUntil !== undefined ? { mutedUntil: flags.mutedUntil } : {}), archived: flags.archived === true, pinned: flags.pinned === true };
  }

  /**
   * Messages whose text holds `query` (any case), newest first, in every chat: searched here, on
   * this device, never on the server. Deleted, expired messages and notices are not searched.
   */
  async searchMessages(query: string, limit = 50): Promise<StoredMessage[]> {
    const needle = query.trim().toLocaleLowerCase();
    if (needle.length === 0) return [];
    const now = this.deps.clock.now();
    const found: StoredMessage[] = [];
    for (const conversation of await this.listConversations()) {
      for (const m of notExpired(await this.deps.store.listMessages(conversation.groupId, 5000), now)) {
        if (m.notice === undefined && m.deletedAt === undefined && m.body.toLocaleLowerCase().includes(needle)) found.push(m);
      }
    }
    return found.sort((a, b) => b.sentAt - a.sentAt).slice(0, limit);
  }

  /** The conversation's disappearing timer in seconds (0: off). */
  disappearingTimer(conversationId: string): Promise<number> {
    return timerOf(this.deps.store, conversationId);
  }

  /**
   * The member's one chat with `peer`: messages of every direct conversation
   * with them (two exist briefly when both started one at once), oldest first.
   */
  async listDirectMessages(peer: string, limit = 100): Promise<StoredMessage[]> {
    const direct = (await this.deps.store.listConversations()).filter((c) => c.kind === 'direct' && c.name === peer);
    const all = notExpired((await Promise.all(direct.map((c) => this.deps.store.listMessages(c.groupId, limit)))).flat(), this.deps.clock.now());
    return all.sort((a, b) => (a.outgoing ? a.sentAt : a.receivedAt) - (b.outgoing ? b.sentAt : b.receivedAt)).slice(-limit);
  }

  /** Usernames of a conversation's current MLS members (this member included), sorted. */
  members(groupId: string): Promise<string[]> {
    return this.conversations.members(groupId);
  }

  /** Incoming messages of `groupId` not yet marked read here (at most the last `window`). */
  async unreadCount(groupId: string, window = UNREAD_WINDOW): Promise<number> {
    return (await this.deps.store.listMessages(groupId, window)).filter((m) => !m.outgoing && m.status !== 'read').length;
  }

  /**
   * Marks the conversation's incoming messages read on this device and tells the senders with
   * one READ receipt, so their copies move from delivered to read. Returns how many changed.
   */
  async markRead(groupId: string): Promise<number> {
    const conversation = await this.deps.store.getConversation(groupId);
    if (!conversation?.active) return 0;
    const unread = (await this.deps.store.listMessages(groupId, UNREAD_WINDOW)).filter((m) => !m.outgoing && m.status !== 'read');
    if (unread.length === 0) return 0;
    const statuses = unread.map((m) => ({ messageId: m.messageId, status: 'read' as const }));
    await this.queue.run(() => this.deps.store.apply({ statuses }));
    statuses.forEach((s) => this.emitters.didChangeStatus.fire(s));
    const content = create(AppContentSchema, {
      messageId: newMessageId(this.deps.clock, this.deps.random),
      sentAt: BigInt(this.deps.clock.now()),
      body: { case: 'receipt', value: { kind: ReceiptKind.READ, messageIds: unread.map((m) => fromHex(m.messageId)) } },
    });
    // Read receipts off: the contacts are not told; this account's other devices still are, so
    // unread clears on every device.
    const receiptsOn = (await this.deps.store.getSettings()).readReceipts !== false;
    const target = receiptsOn ? conversation : await this.conversations.ensureSelf();
    if (target) await this.conversations.send(target, content);
    return unread.length;
  }

  // ---- verification ----

  /**
   * Marks a contact as verified, once the member compared the safety number with them (in person,
   * or by the QR code): the number compared is kept, so a later change shows as such.
   */
  async markVerified(username: string, verified = true): Promise<void> {
    const digits = verified ? await this.safetyNumber(username) : undefined;
    await this.queue.run(async () => {
      const all = { ...(await this.deps.store.getSettings()).verified };
      if (digits) all[username] = digits;
      else delete all[username];
      await this.deps.store.apply({ settings: { verified: all } });
    });
    this.emitters.didChangeSettings.fire();
  }

  /**
   * 'verified': the member compared this number; 'changed': they compared one, and it has changed
   * since (a device linked or removed, or a key changed): compare again; 'unverified': never compared.
   */
  async verification(username: string): Promise<'verified' | 'changed' | 'unverified'> {
    const compared = (await this.deps.store.getSettings()).verified?.[username];
    if (compared === undefined) return 'unverified';
    return compared === (await this.safetyNumber(username)) ? 'verified' : 'changed';
  }

  /** The 60-digit safety number for this member and `username`, from pinned keys (fetched once if none). */
  async safetyNumber(username: string): Promise<string> {
    let pins = await this.deps.store.listPins(username);
    if (pins.length === 0) {
      await this.fetchAndPin(username);
      pins = await this.deps.store.listPins(username);
    }
    // Both sides' current devices, from the signed lists where there are any: a device linked
    // later changes the number, and the chat says so (didChangeDevices).
    const own = await this.deviceLists.known(this.identity.username);
    const theirs = await this.deviceLists.known(username);
    return safetyNumber(
      { username: this.identity.username, devices: own?.list.devices ?? [{ deviceId: this.identity.deviceId, identityKey: this.identity.publicKey }] },
      { username, devices: theirs?.list.devices ?? pins },
    );
  }

  // ---- internals ----

  private async login(challenge: Challenge) {
    // A new connection has its own initial drain. Reset here, before the hello
    // goes out: the drained notice can arrive in the same read as the hello's answer.
    this.drained = false;
    this.inbox.resume();
    const impl = await suiteFor(this.deps);
    return create(HelloSchema, {
      protocolVersion: PROTOCOL_VERSION,
      clientVersion: this.deps.clientVersion ?? SOFTWARE_VERSION,
      auth: { case: 'login', value: { username: this.identity.username, deviceId: this.identity.deviceId } },
      signature: await impl.signature.sign(this.identity.signKey, authTranscript(challenge.nonce, this.identity.username, this.identity.deviceId)),
    });
  }

  private onReady(hello: HelloOk): void {
    this.push.adopt(hello);
    // On the engine queue, so a sync() after connecting sees the account's lockdown state.
    this.queue.run(() => this.lockdown.adopt(hello.lockdown)).catch(() => undefined);
    // Every account has a signed device list: a device of an account from before lists signs
    // version 1; a device behind the server's version catches up (checking each step). A device
    // still being linked waits for its bundle instead.
    if (!hello.linking) {
      this.inBackground(() => this.deviceLists.ensureOwn(hello.deviceListVersion).catch((error: unknown) =>
        this.deps.logger.warn({ error: error instanceof Error ? error.name : 'unknown' }, 'device list not brought up to date')));
    }
    this.anomalies.resume();
    const board = this.advisories.receiveBoard(hello.advisoryKey, hello.advisories).catch((error: unknown) =>
      this.deps.logger.warn({ error: error instanceof Error ? error.name : 'unknown' }, 'advisories not processed'));
    this.background.add(board);
    void board.finally(() => this.background.delete(board));
    this.conversations.settleAllPending().catch(() => undefined);
    this.conversations.resendOutbox().catch(() => undefined);
    // A profile from before group admins replaces its key packages once (key-packages.ts), then tops up.
    this.inBackground(async () => {
      const remaining = await refreshKeyPackages(this.ctx, hello.keyPackagesRemaining);
      if (hello.keyPackagesLow || remaining < LIMITS.keyPackagesLowWatermark) await replenishKeyPackages(this.ctx, remaining);
    });
  }

  /** Work the engine owns but nobody awaits: `idle()` waits for it. */
  private inBackground(work: () => Promise<unknown>): void {
    const running = work().catch((error: unknown) => this.deps.logger.warn({ error: error instanceof Error ? error.name : 'unknown' }, 'background work failed'));
    this.background.add(running);
    void running.finally(() => this.background.delete(running));
  }

  private topUpKeyPackages(remaining: number): void {
    const work = replenishKeyPackages(this.ctx, remaining).catch((error: unknown) =>
      this.deps.logger.warn({ error: error instanceof Error ? error.name : 'unknown' }, 'key package upload failed'),
    );
    this.background.add(work);
    void work.finally(() => this.background.delete(work));
  }

  private onNotice(notice: Notice): void {
    switch (notice.kind) {
      case NoticeKind.MAILBOX_DRAINED:
        // Every entry queued at connect time is in the inbox queue by now (frames arrive in order).
        this.queue.run(async () => {
          this.drained = true;
          this.inbox.announcePendingJoins();
          const waiters = this.drainWaiters;
          this.drainWaiters = [];
          waiters.forEach((w) => w());
          this.emitters.didDrainMailbox.fire(notice.count);
        }).catch(() => undefined);
        return;
      case NoticeKind.KEY_PACKAGES_LOW:
        this.topUpKeyPackages(notice.count);
        return;
      case NoticeKind.LOCKDOWN_CHANGED:
        this.queue.run(() => this.lockdown.adopt(notice.lockdown)).catch(() => undefined);
        return;
      case NoticeKind.REPLACED:
      case NoticeKind.SHUTTING_DOWN:
      case NoticeKind.UNSPECIFIED:
        this.deps.logger.info({ kind: notice.kind }, 'server notice');
        return;
      default:
        this.deps.logger.info({ kind: notice.kind }, 'unknown server notice');
    }
  }

  private onSessionState(state: SessionState): void {
    if (state === 'idle' || state === 'closed') this.conversations.abandonPending();
    this.emitters.didChangeConnection.fire(state);
  }

  /** MLS credential check: the key must be the device's pinned identity key (pinned on first sight). */
  private async checkDeviceKey(username: string, deviceId: string, key: Uint8Array): Promise<boolean> {
    if (username === this.identity.username && deviceId === this.identity.deviceId) return equalBytes(key, this.identity.publicKey);
    // An account with a signed device list: only its listed devices, with their listed keys.
    const list = await this.deviceLists.current(username).catch(() => undefined);
    if (list) return list.list.devices.some((d) => d.deviceId === deviceId && equalBytes(d.identityKey, key));
    let pin = (await this.deps.store.listPins(username)).find((p) => p.deviceId === deviceId);
    if (!pin) {
      await this.fetchAndPin(username);
      pin = (await this.deps.store.listPins(username)).find((p) => p.deviceId === deviceId);
    }
    return pin !== undefined && equalBytes(pin.identityKey, key);
  }

  private async fetchAndPin(username: string): Promise<void> {
    const result = await this.session.request(FrameType.GET_DEVICES, create(GetDevicesSchema, { username }));
    if (result.case !== 'getDevices') throw new ClientError('REMOTE', 'Unexpected answer to get devices.');
    const known = await this.deps.store.listPins(username);
    const fresh = result.value.devices.filter((d) => !known.some((k) => k.deviceId === d.deviceId));
    await this.deps.store.apply({ pins: fresh.map((d) => ({ username, deviceId: d.deviceId, identityKey: d.identityKey })) });
  }
}

/** Refuses what cannot be a message (empty, too long, not plain text); surfaces may check first. */
export function checkMessageText(text: string): void {
  if (!isPlainText(text, LIMITS.textMaxChars) || text.length === 0) {
    throw new ClientError('INVALID_INPUT', `Messages are 1-${LIMITS.textMaxChars} characters of plain text.`);
  }
}

export function contactStateName(state: ContactState): string {
  return (ContactState[state] ?? 'UNKNOWN').toLowerCase();
}

export { toHex };

function notExpired(messages: StoredMessage[], now: number): StoredMessage[] {
  return messages.filter((m) => m.expiresAt === undefined || m.expiresAt > now);
}

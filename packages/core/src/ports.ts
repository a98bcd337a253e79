/**
 * @module ports
 * What the engine needs from its environment, injected so the same engine
 * runs in Node (client-node) and in the browser (web): transport, storage,
 * clock, randomness, logging and, optionally, the platform's Ed25519.
 */
import type { ContactState } from '@sotto/protocol';

export interface TransportHandlers {
  onMessage(data: Uint8Array): void;
  onClose(code: number, reason: string): void;
}

export interface TransportSocket {
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** Opens one binary WebSocket-like connection. Rejects if it cannot connect. */
export interface Transport {
  open(url: string, handlers: TransportHandlers): Promise<TransportSocket>;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface Random {
  bytes(n: number): Uint8Array;
}

/**
 * Ed25519 for MLS, exactly the shape of ts-mls's `Signature`, so a platform
 * can supply its native implementation (Node: OpenSSL via node:crypto, which
 * runs on the calling thread; Node's WebCrypto hands every call to a worker
 * thread, and that hand-off became the cost of each message).
 * Keys are in ts-mls's formats: `publicKey` is the raw 32 bytes; `signKey`
 * is either PKCS#8 DER (what WebCrypto key generation gives, and so what
 * existing profiles hold) or a raw 32-byte seed (what noble gives).
 * Signatures must be RFC 8032's: Ed25519 is deterministic, so every
 * implementation signs the same bytes and members can mix them.
 * Without one the engine uses WebCrypto (see mls/ed25519-signature).
 */
export interface Ed25519Signer {
  sign(signKey: Uint8Array, message: Uint8Array): Promise<Uint8Array>;
  /** False for a signature that does not verify; rejects for a malformed public key, as WebCrypto does. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
  keygen(): Promise<{ publicKey: Uint8Array; signKey: Uint8Array }>;
}

export type HkdfHash = 'SHA-256' | 'SHA-384' | 'SHA-512';

/**
 * HKDF (RFC 5869), split into its two steps as MLS uses them, for the key schedule each message
 * runs (about five expansions). A platform with a native HMAC injects it (Node: OpenSSL's, through
 * futoin-hkdf, ~4x @noble/hashes' pure-JS HKDF-SHA-512); without one the engine uses @noble/hashes.
 * Outputs must be RFC 5869's, byte for byte.
 */
export interface Hkdf {
  extract(hash: HkdfHash, salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  expand(hash: HkdfHash, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;
}

/** What a log line carries besides its message: kinds, reasons, counts; never content, keys or names. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * Structured, scoped logging, in pino's argument order (fields first, `{}` when there are none), so
 * the server's logger or a child of it can be handed to the engine as is: one logger shape across
 * packages. Only the fields-first form is part of the port, so every implementation stays small.
 */
export interface Logger {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
}

// ---- storage ----

export interface StoredIdentity {
  readonly serverUrl: string;
  readonly username: string;
  readonly deviceId: string;
  readonly publicKey: Uint8Array;
  readonly signKey: Uint8Array;
  readonly createdAt: number;
}

export interface StoredKeyPackage {
  /** Hex KeyPackageRef: how a Welcome names the package it is for. */
  readonly ref: string;
  /** TLS-encoded MLSMessage(KeyPackage). */
  readonly publicPackage: Uint8Array;
  readonly initPrivateKey: Uint8Array;
  readonly hpkePrivateKey: Uint8Array;
  readonly signaturePrivateKey: Uint8Array;
  readonly lastResort: boolean;
}

/** 'self': the account's own devices only, where settings are kept in step; never shown as a chat. */
export type ConversationKind = 'direct' | 'group' | 'self';

/** A change submitted to the server whose answer this device has not stored yet. */
export interface PendingChange {
  readonly kind: 'create' | 'commit';
  /** The group state to adopt once the server accepted the change. */
  readonly state: Uint8Array;
  /** The exact request (protobuf CreateGroup or Commit), resubmitted as is. */
  readonly request: Uint8Array;
}

export interface StoredConversation {
  readonly groupId: string;
  readonly kind: ConversationKind;
  /** Group name, or the peer's username for a direct conversation. */
  readonly name: string;
  readonly state: Uint8Array;
  readonly epoch: bigint;
  readonly createdAt: number;
  /** False once this device left or was removed (and until a creation is confirmed). */
  readonly active: boolean;
  readonly pending?: PendingChange | undefined;
}

export type MessageStatus = 'pending' | 'sent' | 'delivered' | 'read';

export interface StoredMessage {
  readonly messageId: string;
  readonly groupId: string;
  readonly sender: string;
  readonly senderDevice: string;
  readonly body: string;
  readonly sentAt: number;
  readonly receivedAt: number;
  readonly outgoing: boolean;
  readonly status: MessageStatus;
  /**
   * The file this message carries: its `Attachment` descriptor (protobuf) as sent or received,
   * with the key that opens it. `body` is then its caption. Decoded with `attachmentOf`.
   */
  readonly attachment?: Uint8Array;
  /** The message this one answers (hex id, in the same conversation). */
  readonly replyTo?: string;
  /** Its sender forwarded it from another conversation. */
  readonly forwarded?: boolean;
  /** When its sender last edited it (sender's clock, ms). */
  readonly editedAt?: number;
  /** Deleted for everyone (sender's clock, ms): `body` is empty and the file's descriptor gone. */
  readonly deletedAt?: number;
  /** One per account, the newest it sent. */
  readonly reactions?: readonly MessageReaction[];
  /**
   * Not a message but a notice this device wrote into the chat ("bob linked a new device"): shown
   * apart, never unread, never answered with a receipt. `body` holds its words. 'call-joined' and
   * 'call-left' are a member's device joining or leaving the group's call (GroupCallNotice).
   */
  readonly notice?: 'devices' | 'timer' | 'group' | 'contact' | 'call-joined' | 'call-left';
  /** Disappearing messages: when this device deletes it (this device's clock, ms). */
  readonly expiresAt?: number;
}

export interface MessageReaction {
  readonly user: string;
  readonly emoji: string;
  /** The reacting device's clock (ms): a newer reaction of the same account replaces an older one. */
  readonly sentAt: number;
}

/**
 * A change to a stored message after it was stored: an edit, a deletion for everyone, or its
 * reactions (the whole new list). Fields left out are left as they are.
 */
export interface MessageChange {
  readonly messageId: string;
  readonly body?: string;
  readonly editedAt?: number;
  /** Deletes for everyone: the body is emptied and the attachment dropped, whatever else is said. */
  readonly deletedAt?: number;
  readonly reactions?: readonly MessageReaction[];
}

/** One HTTP answer as the engine reads it: the status, a header, the body as a stream or as text. */
export interface HttpAnswer {
  readonly status: number;
  header(name: string): string | null;
  /** The body, read once: as chunks, or whole as text (for error answers, which are small). */
  readonly body: AsyncIterable<Uint8Array>;
  text(): Promise<string>;
}

/**
 * The platform's HTTP client, for the server's file routes only (PROTOCOL.md §11): Node and the
 * browser both hand in `fetch`. A request body is at most one upload chunk, so it is bytes.
 */
export interface HttpPort {
  request(method: 'HEAD' | 'PATCH' | 'GET', url: string, headers: Readonly<Record<string, string>>, body?: Uint8Array): Promise<HttpAnswer>;
}

export interface StoredContact {
  readonly username: string;
  readonly state: ContactState;
  readonly text: string;
  readonly updatedAt: number;
  /** The request came through this member's contact link (shown even in lockdown mode). */
  readonly viaLink?: boolean;
}

/** An encrypted message not yet acknowledged by the server; resent as is after reconnect. */
export interface OutboxEntry {
  readonly messageId: string;
  readonly groupId: string;
  readonly payload: Uint8Array;
  readonly createdAt: number;
  /** Disappearing messages: the server forgets undelivered copies at this time (`Send.expires_at`). */
  readonly expiresAt?: number;
}

export interface PinnedDevice {
  readonly username: string;
  readonly deviceId: string;
  readonly identityKey: Uint8Array;
}

/** A call-log line as stored: identifiers and timings only, never content. */
export interface StoredCallLogEntry {
  readonly callId: string;
  readonly peer: string;
  readonly direction: 'outgoing' | 'incoming';
  readonly outcome: 'answered' | 'answered-elsewhere' | 'missed' | 'declined' | 'missed-request' | 'busy' | 'failed';
  readonly durationMs: number;
  /** When the call ended (or the request arrived), ms since epoch. */
  readonly endedAt: number;
}

/** Member settings this device keeps. */
export interface ClientSettings {
  /** Calls go through the TURN relay only, so peers never learn this device's IP. */
  readonly relayOnlyCalls: boolean;
  /**
   * Read receipts (on unless false). Off: contacts are not told what the member read, and the
   * member is not shown what contacts read either, as members of other messengers expect.
   */
  readonly readReceipts?: boolean;
  /**
   * Typing indicators (on unless false). Off: contacts are not told when the member types, and
   * the member is not shown when contacts type either.
   */
  readonly typingIndicators?: boolean;
  /**
   * The operator's advisory key (hex Ed25519 public key), pinned on first sight: advisories signed
   * with any other key are refused, so a server that changes it cannot forge one.
   */
  readonly advisoryKey?: string;
  /**
   * Lockdown mode, as the server last said (the account's devices share it): contact requests only
   * through a contact link, every call relay-only, nothing from a non-contact shown beyond a count.
   */
  readonly lockdown: boolean;
  /** Link-less requests the server refused since lockdown was turned on. */
  readonly lockdownRefused: number;
  /** The server's threat notifications, newest last (at most MAX_THREAT_NOTICES). */
  readonly threatNotices: readonly ThreatNoticeRecord[];
  /**
   * The signed device lists this device trusts, by account (this member's own and each contact's):
   * base64url of the SignedDeviceList bytes, checked before they were stored (devices/device-lists.ts).
   */
  readonly deviceLists?: Readonly<Record<string, string>>;
  /** While this device waits for the linking device's bundle: the link's code (base64url of id and secret). */
  readonly linking?: { readonly linkId: string; readonly secret: string };
  /** This account's profile (shared with contacts and the account's other devices). */
  readonly profile?: StoredProfile;
  /** How the member keeps each chat (by conversation id): muted (until a time, or -1 for ever), archived, pinned. */
  readonly chats?: Readonly<Record<string, ChatFlags>>;
  /** Contacts the member verified: the safety number they compared, by username. */
  readonly verified?: Readonly<Record<string, string>>;
  /** Contacts' profiles as they last shared them, by username. */
  readonly profiles?: Readonly<Record<string, StoredProfile>>;
  /**
   * Contacts who accepted this account's request, with when (this device's clock, ms), while no
   * 1:1 with them is on this device yet: the "bob accepted your request" notice waits for that chat.
   */
  readonly acceptedRequests?: Readonly<Record<string, number>>;
  /** Disappearing messages: each conversation's timer in seconds, as a member last set it (absent: off). */
  readonly conversationTimers?: Readonly<Record<string, number>>;
  /**
   * What this device's key packages on the server advertise (KEY_PACKAGE_VERSION, key-packages.ts);
   * absent: from before group admins. Below the current version they are all replaced once.
   */
  readonly keyPackageVersion?: number;
  /** What the linking device said each of the account's conversations is, until its Welcome arrives. */
  readonly linkedConversations?: Readonly<Record<string, { readonly kind: ConversationKind; readonly name: string }>>;
}

/** How the member keeps one chat; absent fields are off. */
export interface ChatFlags {
  /** Muted until this time (ms), or -1 until turned back on. */
  readonly mutedUntil?: number;
  readonly archived?: boolean;
  readonly pinned?: boolean;
}

/** A profile as kept: the display name, the avatar (base64url of its bytes), the sender's time. */
export interface StoredProfile {
  readonly displayName: string;
  readonly avatar?: string;
  readonly updatedAt: number;
}

/** A threat notification as kept: the server's fields, checked, and when it arrived. */
export interface ThreatNoticeRecord {
  readonly incidentId: string;
  readonly openedAt: number;
  /** Anomaly kinds, lower-case names such as "undecryptable". */
  readonly kinds: readonly string[];
  readonly senders: number;
  readonly operatorContact: string;
  readonly receivedAt: number;
  readonly dismissed: boolean;
}

export const MAX_THREAT_NOTICES = 20;

export const DEFAULT_CLIENT_SETTINGS: ClientSettings = { relayOnlyCalls: false, lockdown: false, lockdownRefused: 0, threatNotices: [] };

/** A set of writes applied atomically: the engine's one way to change the store. */
export interface ClientWriteBatch {
  identity?: StoredIdentity;
  conversations?: StoredConversation[];
  messages?: StoredMessage[];
  statuses?: { messageId: string; status: MessageStatus }[];
  /** Applied after `messages` and `statuses`; a change to an unknown message changes nothing. */
  messageChanges?: MessageChange[];
  /** Messages deleted from this device (disappearing messages), applied last. */
  messagesDelete?: string[];
  contacts?: StoredContact[];
  outboxAdd?: OutboxEntry[];
  outboxRemove?: string[];
  keyPackagesAdd?: StoredKeyPackage[];
  keyPackagesRemove?: string[];
  pins?: PinnedDevice[];
  /** High-water mark of processed mailbox entries. */
  lastSeq?: bigint;
  /** Appended; an entry whose call id and direction are already logged is ignored. */
  callLog?: StoredCallLogEntry[];
  settings?: Partial<ClientSettings>;
}

export interface ClientStore {
  getIdentity(): Promise<StoredIdentity | undefined>;
  getConversation(groupId: string): Promise<StoredConversation | undefined>;
  listConversations(): Promise<StoredConversation[]>;
  getMessage(messageId: string): Promise<StoredMessage | undefined>;
  listMessages(groupId: string, limit: number): Promise<StoredMessage[]>;
  /** Ids of messages whose `expiresAt` is at or before `time`, at most `limit` of them. */
  listExpiredMessages(time: number, limit: number): Promise<string[]>;
  /** The earliest `expiresAt` of any stored message, if one has one. */
  nextExpiry(): Promise<number | undefined>;
  getContact(username: string): Promise<StoredContact | undefined>;
  listContacts(): Promise<StoredContact[]>;
  listOutbox(): Promise<OutboxEntry[]>;
  getKeyPackage(ref: string): Promise<StoredKeyPackage | undefined>;
  countLastResortKeyPackages(): Promise<number>;
  listPins(username: string): Promise<PinnedDevice[]>;
  getLastSeq(): Promise<bigint>;
  /** The most recent `limit` call-log entries, oldest first. */
  listCallLog(limit: number): Promise<StoredCallLogEntry[]>;
  getSettings(): Promise<ClientSettings>;
  apply(batch: ClientWriteBatch): Promise<void>;
  close(): Promise<void>;
}

/**
 * @module context
 * What the engine's parts share: the injected ports, the MLS context, this
 * device's identity and the one serial queue all state changes go through.
 */
import type { Delivery, ContactState } from '@sotto/protocol';
import { Emitter, type SubscribeSides } from './events.js';
import type { MlsContext } from './mls/group.js';
import type { Clock, ClientStore, Logger, MessageStatus, Random, StoredIdentity, StoredMessage } from './ports.js';
import type { AnomalyReporter } from './anomaly-reporter.js';
import type { SerialQueue } from './serial-queue.js';
import type { DeviceListChange, DeviceListWarning } from './devices/device-lists.js';
import type { Session } from './session.js';

export interface ContactEvent {
  readonly username: string;
  readonly state: ContactState;
  readonly text: string;
  /** A request from a non-contact held back by lockdown mode: show a count, not who or what. */
  readonly heldBack?: boolean;
}

/** Something dropped before it reached the member, and why (never its content). */
export interface DroppedEvent {
  readonly reason: string;
  readonly kind: Delivery['kind'];
  readonly sender: string;
}

/** The engine's own emitters: only the engine fires them (it reaches them through `EngineContext`). */
export class ClientEvents {
  readonly didReceiveMessage = new Emitter<StoredMessage>();
  readonly didChangeContact = new Emitter<ContactEvent>();
  readonly didChangeStatus = new Emitter<{ messageId: string; status: MessageStatus }>();
  /** Disappearing messages of this conversation were deleted from this device (read it again). */
  readonly didExpireMessages = new Emitter<{ groupId: string }>();
  /** An account's profile changed (this account's, or a contact's): read it again. */
  readonly didChangeProfile = new Emitter<{ username: string }>();
  /** Settings changed here or on another device of this account (read them again). */
  readonly didChangeSettings = new Emitter<void>();
  /** A stored message changed: edited, deleted for everyone, or reacted to (read it again from the store). */
  readonly didChangeMessage = new Emitter<{ messageId: string; groupId: string }>();
  readonly didJoinConversation = new Emitter<{ groupId: string; name: string }>();
  /** A group's membership changed: a commit of ours was accepted, or someone else's was processed. */
  readonly didChangeMembers = new Emitter<{ groupId: string }>();
  readonly didDrop = new Emitter<DroppedEvent>();
  readonly didChangeConnection = new Emitter<string>();
  readonly didDrainMailbox = new Emitter<number>();
  /** A trusted device list changed: a contact (or this account) linked or removed a device. */
  readonly didChangeDevices = new Emitter<DeviceListChange>();
  /** Something about devices the member must hear: a list refused, a device the server tried to add, a key change. */
  readonly didWarnDevices = new Emitter<DeviceListWarning>();
  /** Who is typing in a conversation changed (read `client.typing.in(groupId)` again). */
  readonly didChangeTyping = new Emitter<{ groupId: string }>();
  /** This device, being linked, got its bundle: it is a device of the account now. */
  readonly didLinkThisDevice = new Emitter<void>();
}

/** What `client.events` gives callers: each event's subscribe side, never `fire`. */
export type PublicClientEvents = SubscribeSides<ClientEvents>;

export interface EngineContext {
  readonly store: ClientStore;
  readonly mls: MlsContext;
  readonly identity: StoredIdentity;
  readonly session: Session;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly queue: SerialQueue;
  readonly events: ClientEvents;
  /** What this device dropped, reported to the server by sender and kind. */
  readonly anomalies: AnomalyReporter;
}

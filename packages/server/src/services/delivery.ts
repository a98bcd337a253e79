/** @module services/delivery */
// The MLS delivery service: groups, commits (one per epoch, ordered by the
// store), application messages and leaving. The server routes opaque MLS
// bytes; its only judgement is who may be put in front of whom: a device is
// added to a group (and sent a Welcome) only by an accepted contact.
import { checkGroupAdmins, ContactState, DeliveryKind, ErrorCode, LIMITS, ProtocolError } from '@sotto/protocol';
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import { ServerError } from '../errors.js';
import type { Store } from '../storage/store.js';
import { deviceKey, mailExpired, type DeviceAddress, type MailItem } from '../storage/types.js';
import type { RatePolicy } from '../rate-limits/rate-policy.js';
import { rateSubject, type Caller } from './caller.js';
import type { MailNotifier } from './mail-notifier.js';
import type { Restrictions } from './restrictions.js';
import { invalid, requireBytes, requireDeviceRef, requireEpoch, requireExpiry, requirePayload } from './validate.js';

export interface CreateGroupRequest {
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  readonly members: readonly DeviceAddress[];
  readonly welcome: Uint8Array;
  /** A named group's admins: its creator's account; empty for a group without admins. */
  readonly admins?: readonly string[];
}

export interface CommitRequest {
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  readonly commit: Uint8Array;
  readonly added: readonly DeviceAddress[];
  readonly removed: readonly DeviceAddress[];
  readonly welcome: Uint8Array;
  readonly messageId: Uint8Array;
  /** The admins after this commit, when it changes them; empty: unchanged. */
  readonly admins?: readonly string[];
}

export interface SendRequest {
  readonly groupId: Uint8Array;
  readonly messageId: Uint8Array;
  readonly payload: Uint8Array;
  /** A call ring: rate-limited per sender and delivered as MLS_RING. */
  readonly ring?: boolean;
  /**
   * Disappearing messages: ms since epoch from which no copy may be delivered; 0 or absent: none.
   * Rings honour it too: a ring is content of its conversation like any other, and one that
   * disappears cannot ring a device that connects long after the call.
   */
  readonly expiresAt?: bigint;
  /** Not worth waking a device for (a typing indicator): stored and delivered, but no push. */
  readonly quiet?: boolean;
}

export interface LeaveRequest {
  readonly groupId: Uint8Array;
  readonly proposal: Uint8Array;
  /** 16 bytes, or empty to let the server pick one. */
  readonly messageId: Uint8Array;
}

export interface SendResult {
  readonly storedAt: number;
  readonly recipients: number;
}

/** A started send: `queued` once its write is queued behind every earlier one, `done` once it is durable. */
export interface PendingSend {
  readonly queued: Promise<void>;
  readonly done: Promise<SendResult>;
}

const NO_ID = new Uint8Array();

/** A request's admins, checked (1-32 valid, distinct account names) and sorted; empty when it names none. */
function adminList(admins: readonly string[] | undefined): string[] {
  if (admins === undefined || admins.length === 0) return [];
  try {
    return checkGroupAdmins(admins);
  } catch (error) {
    throw invalid(error instanceof ProtocolError ? error.message : 'admins is invalid.');
  }
}

export class DeliveryService {
  constructor(
    private readonly store: Store,
    private readonly notifier: MailNotifier,
    private readonly now: Clock,
    private readonly rates: RatePolicy,
    private readonly restrictions: Restrictions,
  ) {}

  async createGroup(sender: DeviceAddress, request: CreateGroupRequest): Promise<SendResult> {
    requireBytes(request.groupId, LIMITS.groupIdBytes, 'group_id');
    await this.restrictions.check(sender.username);
    requireEpoch(request.epoch);
    const members = this.deviceList(request.members, 'members', sender);
    // The creator is a member too.
    if (members.length + 1 > LIMITS.maxGroupMembers) throw invalid(`A group has at most ${LIMITS.maxGroupMembers} members.`);
    if (members.length > 0) requirePayload(request.welcome, 'welcome');
    else requirePayload(request.welcome, 'welcome', { optional: true });
    await this.requireDevicesExist(members);
    await this.requireConsent(sender, members);
    const now = this.now();
    const mail = await this.store.createGroup({
      groupId: request.groupId,
      epoch: request.epoch,
      creator: sender,
      members,
      admins: adminList(request.admins),
      welcome: {
        kind: DeliveryKind.MLS_WELCOME,
        sender,
        groupId: request.groupId,
        messageId: NO_ID,
        payload: request.welcome,
        epoch: request.epoch,
      },
      now,
    });
    await this.notifier.stored(mail);
    return { storedAt: mail.storedAt, recipients: mail.recipients.length };
  }

  /** Applies a commit made in `epoch`; returns the group's new epoch. Throws StaleEpochError if another commit won. */
  async commit(sender: DeviceAddress, request: CommitRequest): Promise<bigint> {
    requireBytes(request.groupId, LIMITS.groupIdBytes, 'group_id');
    requireBytes(request.messageId, LIMITS.messageIdBytes, 'message_id');
    requireEpoch(request.epoch);
    requirePayload(request.commit, 'commit');
    const added = this.deviceList(request.added, 'added', sender);
    const removed = this.deviceList(request.removed, 'removed');
    if (added.length > 0) requirePayload(request.welcome, 'welcome');
    else if (request.welcome.byteLength > 0) throw invalid('welcome must be empty when the commit adds nobody.');
    if (added.length > 0) {
      const group = await this.store.getGroup(request.groupId);
      if (!group) throw new ServerError(ErrorCode.UNKNOWN_GROUP);
      if (group.members.length - removed.length + added.length > LIMITS.maxGroupMembers) {
        throw invalid(`A group has at most ${LIMITS.maxGroupMembers} members.`);
      }
      await this.requireDevicesExist(added);
      await this.requireConsent(sender, added);
    }
    const item = {
      sender,
      groupId: request.groupId,
      messageId: request.messageId,
      epoch: request.epoch,
    };
    const result = await this.store.applyCommit({
      groupId: request.groupId,
      epoch: request.epoch,
      sender,
      added,
      removed,
      commit: { ...item, kind: DeliveryKind.MLS_COMMIT, payload: request.commit },
      ...(added.length > 0 ? { welcome: { ...item, kind: DeliveryKind.MLS_WELCOME, payload: request.welcome } } : {}),
      now: this.now(),
      admins: adminList(request.admins),
    });
    await this.notifier.stored(result);
    return result.epoch;
  }

  async send(caller: Caller, request: SendRequest): Promise<SendResult> {
    return this.startSend(caller, request).done;
  }

  /**
   * A send in two steps, so a connection can pipeline its sends: `queued` resolves once the
   * message's checks passed and its store write is queued (writes are applied in the order they
   * are queued), `done` once it is durable and the recipients were told. A connection that starts
   * its next send after `queued` keeps its messages in order without waiting for each commit.
   */
  startSend(caller: Caller, request: SendRequest): PendingSend {
    let markQueued!: () => void;
    const queued = new Promise<void>((resolve) => {
      markQueued = resolve;
    });
    const done = this.sendQueued(caller, request, markQueued);
    // A send refused before its write was queued is "queued" too: nothing of it is pending.
    void done.then(markQueued, markQueued);
    return { queued, done };
  }

  private async sendQueued(caller: Caller, request: SendRequest, markQueued: () => void): Promise<SendResult> {
    const sender = caller.device;
    requireBytes(request.groupId, LIMITS.groupIdBytes, 'group_id');
    requireBytes(request.messageId, LIMITS.messageIdBytes, 'message_id');
    requirePayload(request.payload, 'payload');
    const expiresAt = requireExpiry(request.expiresAt ?? 0n, this.now());
    await this.restrictions.check(sender.username);
    if (request.ring === true) await this.admitRing(caller, request.groupId);
    else await this.rates.take('message', rateSubject(caller));
    const kind = request.ring === true ? DeliveryKind.MLS_RING : DeliveryKind.MLS_MESSAGE;
    const item: MailItem = {
      kind,
      sender,
      groupId: request.groupId,
      messageId: request.messageId,
      payload: request.payload,
      epoch: 0n,
      ...(expiresAt > 0 ? { expiresAt } : {}),
    };
    const stored = this.store.sendToGroup(item, this.now());
    // Only a store that applies writes in call order lets the next send start before this one is durable.
    if (this.store.writesInCallOrder) markQueued();
    const mail = await stored;
    await this.notifier.stored(mail, { kind, from: sender.username, quiet: request.quiet === true, item });
    return { storedAt: mail.storedAt, recipients: mail.recipients.length };
  }

  /**
   * Calls are 1:1: a ring may only go to a conversation of two accounts, so one ring can never
   * make a crowd's devices ring. The rate limit is taken last, so a refused ring costs nothing.
   */
  private async admitRing(caller: Caller, groupId: Uint8Array): Promise<void> {
    const sender = caller.device;
    const group = await this.store.getGroup(groupId);
    if (!group) throw new ServerError(ErrorCode.UNKNOWN_GROUP);
    const accounts = new Set(group.members.map((m) => m.username));
    if (!accounts.has(sender.username)) throw new ServerError(ErrorCode.NOT_A_MEMBER);
    if (accounts.size !== 2) throw invalid('A ring goes only to a 1:1 conversation (two accounts).');
    const callee = [...accounts].find((a) => a !== sender.username) ?? '';
    await this.rates.take('ring', rateSubject(caller), callee);
  }

  /**
   * The delivery rule of disappearing messages (docs/PROTOCOL.md 7.2): from its `expiresAt` on,
   * an entry is never delivered, whoever asks and however long it waited in the mailbox.
   */
  expired(entry: MailItem): boolean {
    return mailExpired(entry, this.now());
  }

  /** Stops routing the group to `sender` and tells the others (MEMBER_LEFT carrying the self-remove proposal). */
  async leave(sender: DeviceAddress, request: LeaveRequest): Promise<void> {
    requireBytes(request.groupId, LIMITS.groupIdBytes, 'group_id');
    if (request.messageId.byteLength !== 0) requireBytes(request.messageId, LIMITS.messageIdBytes, 'message_id');
    requirePayload(request.proposal, 'proposal', { optional: true });
    const mail = await this.store.leaveGroup(
      {
        kind: DeliveryKind.MEMBER_LEFT,
        sender,
        groupId: request.groupId,
        messageId: request.messageId.byteLength > 0 ? request.messageId : new Uint8Array(randomBytes(LIMITS.messageIdBytes)),
        payload: request.proposal,
        epoch: 0n,
      },
      this.now(),
    );
    await this.notifier.stored(mail);
  }

  /** Validated, de-duplicated copies; `except` (the sender) is dropped, since it is always a member. */
  private deviceList(refs: readonly DeviceAddress[], field: string, except?: DeviceAddress): DeviceAddress[] {
    if (refs.length > LIMITS.maxGroupMembers) throw invalid(`${field} names more than ${LIMITS.maxGroupMembers} devices.`);
    const seen = new Set<string>();
    const out: DeviceAddress[] = [];
    refs.forEach((ref, i) => {
      const device = requireDeviceRef(ref, `${field}[${i}]`);
      const key = deviceKey(device);
      if (seen.has(key)) return;
      seen.add(key);
      if (except && device.username === except.username && device.deviceId === except.deviceId) return;
      out.push(device);
    });
    return out;
  }

  private async requireDevicesExist(devices: readonly DeviceAddress[]): Promise<void> {
    for (const device of devices) {
      if (!(await this.store.getDevice(device))) {
        throw new ServerError(ErrorCode.UNKNOWN_DEVICE, `${device.username} has no device ${device.deviceId}.`);
      }
    }
  }

  /** Every other account among `devices` must have accepted `sender`; the sender's own devices need no consent. */
  private async requireConsent(sender: DeviceAddress, devices: readonly DeviceAddress[]): Promise<void> {
    const accounts = new Set(devices.map((d) => d.username).filter((username) => username !== sender.username));
    for (const username of accounts) {
      const contact = await this.store.getContact(username, sender.username);
      if (contact?.state !== ContactState.ACCEPTED) {
        throw new ServerError(ErrorCode.NOT_A_CONTACT, `${username} has not accepted you as a contact.`);
      }
    }
  }
}

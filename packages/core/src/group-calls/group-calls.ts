/**
 * @module group-calls/group-calls
 * Group calls as the engine runs them for its member: join the group's call (the member's own
 * act, and the only way anything of a call reaches this device), hear and be heard through the
 * SFU with every frame sealed end to end, leave. One group call at a time per device.
 *
 * Keys: every frame is SFrame under keys from the group's MLS exporter (GroupCallKeyring), so the
 * server and the SFU forward what they cannot read. Each commit to the group (a member added or
 * removed, a key update) moves the call to the new epoch's keys at once; a device removed from the
 * group leaves the call, and knows no key of the epochs after.
 */
import { create, FrameType, GroupCallEvent, JoinGroupCallSchema, LeaveGroupCallSchema } from '@sotto/protocol';
import { fromHex } from '../bytes.js';
import { fetchRelayPolicy } from '../calls/relay-policy.js';
import type { EngineContext } from '../context.js';
import { ClientError } from '../errors.js';
import { Emitter, subscribeSides, type SubscribeSides } from '../events.js';
import { epochOf, membersOf } from '../mls/group.js';
import { SerialQueue } from '../serial-queue.js';
import type { SFrameErrorReason } from '../sframe/sframe-error.js';
import { GROUP_CALL_CONTEXT_BITS, GroupCallKeyring, memberKey, type GroupCallEpoch, type GroupCallMember } from './group-call-keyring.js';
import type { GroupCallMediaFactory, GroupCallMediaSession } from './group-call-media.js';
import { GROUP_CALL_NOTICE_WINDOW, participantsFrom } from './group-call-notices.js';

export interface GroupCallsConfig {
  /** The media stack toward the SFU; without one, group calls cannot be joined (NO_MEDIA). */
  readonly media?: GroupCallMediaFactory;
  /** Also gather loopback candidates: only for tests with the SFU on the same machine. */
  readonly allowLoopback?: boolean;
}

export interface JoinGroupCallOptions {
  /** Media only through the TURN relay (lockdown mode always asks for it). */
  readonly relayOnly?: boolean;
}

/** Why this device is not in a group call any more. */
export type GroupCallEndReason = 'left' | 'removed' | 'failed';

export type GroupCallState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'joining'; readonly groupId: string }
  | {
    readonly kind: 'joined';
    readonly groupId: string;
    readonly connected: boolean;
    /** Who this device hears now (their frames opened), in the order first heard. */
    readonly heard: readonly GroupCallMember[];
    /** The group's MLS epoch whose keys this device sends under. */
    readonly epoch: bigint;
    /** Who is speaking now, where the media stack can tell (the web app). */
    readonly speaking: readonly GroupCallMember[];
  }
  | { readonly kind: 'ended'; readonly groupId: string; readonly reason: GroupCallEndReason; readonly message?: string };

/** The least time between two new-keys commits of one device for one call. */
const REKEY_INTERVAL_MS = 10_000;

/** Frames dropped so far in this call, by reason (never their content). */
export type RefusedFrameCounts = Partial<Record<SFrameErrorReason, number>>;

/** What a group call asks of the group's conversation. */
export interface GroupCallGroupActions {
  /** Commits new keys to the group (an update path, no member changed). */
  rekey(groupId: string): Promise<void>;
  /** Sends the group a GroupCallNotice, kept as a line in the chat on every device. */
  announce(groupId: string, event: GroupCallEvent): Promise<void>;
}

export class GroupCallEvents {
  readonly didChangeGroupCall = new Emitter<GroupCallState>();
  /** Candidates this device announced to the SFU: their types only, never addresses. */
  readonly didSendCandidates = new Emitter<{ readonly types: readonly string[] }>();
  /** The first frame refused for a reason in this call (later ones are only counted). */
  readonly didRefuseFrame = new Emitter<{ readonly reason: SFrameErrorReason; readonly message: string }>();
}

const REFUSAL_MESSAGES: Record<SFrameErrorReason, string> = {
  BAD_HEADER: 'A media frame with a malformed SFrame header was dropped.',
  TRUNCATED: 'A truncated media frame was dropped.',
  UNKNOWN_KID: 'A media frame under a key this device does not hold (not a member now, or a stale epoch) was dropped.',
  AUTH_FAILED: 'A media frame that did not authenticate (altered, or the wrong key) was dropped.',
  REPLAY: 'A replayed media frame was dropped.',
  COUNTER_EXHAUSTED: 'A media frame was dropped: a sender used up its key.',
  BAD_INPUT: 'A media frame was dropped.',
};

interface ActiveCall {
  readonly groupId: string;
  readonly keyring: GroupCallKeyring;
  session: GroupCallMediaSession | undefined;
  connected: boolean;
  readonly heard: Map<string, GroupCallMember>;
  readonly refused: RefusedFrameCounts;
  /** The group was told this device joined (so it is told when it leaves). */
  announced: boolean;
  speaking: GroupCallMember[];
  /** When this device last committed new keys for the call, and whether one is waiting. */
  lastRekeyAt: number;
  rekeyPending: boolean;
}

export class GroupCalls {
  private readonly emitters = new GroupCallEvents();
  readonly events: SubscribeSides<GroupCallEvents> = subscribeSides(this.emitters);
  private state: GroupCallState = { kind: 'idle' };
  private active: ActiveCall | undefined;
  /** The call before, for its counts once it ended. */
  private last: ActiveCall | undefined;
  /** Joins, leaves and epoch changes, one at a time and in order. */
  private readonly queue = new SerialQueue();

  constructor(
    private readonly ctx: EngineContext,
    private readonly group: GroupCallGroupActions,
    private readonly config: GroupCallsConfig = {},
  ) {
    ctx.events.didChangeMembers.event(({ groupId }) => {
      if (this.active?.groupId !== groupId) return;
      this.queue.run(() => this.onMembersChanged(groupId)).catch((error: unknown) => {
        this.ctx.logger.warn({ error: error instanceof Error ? error.name : 'unknown' }, 'group call: rekeying failed');
      });
    });
  }

  get current(): GroupCallState {
    return this.state;
  }

  /** Who is in the group's call now, as its chat's notices say (this device included, if it is). */
  async inProgress(groupId: string): Promise<GroupCallMember[]> {
    return participantsFrom(await this.ctx.store.listMessages(groupId, GROUP_CALL_NOTICE_WINDOW), this.ctx.clock.now());
  }

  /** Frames dropped in the current (or last) call, by reason. */
  get refusedFrames(): RefusedFrameCounts {
    return { ...((this.active ?? this.last)?.refused ?? {}) };
  }

  /**
   * Joins the group's call, starting it if nobody is in it: the server admits this device to the
   * group's room at the SFU, and the media stack publishes this device's audio and hears the others'.
   */
  join(groupId: string, options: JoinGroupCallOptions = {}): Promise<void> {
    return this.queue.run(() => this.doJoin(groupId, options));
  }

  /** Leaves the call: the server withdraws this device's admission, and the media stops. */
  leave(): Promise<void> {
    return this.queue.run(() => this.end('left'));
  }

  /** Ends whatever call is on (the client is closing). */
  async shutdown(): Promise<void> {
    await this.leave().catch(() => undefined);
  }

  private async doJoin(groupId: string, options: JoinGroupCallOptions): Promise<void> {
    const media = this.config.media;
    if (!media) throw new ClientError('NO_MEDIA', 'This client cannot carry calls (no media stack).');
    if (this.active) throw new ClientError('CALL_IN_PROGRESS', 'This device is in a group call already: leave it first.');
    const conversation = await this.ctx.store.getConversation(groupId);
    if (conversation?.kind !== 'group') throw new ClientError('UNKNOWN_GROUP', 'Group calls are for groups: call a contact with a 1:1 call.');
    const epoch = await this.epochOf(groupId);
    if (!epoch) throw new ClientError('UNKNOWN_GROUP', 'There is no such group on this device, or this device is no longer in it.');
    const policy = await fetchRelayPolicy(this.ctx, options.relayOnly);
    const context = randomContext(this.ctx.random.bytes(4));
    const keyring = new GroupCallKeyring(context, () => this.ctx.clock.now());
    await keyring.enterEpoch(epoch);
    const call: ActiveCall = { groupId, keyring, session: undefined, connected: false, heard: new Map(), refused: {}, announced: false, speaking: [], lastRekeyAt: Number.NEGATIVE_INFINITY, rekeyPending: false };
    this.active = call;
    this.setState({ kind: 'joining', groupId });
    try {
      const result = await this.ctx.session.request(FrameType.JOIN_GROUP_CALL, create(JoinGroupCallSchema, { groupId: fromHex(groupId) }));
      if (result.case !== 'groupCall') throw new ClientError('REMOTE', 'Unexpected answer to a group call join.');
      const ticket = result.value;
      call.session = await media.join(
        {
          admission: { sfuUrl: ticket.sfuUrl, roomId: ticket.roomId, token: ticket.token, joinToken: ticket.joinToken, feedId: ticket.feedId },
          iceServers: policy.iceServers,
          relayOnly: policy.relayOnly,
          allowLoopback: this.config.allowLoopback === true,
        },
        keyring,
        {
          onConnected: () => this.onMedia(call, () => (call.connected = true)),
          onFailed: (reason) => {
            if (this.active !== call) return;
            this.queue.run(() => this.end('failed', `The group call's media failed: ${reason}.`)).catch(() => undefined);
          },
          onHeard: (from) => this.onMedia(call, () => call.heard.set(memberKey(from), from)),
          onLeft: (from) => this.onLeft(call, from),
          onSentCandidates: (types) => {
            if (this.active === call) this.emitters.didSendCandidates.fire({ types: [...types] });
          },
          onSpeaking: (speaking) => this.onMedia(call, () => (call.speaking = [...speaking])),
          onFrameRefused: (reason) => this.onFrameRefused(call, reason),
        },
      );
      // A commit processed while joining was not this call's yet: catch up with the group now.
      const latest = await this.epochOf(groupId);
      if (latest) await keyring.enterEpoch(latest);
      this.publish(call);
    } catch (error) {
      await this.end('failed', error instanceof Error ? error.message : 'The group call could not be joined.');
      throw error;
    }
    // The others' chats say so, and count this device in the call.
    call.announced = true;
    await this.group.announce(groupId, GroupCallEvent.JOINED).catch((error: unknown) => {
      this.ctx.logger.warn({ error: error instanceof Error ? error.name : 'unknown' }, 'group call: announcing the join failed');
    });
  }

  private onMedia(call: ActiveCall, change: () => void): void {
    if (this.active !== call) return;
    change();
    this.publish(call);
  }

  /**
   * Someone left the call: the group moves to new keys, so what is said from now on is sealed
   * under an epoch whose secret they learn only while still a member of the group (a removed
   * member never does). One participant commits, the first of those still heard by account and
   * device, so the others do not race it; a second commit from a different view costs an epoch.
   */
  private onLeft(call: ActiveCall, from: GroupCallMember): void {
    if (this.active !== call) return;
    call.heard.delete(memberKey(from));
    this.publish(call);
    const self = { user: this.ctx.identity.username, device: this.ctx.identity.deviceId };
    const first = [self, ...call.heard.values()].map(memberKey).sort()[0];
    if (first !== memberKey(self)) return;
    this.scheduleRekey(call);
  }

  /**
   * At most one new-keys commit per REKEY_INTERVAL_MS per call: departures close together (or an
   * SFU that reports feeds leaving and coming back) share one commit at the end of the interval
   * instead of a commit each to every device of the group.
   */
  private scheduleRekey(call: ActiveCall): void {
    if (call.rekeyPending) return;
    const wait = Math.max(0, call.lastRekeyAt + REKEY_INTERVAL_MS - this.ctx.clock.now());
    call.rekeyPending = true;
    this.ctx.clock.setTimeout(() => {
      call.rekeyPending = false;
      if (this.active !== call) return;
      call.lastRekeyAt = this.ctx.clock.now();
      this.group.rekey(call.groupId).catch((error: unknown) => {
        this.ctx.logger.warn({ error: error instanceof Error ? error.name : 'unknown' }, 'group call: new keys after a departure failed');
      });
    }, wait);
  }

  private onFrameRefused(call: ActiveCall, reason: SFrameErrorReason): void {
    if (this.active !== call) return;
    const seen = call.refused[reason] ?? 0;
    call.refused[reason] = seen + 1;
    if (seen === 0) this.emitters.didRefuseFrame.fire({ reason, message: REFUSAL_MESSAGES[reason] });
  }

  private publish(call: ActiveCall): void {
    if (!call.session) return;
    this.setState({ kind: 'joined', groupId: call.groupId, connected: call.connected, heard: [...call.heard.values()], epoch: call.keyring.epoch ?? 0n, speaking: call.speaking });
  }

  private async onMembersChanged(groupId: string): Promise<void> {
    const call = this.active;
    if (!call || call.groupId !== groupId) return;
    const epoch = await this.epochOf(groupId);
    // This device left the group, or was removed: it leaves the call too.
    if (!epoch) return this.end('removed', 'This device is no longer in the group.');
    await call.keyring.enterEpoch(epoch);
    if (this.active === call) this.publish(call);
  }

  private async end(reason: GroupCallEndReason, message?: string): Promise<void> {
    const call = this.active;
    if (!call) return;
    this.active = undefined;
    this.last = call;
    call.keyring.close();
    await call.session?.close().catch(() => undefined);
    if (call.announced && reason !== 'removed') {
      await this.group.announce(call.groupId, GroupCallEvent.LEFT).catch(() => undefined);
    }
    if (reason !== 'removed') {
      // Withdraws the admission; the last one out ends the room. Best effort: it expires anyway.
      await this.ctx.session.request(FrameType.LEAVE_GROUP_CALL, create(LeaveGroupCallSchema, { groupId: fromHex(call.groupId) })).catch(() => undefined);
    }
    this.setState({ kind: 'ended', groupId: call.groupId, reason, ...(message ? { message } : {}) });
  }

  /** The group's current epoch as the keyring needs it, or undefined if this device is not in it. */
  private async epochOf(groupId: string): Promise<GroupCallEpoch | undefined> {
    const conversation = await this.ctx.store.getConversation(groupId);
    if (!conversation?.active) return undefined;
    const state = this.ctx.mls.decodeState(conversation.state);
    const members = new Map(membersOf(state).map((m) => [m.leafIndex, { user: m.username, device: m.deviceId }] as const));
    return { epoch: epochOf(state), ownLeaf: state.privatePath.leafIndex, members, exporter: this.ctx.mls.exporterOf(state) };
  }

  private setState(next: GroupCallState): void {
    this.state = next;
    this.emitters.didChangeGroupCall.fire(next);
  }
}

/** A join's KID context: GROUP_CALL_CONTEXT_BITS random bits. */
function randomContext(bytes: Uint8Array): bigint {
  const value = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  return BigInt(value) & ((1n << BigInt(GROUP_CALL_CONTEXT_BITS)) - 1n);
}

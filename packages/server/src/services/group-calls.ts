/**
 * @module services/group-calls
 * Group calls at the SFU, as the server arranges them: one room per group, made at the first
 * join and ended when the last device leaves; an admission for each device that joins, valid for
 * that room alone and for minutes. Only a device the group routes to may join, and only by its
 * own request (joining is its member's consent: nothing of a call reaches a device before). The
 * SFU sees the room and opaque participant references, never a member's name; what it forwards
 * is encrypted end to end (SFrame) by the devices. Without an SFU, joining is refused with NO_SFU
 * and 1:1 calls go on as before.
 *
 * A device that goes away without leaving (it crashed, or lost its network) is taken out once its
 * admission expired and the SFU no longer lists it (`sweep`, every 30 s), so a room ends with its
 * call. A revocation or a room's end that the SFU did not take is retried by the sweep; a room on
 * an SFU that stopped answering is given up, and destroyed once it answers again.
 *
 * Several SFUs: each group's room is placed on one of them, the one with the fewest devices in
 * this node's calls that answers.
 *
 * Rooms are kept by this node: a deployment of several nodes runs group calls through one node's
 * SFU today (docs/OPERATIONS.md).
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode, LIMITS } from '@sotto/protocol';
import { ServerError } from '../errors.js';
import type { Logger } from '../logger.js';
import { MAX_SFU_PARTICIPANTS, SfuError, type SfuAdmission, type SfuControl, type SfuRoomId } from '../sfu/sfu-control.js';
import type { Store } from '../storage/store.js';
import type { DeviceAddress } from '../storage/types.js';
import { requireBytes } from './validate.js';

export interface GroupCallTicket {
  readonly sfuUrl: string;
  readonly roomId: bigint;
  readonly token: string;
  readonly joinToken: string;
  readonly feedId: bigint;
  readonly expiresAt: bigint;
}

/** One SFU and the URL members reach it at. */
export interface SfuEndpointControl {
  readonly control: SfuControl;
  readonly memberUrl: string;
}

export interface GroupCallsOptions {
  readonly store: Store;
  readonly log: Logger;
  /** The SFUs rooms are placed on, each group's room on one of them; none: no group calls on this server. */
  readonly sfus: readonly SfuEndpointControl[];
}

interface Participant {
  /** Its opaque reference at the SFU (the same for the device while it is in the call). */
  readonly reference: string;
  /** The feed ids its admissions gave (a device that joined again may still publish on an earlier one), newest last. */
  readonly feedIds: number[];
  /** When its newest admission expired: after that (and a grace), it is in the room only if the SFU lists one of its feeds. */
  expiresAt: number;
}

interface Room {
  /** The SFU the room is on. */
  readonly sfu: SfuEndpointControl;
  readonly roomId: SfuRoomId;
  /** Each device in the call, by device key. */
  readonly participants: Map<string, Participant>;
  /** References taken out whose revocation the SFU did not take: retried by the sweep until it does. */
  readonly unrevoked: Set<string>;
}

/** How often rooms are checked for devices that went away without leaving (crashed, lost their network). */
export const GROUP_CALL_SWEEP_MS = 30_000;
/** After an admission expired, this long for a join in flight to show at the SFU before the device counts as gone. */
const JOIN_GRACE_MS = 30_000;
/**
 * A room whose SFU does not answer is given up once every admission to it expired this long ago:
 * the group's next join opens a room on an SFU that answers, and the old room is destroyed once
 * its SFU answers again (so nobody stays in it).
 */
const ORPHAN_AFTER_MS = 60_000;
const MAX_FEEDS_KEPT = 8;

const NO_SFU_CONFIGURED = 'Group calls need a media server (SFU), and this server has none. 1:1 calls still work.';
const SFU_NOT_ANSWERING = 'The server\'s media server (SFU) is not answering. Try the call again in a moment; 1:1 calls still work.';

export class GroupCallsService {
  private readonly rooms = new Map<string, Room>();
  /** Rooms given up on an SFU that did not answer, or could not be destroyed: destroyed once it answers. */
  private readonly orphans = new Set<Room>();
  /** One change at a time per group: two first joins make one room, not two. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private sweeping: Promise<number> | undefined;

  constructor(private readonly options: GroupCallsOptions) {}

  async join(device: DeviceAddress, request: { readonly groupId: Uint8Array }): Promise<GroupCallTicket> {
    requireBytes(request.groupId, LIMITS.groupIdBytes, 'group_id');
    if (this.options.sfus.length === 0) throw new ServerError(ErrorCode.NO_SFU, NO_SFU_CONFIGURED);
    await this.requireMember(device, request.groupId);
    const key = Buffer.from(request.groupId).toString('hex');
    return this.serially(key, async () => {
      // Again in turn: a commit that removed the device while this join waited is withdrawn in
      // this same queue, before or after, never between the check and the admission.
      await this.requireMember(device, request.groupId);
      const room = this.rooms.get(key) ?? (await this.openRoom(key));
      const sfu = room.sfu;
      const deviceKey = `${device.username}\n${device.deviceId}`;
      // A reference that names nobody: the SFU must not learn who is in the call.
      const known = room.participants.get(deviceKey);
      const participant = known?.reference ?? randomBytes(12).toString('hex');
      let admission: SfuAdmission;
      try {
        admission = await sfu.control.admit(room.roomId, participant);
      } catch (error) {
        // A room nobody got into is not kept: the next join makes a fresh one.
        if (room.participants.size === 0) await this.endRoom(key, room);
        throw this.sfuRefusal(error);
      }
      if (known) {
        known.feedIds.push(admission.feedId);
        if (known.feedIds.length > MAX_FEEDS_KEPT) known.feedIds.shift();
        known.expiresAt = admission.expiresAt;
      } else {
        room.participants.set(deviceKey, { reference: participant, feedIds: [admission.feedId], expiresAt: admission.expiresAt });
      }
      return {
        sfuUrl: sfu.memberUrl,
        roomId: BigInt(room.roomId),
        token: admission.token,
        joinToken: admission.joinToken,
        feedId: BigInt(admission.feedId),
        expiresAt: BigInt(admission.expiresAt),
      };
    });
  }

  /** Withdraws the device's admission and takes it out of the room; the last one out ends the room. */
  async leave(device: DeviceAddress, request: { readonly groupId: Uint8Array }): Promise<void> {
    requireBytes(request.groupId, LIMITS.groupIdBytes, 'group_id');
    if (this.options.sfus.length === 0) throw new ServerError(ErrorCode.NO_SFU, NO_SFU_CONFIGURED);
    await this.withdraw(request.groupId, [device]);
  }

  /**
   * The group no longer routes to these devices (removed by a commit, or they left the group):
   * whatever admission they hold to its room is withdrawn now, not when it expires. Never throws.
   */
  async withdraw(groupId: Uint8Array, devices: readonly DeviceAddress[]): Promise<void> {
    if (this.options.sfus.length === 0 || devices.length === 0) return;
    const key = Buffer.from(groupId).toString('hex');
    // Queued even when there is no room yet: a first join may be making it right now.
    for (const device of devices) await this.withdrawOne(key, device);
  }

  private async withdrawOne(key: string, device: DeviceAddress): Promise<void> {
    await this.serially(key, async () => {
      const room = this.rooms.get(key);
      const deviceKey = `${device.username}\n${device.deviceId}`;
      const participant = room?.participants.get(deviceKey);
      if (!room || participant === undefined) return; // not in the call: leaving again is harmless
      await this.takeOut(key, room, deviceKey);
    });
  }

  /**
   * Takes a device out of its room at the SFU; the last one out ends the room. A revocation the
   * SFU does not take is kept and retried by the sweep: a removed member must not stay in. Within
   * the group's queue.
   */
  private async takeOut(key: string, room: Room, deviceKey: string): Promise<void> {
    const participant = room.participants.get(deviceKey);
    if (!participant) return;
    room.participants.delete(deviceKey);
    try {
      await room.sfu.control.revoke(room.roomId, participant.reference);
    } catch (error) {
      if (!(error instanceof SfuError && error.problem === 'unknown-room')) room.unrevoked.add(participant.reference);
      this.logLost(error, 'revoke');
    }
    if (room.participants.size === 0) await this.endRoom(key, room);
  }

  /** Ends a room at its SFU (everyone in it goes); one the SFU cannot end now is ended by a later sweep. */
  private async endRoom(key: string, room: Room): Promise<void> {
    if (this.rooms.get(key) === room) this.rooms.delete(key);
    try {
      await room.sfu.control.destroyRoom(room.roomId);
      this.orphans.delete(room);
    } catch (error) {
      if (error instanceof SfuError && error.problem === 'unknown-room') this.orphans.delete(room);
      else this.orphans.add(room);
      this.logLost(error, 'destroy');
    }
  }

  /**
   * Devices that went away without leaving (a crash, a lost network): each whose admission
   * expired and whose feed the SFU no longer lists is taken out, and a room left empty ends, so
   * rooms do not outlive their calls. A room the SFU lost is forgotten. Returns how many devices
   * went. Never throws: an SFU that does not answer is asked again next time.
   */
  async sweep(now = Date.now()): Promise<number> {
    let gone = 0;
    for (const key of [...this.rooms.keys()]) {
      gone += await this.serially(key, async () => {
        const room = this.rooms.get(key);
        if (!room) return 0;
        const control = room.sfu.control;
        for (const reference of [...room.unrevoked]) {
          await control.revoke(room.roomId, reference).then(() => room.unrevoked.delete(reference), (error: unknown) => this.logLost(error, 'revoke again'));
        }
        let present: ReadonlySet<number>;
        try {
          present = await control.present(room.roomId);
        } catch (error) {
          if (error instanceof SfuError && error.problem === 'unknown-room') {
            // Lost at the SFU (it restarted and could not make it again): forgotten here, and by the controller.
            this.rooms.delete(key);
            await control.destroyRoom(room.roomId).catch(() => undefined);
          } else if ([...room.participants.values()].every((p) => p.expiresAt + ORPHAN_AFTER_MS <= now)) {
            // Its SFU does not answer: the group's next join opens a room on one that does.
            this.rooms.delete(key);
            this.orphans.add(room);
            this.options.log.warn({ problem: error instanceof SfuError ? error.problem : 'unknown' }, 'gave up a group call room on an SFU that does not answer');
          } else {
            this.logLost(error, 'sweep');
          }
          return 0;
        }
        const away = [...room.participants]
          .filter(([, p]) => p.expiresAt + JOIN_GRACE_MS <= now && !p.feedIds.some((feed) => present.has(feed)))
          .map(([deviceKey]) => deviceKey);
        for (const deviceKey of away) await this.takeOut(key, room, deviceKey);
        return away.length;
      }).catch(() => 0);
    }
    // Rooms given up, or not destroyed when they should have been: destroyed once their SFU answers.
    for (const room of [...this.orphans]) {
      await room.sfu.control.destroyRoom(room.roomId).then(
        () => this.orphans.delete(room),
        (error: unknown) => {
          if (error instanceof SfuError && error.problem === 'unknown-room') this.orphans.delete(room);
        },
      );
    }
    if (gone > 0) this.options.log.info({ devices: gone }, 'took devices that went away without leaving out of group calls');
    return gone;
  }

  /** Sweeps every GROUP_CALL_SWEEP_MS until `stop`; the timer never keeps the process alive. */
  start(intervalMs = GROUP_CALL_SWEEP_MS): void {
    if (this.timer || this.options.sfus.length === 0) return;
    this.timer = setInterval(() => {
      if (this.sweeping) return;
      this.sweeping = this.sweep().finally(() => {
        this.sweeping = undefined;
      });
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the sweeps and waits for one in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping;
  }

  private async requireMember(device: DeviceAddress, groupId: Uint8Array): Promise<void> {
    const group = await this.options.store.getGroup(groupId);
    if (!group) throw new ServerError(ErrorCode.UNKNOWN_GROUP);
    if (!group.members.some((m) => m.username === device.username && m.deviceId === device.deviceId)) throw new ServerError(ErrorCode.NOT_A_MEMBER);
  }

  /**
   * A new room for the group, on the SFU with the fewest devices in this node's calls (the first
   * given, on a tie); one that does not answer is passed over for the next, so a call still
   * starts while any SFU is up.
   */
  private async openRoom(key: string): Promise<Room> {
    // A room counts one more than its devices: rooms still being joined weigh too.
    const load = new Map<SfuEndpointControl, number>(this.options.sfus.map((sfu) => [sfu, 0]));
    for (const room of this.rooms.values()) load.set(room.sfu, (load.get(room.sfu) ?? 0) + room.participants.size + 1);
    const order = [...this.options.sfus].sort((a, b) => load.get(a)! - load.get(b)!);
    let failure: unknown;
    for (const sfu of order) {
      try {
        const { roomId } = await sfu.control.createRoom({ maxParticipants: MAX_SFU_PARTICIPANTS });
        const room: Room = { sfu, roomId, participants: new Map(), unrevoked: new Set() };
        this.rooms.set(key, room);
        return room;
      } catch (error) {
        failure = error;
        this.options.log.warn({ sfu: this.options.sfus.indexOf(sfu), problem: error instanceof SfuError ? error.problem : 'unknown' }, 'an SFU could not make a room; trying the next');
      }
    }
    throw this.sfuRefusal(failure);
  }

  private sfuRefusal(error: unknown): ServerError {
    if (error instanceof SfuError) {
      if (error.problem === 'room-full') return new ServerError(ErrorCode.INVALID_ARGUMENT, `This group call is full: at most ${MAX_SFU_PARTICIPANTS} people.`);
      this.options.log.warn({ problem: error.problem }, 'the SFU refused a group call');
      return new ServerError(ErrorCode.NO_SFU, SFU_NOT_ANSWERING);
    }
    return error instanceof ServerError ? error : new ServerError(ErrorCode.INTERNAL, 'The group call could not be arranged.', { cause: error });
  }

  private logLost(error: unknown, what: string): void {
    // The room or admission is gone at the SFU already (restarted, timed out): nothing left to undo.
    this.options.log.warn({ problem: error instanceof SfuError ? error.problem : 'unknown', what }, 'SFU clean-up failed');
  }

  private serially<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.queues.get(key) ?? Promise.resolve();
    const run = before.then(work, work);
    const settled = run.catch(() => undefined);
    this.queues.set(key, settled);
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return run;
  }
}

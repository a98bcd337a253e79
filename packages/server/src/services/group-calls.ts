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

export interface GroupCallsOptions {
  readonly store: Store;
  readonly log: Logger;
  /** The SFU and the URL members reach it at; absent: no group calls on this server. */
  readonly sfu?: { readonly control: SfuControl; readonly memberUrl: string };
}

interface Room {
  readonly roomId: SfuRoomId;
  /** Each device in the call, by device key, with its opaque reference at the SFU. */
  readonly participants: Map<string, string>;
}

const NO_SFU_CONFIGURED = 'Group calls need a media server (SFU), and this server has none. 1:1 calls still work.';
const SFU_NOT_ANSWERING = 'The server\'s media server (SFU) is not answering. Try the call again in a moment; 1:1 calls still work.';

export class GroupCallsService {
  private readonly rooms = new Map<string, Room>();
  /** One change at a time per group: two first joins make one room, not two. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly options: GroupCallsOptions) {}

  async join(device: DeviceAddress, request: { readonly groupId: Uint8Array }): Promise<GroupCallTicket> {
    requireBytes(request.groupId, LIMITS.groupIdBytes, 'group_id');
    const sfu = this.options.sfu;
    if (!sfu) throw new ServerError(ErrorCode.NO_SFU, NO_SFU_CONFIGURED);
    await this.requireMember(device, request.groupId);
    const key = Buffer.from(request.groupId).toString('hex');
    return this.serially(key, async () => {
      // Again in turn: a commit that removed the device while this join waited is withdrawn in
      // this same queue, before or after, never between the check and the admission.
      await this.requireMember(device, request.groupId);
      const room = this.rooms.get(key) ?? (await this.openRoom(key, sfu.control));
      const deviceKey = `${device.username}\n${device.deviceId}`;
      // A reference that names nobody: the SFU must not learn who is in the call.
      const participant = room.participants.get(deviceKey) ?? randomBytes(12).toString('hex');
      let admission: SfuAdmission;
      try {
        admission = await sfu.control.admit(room.roomId, participant);
      } catch (error) {
        // A room nobody got into is not kept: the next join makes a fresh one.
        if (room.participants.size === 0) {
          this.rooms.delete(key);
          await sfu.control.destroyRoom(room.roomId).catch(() => undefined);
        }
        throw this.sfuRefusal(error);
      }
      room.participants.set(deviceKey, participant);
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
    if (!this.options.sfu) throw new ServerError(ErrorCode.NO_SFU, NO_SFU_CONFIGURED);
    await this.withdraw(request.groupId, [device]);
  }

  /**
   * The group no longer routes to these devices (removed by a commit, or they left the group):
   * whatever admission they hold to its room is withdrawn now, not when it expires. Never throws.
   */
  async withdraw(groupId: Uint8Array, devices: readonly DeviceAddress[]): Promise<void> {
    const sfu = this.options.sfu;
    if (!sfu || devices.length === 0) return;
    const key = Buffer.from(groupId).toString('hex');
    // Queued even when there is no room yet: a first join may be making it right now.
    for (const device of devices) await this.withdrawOne(key, device, sfu.control);
  }

  private async withdrawOne(key: string, device: DeviceAddress, control: SfuControl): Promise<void> {
    await this.serially(key, async () => {
      const room = this.rooms.get(key);
      const deviceKey = `${device.username}\n${device.deviceId}`;
      const participant = room?.participants.get(deviceKey);
      if (!room || participant === undefined) return; // not in the call: leaving again is harmless
      room.participants.delete(deviceKey);
      await control.revoke(room.roomId, participant).catch((error: unknown) => this.logLost(error, 'revoke'));
      if (room.participants.size > 0) return;
      this.rooms.delete(key);
      await control.destroyRoom(room.roomId).catch((error: unknown) => this.logLost(error, 'destroy'));
    });
  }

  private async requireMember(device: DeviceAddress, groupId: Uint8Array): Promise<void> {
    const group = await this.options.store.getGroup(groupId);
    if (!group) throw new ServerError(ErrorCode.UNKNOWN_GROUP);
    if (!group.members.some((m) => m.username === device.username && m.deviceId === device.deviceId)) throw new ServerError(ErrorCode.NOT_A_MEMBER);
  }

  private async openRoom(key: string, control: SfuControl): Promise<Room> {
    try {
      const { roomId } = await control.createRoom({ maxParticipants: MAX_SFU_PARTICIPANTS });
      const room: Room = { roomId, participants: new Map() };
      this.rooms.set(key, room);
      return room;
    } catch (error) {
      throw this.sfuRefusal(error);
    }
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

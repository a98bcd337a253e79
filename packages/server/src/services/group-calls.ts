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
 * calls that answers.
 *
 * Several nodes: each group's call is a record in the shared store (services/group-call-record.ts),
 * changed by one node at a time (the store's lock), so every node hands out tickets to the same
 * room, and any node withdraws any admission (the record holds its join tokens and feed ids).
 * Every node sweeps every call; the sweeps take turns like any change.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode, LIMITS } from '@sotto/protocol';
import { ServerError } from '../errors.js';
import type { Logger } from '../logger.js';
import { MAX_SFU_PARTICIPANTS, SfuError, type SfuAdmission, type SfuControl } from '../sfu/sfu-control.js';
import type { Store } from '../storage/store.js';
import { deviceKey, type DeviceAddress } from '../storage/types.js';
import {
  decodeGroupCallRecord,
  emptyRecord,
  encodeGroupCallRecord,
  expiryOf,
  feedsOf,
  MAX_ADMISSIONS_KEPT,
  NewerRecordError,
  salvageRoom,
  type AdmissionEntry,
  type CleanupEntry,
  type GroupCallRecord,
  type ParticipantEntry,
  type RoomEntry,
} from './group-call-record.js';
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
  /**
   * The SFUs rooms are placed on, each group's room on one of them; none: no group calls on this
   * server. Every node of a cluster lists the same SFUs under the same member URLs.
   */
  readonly sfus: readonly SfuEndpointControl[];
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
/** Clean-ups retried per group and sweep. */
const CLEANUPS_PER_SWEEP = 4;
/** How long a withdrawal after a commit holds up the commit's answer; it goes on behind after that. */
const WITHDRAW_WAIT_MS = 5_000;

const NO_SFU_CONFIGURED = 'Group calls need a media server (SFU), and this server has none. 1:1 calls still work.';
const SFU_NOT_LISTED = 'This group\'s call is on a media server (SFU) this server does not know: every node must list the same SFUs.';
const SFU_NOT_ANSWERING = 'The server\'s media server (SFU) is not answering. Try the call again in a moment; 1:1 calls still work.';

/** What a join did at the SFU, so that it can be undone if the store does not keep it. */
interface JoinEffects {
  room?: { readonly sfu: SfuEndpointControl; readonly roomId: number };
  admitted?: { readonly sfu: SfuEndpointControl; readonly roomId: number; readonly reference: string; readonly entry: AdmissionEntry };
  /** The change ran to its end: a failure after it is the store's. */
  decided?: boolean;
}

/** What a change hands back: a ticket, or the refusal to throw once the record is stored. */
type Outcome<T> = { readonly ok: T } | { readonly refused: unknown };

export class GroupCallsService {
  private timer: ReturnType<typeof setInterval> | undefined;
  private sweeping: Promise<number> | undefined;

  constructor(private readonly options: GroupCallsOptions) {}

  async join(device: DeviceAddress, request: { readonly groupId: Uint8Array }): Promise<GroupCallTicket> {
    requireBytes(request.groupId, LIMITS.groupIdBytes, 'group_id');
    if (this.options.sfus.length === 0) throw new ServerError(ErrorCode.NO_SFU, NO_SFU_CONFIGURED);
    await this.requireMember(device, request.groupId);
    // What this change did at the SFU, undone if the store then fails to keep it (else a room or
    // an admission would be live with no record of it).
    const done: JoinEffects = {};
    try {
      return await this.change<GroupCallTicket>(request.groupId, async (record) => {
        // Again in turn: a commit that removed the device while this join waited is withdrawn in
        // a change of this same record, before or after, never between the check and the admission.
        await this.requireMember(device, request.groupId);
        const outcome = await this.admitInto(record, deviceKey(device), done, Date.now());
        done.decided = true;
        return outcome;
      });
    } catch (error) {
      if (done.decided) await this.undo(done);
      throw error;
    }
  }

  /**
   * Admits the device to the group's room, opening one if there is none, or if the one recorded
   * is gone at its SFU (Janus restarted) or given up (its SFU is not listed or does not answer,
   * and every admission to it expired a minute ago).
   */
  private async admitInto(
    record: GroupCallRecord,
    deviceKey: string,
    done: JoinEffects,
    now: number,
  ): Promise<Outcome<GroupCallTicket>> {
    if (record.room && !this.sfuAt(record.room.sfu)) {
      if (!this.giveUpUnlisted(record, now)) return { refused: new ServerError(ErrorCode.NO_SFU, SFU_NOT_LISTED) };
    }
    for (let attempt = 1; ; attempt++) {
      let room = record.room;
      if (!room) {
        room = await this.openRoom(record);
        done.room = { sfu: this.sfuAt(room.sfu)!, roomId: room.roomId };
      }
      const sfu = this.sfuAt(room.sfu)!;
      // A reference that names nobody: the SFU must not learn who is in the call.
      const known = room.participants.find((p) => p.device === deviceKey);
      if (!known && room.participants.length >= MAX_SFU_PARTICIPANTS) return { refused: roomFull() };
      const reference = known?.reference ?? randomBytes(12).toString('hex');
      let admission: SfuAdmission;
      try {
        admission = await sfu.control.admit(room.roomId, reference);
      } catch (error) {
        if (error instanceof SfuError && error.problem === 'unknown-room' && attempt === 1) {
          // The SFU forgot the room (it restarted): nobody can be in it any more; a fresh one.
          this.options.log.warn({ problem: error.problem }, 'a group call room was gone at its SFU; opening a new one');
          record.room = undefined;
          continue;
        }
        // A room nobody got into is not kept: the next join makes a fresh one.
        if (room.participants.length === 0) await this.endRoom(record);
        return { refused: this.sfuRefusal(error) };
      }
      const entry: AdmissionEntry = { feedId: admission.feedId, joinToken: admission.joinToken, expiresAt: admission.expiresAt };
      done.admitted = { sfu, roomId: room.roomId, reference, entry };
      if (known) known.admissions = [...known.admissions, entry].slice(-MAX_ADMISSIONS_KEPT);
      else room.participants.push({ device: deviceKey, reference, admissions: [entry] });
      return {
        ok: {
          sfuUrl: sfu.memberUrl,
          roomId: BigInt(room.roomId),
          token: admission.token,
          joinToken: admission.joinToken,
          feedId: BigInt(admission.feedId),
          expiresAt: BigInt(admission.expiresAt),
        },
      };
    }
  }

  /** The store did not keep what a join did at the SFU: the room it opened ends, or the admission it gave is withdrawn. */
  private async undo(done: JoinEffects): Promise<void> {
    const undone = done.room
      ? done.room.sfu.control.destroyRoom(done.room.roomId)
      : done.admitted
        ? done.admitted.sfu.control.revoke(done.admitted.roomId, done.admitted.reference, { joinTokens: [done.admitted.entry.joinToken], feedIds: [done.admitted.entry.feedId] })
        : Promise.resolve();
    await undone.catch((error: unknown) => this.logLost(error, 'undo a join the store did not keep'));
  }

  /** Withdraws the device's admission and takes it out of the room; the last one out ends the room. */
  async leave(device: DeviceAddress, request: { readonly groupId: Uint8Array }): Promise<void> {
    requireBytes(request.groupId, LIMITS.groupIdBytes, 'group_id');
    if (this.options.sfus.length === 0) throw new ServerError(ErrorCode.NO_SFU, NO_SFU_CONFIGURED);
    await this.change(request.groupId, async (record) => {
      await this.takeOut(record, [deviceKey(device)]);
      return { ok: undefined };
    });
  }

  /**
   * The group no longer routes to these devices (removed by a commit, or they left the group):
   * whatever admission they hold to its room is withdrawn now, not when it expires. Never throws,
   * and waits at most WITHDRAW_WAIT_MS (the rest goes on behind): what fails here (the store, the
   * SFU) is done by the sweep, which takes out non-members too.
   */
  async withdraw(groupId: Uint8Array, devices: readonly DeviceAddress[]): Promise<void> {
    if (this.options.sfus.length === 0 || devices.length === 0) return;
    // A change even when there is no room yet: a first join may be making it right now.
    const withdrawn = this.change(groupId, async (record) => {
      await this.takeOut(record, devices.map(deviceKey));
      return { ok: undefined };
    }).catch((error: unknown) => this.options.log.warn({ problem: error instanceof ServerError ? error.code : 'unknown' }, 'a withdrawal from a group call is left to the sweep'));
    // The commit's answer waits for the withdrawal, but not behind a group held up for long.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([withdrawn, new Promise<void>((resolve) => (timer = setTimeout(resolve, WITHDRAW_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /**
   * Devices that went away without leaving (a crash, a lost network) and devices no longer in
   * the group: each whose admission expired and whose feed the SFU no longer lists, or who is
   * not a member, is taken out, and a room left empty ends, so rooms do not outlive their calls.
   * A room the SFU lost is forgotten; clean-ups the SFU did not take are retried. Returns how
   * many devices went. Never throws: an SFU that does not answer is asked again next time.
   */
  async sweep(now = Date.now()): Promise<number> {
    if (this.options.sfus.length === 0) return 0;
    let entries: { groupId: Uint8Array }[];
    try {
      entries = await this.options.store.listGroupCalls();
    } catch (error) {
      this.logLost(error, 'list');
      return 0;
    }
    let gone = 0;
    for (const { groupId } of entries) {
      gone += await this.change(groupId, async (record) => ({ ok: await this.sweepOne(groupId, record, now) })).catch((error: unknown) => {
        this.options.log.warn({ problem: error instanceof ServerError ? error.code : 'unknown' }, 'a group call was not swept; next time');
        return 0;
      });
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

  private async sweepOne(groupId: Uint8Array, record: GroupCallRecord, now: number): Promise<number> {
    await this.retryCleanups(record);
    const room = record.room;
    if (!room) return 0;
    const sfu = this.sfuAt(room.sfu);
    if (!sfu) {
      this.giveUpUnlisted(record, now);
      return 0;
    }
    const group = await this.options.store.getGroup(groupId);
    const members = new Set(group?.members.map(deviceKey) ?? []);
    let present: ReadonlySet<number>;
    try {
      present = await sfu.control.present(room.roomId);
    } catch (error) {
      if (error instanceof SfuError && error.problem === 'unknown-room') {
        // Lost at the SFU (it restarted and could not make it again): forgotten here, and by the controller.
        record.room = undefined;
        await sfu.control.destroyRoom(room.roomId).catch(() => undefined);
      } else if (abandoned(room, now)) {
        // Its SFU does not answer: the group's next join opens a room on one that does.
        record.room = undefined;
        addCleanup(record, { what: 'destroy', sfu: room.sfu, roomId: room.roomId });
        this.options.log.warn({ problem: error instanceof SfuError ? error.problem : 'unknown' }, 'gave up a group call room on an SFU that does not answer');
      } else {
        this.logLost(error, 'sweep');
      }
      return 0;
    }
    const away = room.participants
      .filter((p) => !members.has(p.device) || (expiryOf(p) + JOIN_GRACE_MS <= now && !feedsOf(p).some((feed) => present.has(feed))))
      .map((p) => p.device);
    await this.takeOut(record, away);
    return away.length;
  }

  /**
   * Takes devices out of the record's room at the SFU; the last one out ends the room. A
   * revocation the SFU does not take is kept as a clean-up for the sweep: a removed member must
   * not stay in.
   */
  private async takeOut(record: GroupCallRecord, deviceKeys: readonly string[]): Promise<void> {
    const room = record.room;
    if (!room) return; // not in a call: leaving again is harmless
    const sfu = this.sfuAt(room.sfu);
    for (const deviceKey of deviceKeys) {
      const participant = room.participants.find((p) => p.device === deviceKey);
      if (!participant) continue;
      room.participants = room.participants.filter((p) => p !== participant);
      const revocation = revocationOf(room, participant);
      try {
        if (!sfu) throw new SfuError('unavailable', SFU_NOT_LISTED);
        await sfu.control.revoke(room.roomId, participant.reference, { ...revocation, keepFeeds: new Set(room.participants.flatMap(feedsOf)) });
      } catch (error) {
        if (!(error instanceof SfuError && error.problem === 'unknown-room')) addCleanup(record, revocation);
        this.logLost(error, 'revoke');
      }
    }
    if (room.participants.length === 0) await this.endRoom(record);
  }

  /** Ends the record's room at its SFU (everyone in it goes); one the SFU cannot end now is left to the sweep. */
  private async endRoom(record: GroupCallRecord): Promise<void> {
    const room = record.room;
    if (!room) return;
    record.room = undefined;
    try {
      const sfu = this.sfuAt(room.sfu);
      if (!sfu) throw new SfuError('unavailable', SFU_NOT_LISTED);
      await sfu.control.destroyRoom(room.roomId);
    } catch (error) {
      if (!(error instanceof SfuError && error.problem === 'unknown-room')) addCleanup(record, { what: 'destroy', sfu: room.sfu, roomId: room.roomId });
      this.logLost(error, 'destroy');
    }
  }

  /**
   * Clean-ups the SFU did not take before: a few tried again each sweep (so one change does not
   * hold the group for long behind an SFU that does not answer), and dropped once done, moot (the
   * room is gone) or on an SFU this node does not list. A revocation in the room still going on
   * names the feeds that stay, so nobody else is put out with it.
   */
  private async retryCleanups(record: GroupCallRecord): Promise<void> {
    const left: CleanupEntry[] = [];
    let tried = 0;
    for (const cleanup of record.cleanups) {
      const sfu = this.sfuAt(cleanup.sfu);
      if (!sfu) {
        this.options.log.warn({ what: cleanup.what }, 'dropped a clean-up on an SFU this server does not list');
        continue;
      }
      if (tried >= CLEANUPS_PER_SWEEP) {
        left.push(cleanup);
        continue;
      }
      tried++;
      const live = record.room?.sfu === cleanup.sfu && record.room.roomId === cleanup.roomId ? record.room : undefined;
      const attempt =
        cleanup.what === 'destroy'
          ? sfu.control.destroyRoom(cleanup.roomId)
          : sfu.control.revoke(cleanup.roomId, cleanup.reference, {
              joinTokens: cleanup.joinTokens,
              feedIds: cleanup.feedIds,
              ...(live ? { keepFeeds: new Set(live.participants.flatMap(feedsOf)) } : {}),
            });
      await attempt.catch((error: unknown) => {
        if (error instanceof SfuError && error.problem === 'unknown-room') return;
        left.push(cleanup);
        this.logLost(error, `${cleanup.what} again`);
      });
    }
    record.cleanups = left;
  }

  /**
   * A room on an SFU this node does not list (the SFUs were changed, or nodes disagree) is given
   * up like one whose SFU does not answer: once every admission to it expired a minute ago, the
   * group's next join opens a room on a listed SFU. True if it was given up.
   */
  private giveUpUnlisted(record: GroupCallRecord, now: number): boolean {
    const room = record.room;
    if (!room || !abandoned(room, now)) return false;
    record.room = undefined;
    record.cleanups = record.cleanups.filter((c) => c.roomId !== room.roomId || c.sfu !== room.sfu);
    this.options.log.warn({ room: room.roomId }, 'gave up a group call room on an SFU this server does not list');
    return true;
  }

  private async requireMember(device: DeviceAddress, groupId: Uint8Array): Promise<void> {
    const group = await this.options.store.getGroup(groupId);
    if (!group) throw new ServerError(ErrorCode.UNKNOWN_GROUP);
    if (!group.members.some((m) => m.username === device.username && m.deviceId === device.deviceId)) throw new ServerError(ErrorCode.NOT_A_MEMBER);
  }

  /**
   * A new room for the record's group, on the SFU with the fewest devices in calls (the first
   * given, on a tie); one that does not answer is passed over for the next, so a call still
   * starts while any SFU is up.
   */
  private async openRoom(record: GroupCallRecord): Promise<RoomEntry> {
    const load = await this.loadBySfu();
    const order = [...this.options.sfus].sort((a, b) => (load.get(a.memberUrl) ?? 0) - (load.get(b.memberUrl) ?? 0));
    let failure: unknown;
    for (const sfu of order) {
      try {
        const { roomId } = await sfu.control.createRoom({ maxParticipants: MAX_SFU_PARTICIPANTS });
        record.room = { sfu: sfu.memberUrl, roomId, participants: [] };
        return record.room;
      } catch (error) {
        failure = error;
        this.options.log.warn({ sfu: this.options.sfus.indexOf(sfu), problem: error instanceof SfuError ? error.problem : 'unknown' }, 'an SFU could not make a room; trying the next');
      }
    }
    throw this.sfuRefusal(failure);
  }

  /** Devices in calls per SFU, across every node; a room counts one more than its devices, so rooms still being joined weigh too. */
  private async loadBySfu(): Promise<Map<string, number>> {
    const load = new Map<string, number>();
    const entries = await this.options.store.listGroupCalls().catch(() => []);
    for (const { record } of entries) {
      let room: RoomEntry | undefined;
      try {
        room = decodeGroupCallRecord(record).room;
      } catch {
        continue;
      }
      if (room) load.set(room.sfu, (load.get(room.sfu) ?? 0) + room.participants.length + 1);
    }
    return load;
  }

  /**
   * One change of the group's record, in turn with every other on any node; a refusal the change
   * decided on is thrown once what it did at the SFU is stored.
   */
  private async change<T>(groupId: Uint8Array, work: (record: GroupCallRecord) => Promise<Outcome<T>>): Promise<T> {
    const outcome = await this.options.store.changeGroupCall(groupId, async (stored) => {
      const record = this.read(stored);
      const result = await work(record);
      return { record: encodeGroupCallRecord(record), result };
    });
    if ('refused' in outcome) throw outcome.refused;
    return outcome.ok;
  }

  /**
   * A record this version cannot read: one from a newer server is left alone (the change is
   * refused); a broken one is started afresh, loudly, with its room queued to be ended.
   */
  private read(stored: string | undefined): GroupCallRecord {
    try {
      return decodeGroupCallRecord(stored);
    } catch (error) {
      if (error instanceof NewerRecordError) throw error;
      this.options.log.error({ problem: error instanceof Error ? error.message : 'unknown' }, 'dropped a group call record this server cannot read');
      const record = emptyRecord();
      const room = stored === undefined ? undefined : salvageRoom(stored);
      if (room) record.cleanups.push({ what: 'destroy', ...room });
      return record;
    }
  }

  private sfuAt(memberUrl: string): SfuEndpointControl | undefined {
    return this.options.sfus.find((sfu) => sfu.memberUrl === memberUrl);
  }

  private sfuRefusal(error: unknown): ServerError {
    if (error instanceof SfuError) {
      if (error.problem === 'room-full') return roomFull();
      this.options.log.warn({ problem: error.problem }, 'the SFU refused a group call');
      return new ServerError(ErrorCode.NO_SFU, SFU_NOT_ANSWERING);
    }
    return error instanceof ServerError ? error : new ServerError(ErrorCode.INTERNAL, 'The group call could not be arranged.', { cause: error });
  }

  private logLost(error: unknown, what: string): void {
    // The room or admission is gone at the SFU already (restarted, timed out): nothing left to undo.
    this.options.log.warn({ problem: error instanceof SfuError ? error.problem : 'unknown', what }, 'SFU clean-up failed');
  }
}

const roomFull = (): ServerError => new ServerError(ErrorCode.INVALID_ARGUMENT, `This group call is full: at most ${MAX_SFU_PARTICIPANTS} people.`);

/** Every admission to the room expired ORPHAN_AFTER_MS ago: nobody can still be on the way into it. */
const abandoned = (room: RoomEntry, now: number): boolean => room.participants.every((p) => expiryOf(p) + ORPHAN_AFTER_MS <= now);

/** Adds a clean-up; ending a room does for every revocation in it, so those go. */
function addCleanup(record: GroupCallRecord, cleanup: CleanupEntry): void {
  const others = cleanup.what === 'destroy' ? record.cleanups.filter((c) => c.sfu !== cleanup.sfu || c.roomId !== cleanup.roomId) : record.cleanups;
  record.cleanups = [...others, cleanup];
}


/** What revoking the participant takes: its admissions' join tokens and feeds. */
function revocationOf(room: RoomEntry, participant: ParticipantEntry): CleanupEntry & { readonly what: 'revoke' } {
  return {
    what: 'revoke',
    sfu: room.sfu,
    roomId: room.roomId,
    reference: participant.reference,
    joinTokens: participant.admissions.map((a) => a.joinToken),
    feedIds: feedsOf(participant),
  };
}

/**
 * @module sfu/sfu-control
 * What the rest of the server asks of a selective forwarding unit for group calls: rooms, and
 * short-lived admissions that let exactly one participant join exactly one room. Members never
 * talk to the SFU's control side; the server does, through this interface. Every failure is an
 * `SfuError` with a stable `problem` word and a message an operator can act on.
 */
import { ErrorCode } from '@sotto/protocol';
import { ServerError } from '../errors.js';

/** A room's id at the SFU: a positive safe integer, chosen by the controller. */
export type SfuRoomId = number;

/** Who is admitted: an opaque, stable reference the server picks (never a member's name). */
export type SfuParticipant = string;

export interface SfuRoomOptions {
  /** No video codecs offered: the room forwards Opus only. */
  readonly audioOnly?: boolean;
  /** Publishers at once, 1 to MAX_SFU_PARTICIPANTS. */
  readonly maxParticipants: number;
}

export interface SfuAdmission {
  /** Presented with every request the participant makes to the SFU (Janus: the `token` field). */
  readonly token: string;
  /** Presented when joining this room, and no other (Janus: the VideoRoom join's `token`). */
  readonly joinToken: string;
  /** The publisher id the participant must join with, so `revoke` can remove it from the room. */
  readonly feedId: number;
  /** Milliseconds since the epoch after which the SFU refuses the token. */
  readonly expiresAt: number;
}

/** The admissions to withdraw from a room: what `admit` handed out for one participant. */
export interface SfuRevocation {
  /** The join tokens of its admissions: taken off the room's allow list. */
  readonly joinTokens: readonly string[];
  /** The feed ids of its admissions: removed from the room if they joined. */
  readonly feedIds: readonly number[];
  /** The feed ids of every admission that stays: any feed the SFU lists outside them goes too, so a made-up id cannot stay. Omitted: only `feedIds` go. */
  readonly keepFeeds?: ReadonlySet<number>;
}

export interface SfuHealth {
  /** The controller holds a working session with the SFU. */
  readonly up: boolean;
  /** One line for an operator: why not, or what it is connected to. */
  readonly detail: string;
  /** Times the controller has reconnected after losing the SFU. */
  readonly reconnects: number;
}

export interface SfuControl {
  createRoom(options: SfuRoomOptions): Promise<{ roomId: SfuRoomId }>;
  /** Ends the room for everyone in it; a room already gone is an `unknown-room` error. */
  destroyRoom(roomId: SfuRoomId): Promise<void>;
  /** A credential for `participant` to join `roomId` only, valid until `expiresAt`. */
  admit(roomId: SfuRoomId, participant: SfuParticipant): Promise<SfuAdmission>;
  /**
   * Withdraws the admissions `withdrawal` names (the caller keeps what it handed out: a
   * controller keeps no record, so any node's controller can revoke what another node's
   * admitted) and removes their feeds from the room if they joined. `participant` is for the
   * SFU's logs and checks only.
   */
  revoke(roomId: SfuRoomId, participant: SfuParticipant, withdrawal: SfuRevocation): Promise<void>;
  /**
   * The feed ids of the participants in `roomId` now, as the SFU sees them (a participant whose
   * connection died is gone once the SFU noticed: Janus ends a session 60 s after its last sign of
   * life). A room that does not exist is an `unknown-room` error.
   */
  present(roomId: SfuRoomId): Promise<ReadonlySet<number>>;
  health(): Promise<SfuHealth>;
  /** Stops reconnecting and closes the session; rooms stay at the SFU until destroyed. */
  close(): Promise<void>;
}

/** The most publishers a room may have: the documented limit for one SFU. */
export const MAX_SFU_PARTICIPANTS = 32;

/** Why the SFU refused or failed: a stable word for each cause that is handled differently. */
export type SfuProblem =
  /** The SFU cannot be reached or did not answer in time: try later, nothing was changed. */
  | 'unavailable'
  /** No such room (never created, destroyed, or lost when the SFU restarted and could not be re-created). */
  | 'unknown-room'
  /** The room has as many publishers as it allows. */
  | 'room-full'
  /** The SFU refused our own credentials: the shared secret differs from the SFU's configuration. */
  | 'misconfigured'
  /** A value given to the controller is out of range. */
  | 'bad-input'
  /** Any other error the SFU reported; the message carries its code. */
  | 'failed';

export class SfuError extends ServerError {
  override readonly name = 'SfuError';
  constructor(
    readonly problem: SfuProblem,
    message: string,
    options?: { cause?: unknown; janusCode?: number },
  ) {
    super(problem === 'bad-input' || problem === 'unknown-room' ? ErrorCode.INVALID_ARGUMENT : ErrorCode.INTERNAL, message, options);
    this.janusCode = options?.janusCode;
  }
  /** The SFU's own error number, when it gave one (Janus: 403, 426, ...). */
  readonly janusCode: number | undefined;
}

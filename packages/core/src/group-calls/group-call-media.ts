/**
 * @module group-calls/group-call-media
 * The port through which group calls drive a real media stack toward the SFU (werift and Janus's
 * member API in Node; the browser's RTCPeerConnection with encoded transforms on the web). The
 * engine decides when (only on its member's own join) and with which keys; an implementation
 * moves frames.
 *
 * Contract: nothing of the call exists before `join` (no socket to the SFU, no ICE, no
 * microphone); every frame sent is `frames.seal(frame)`, and every frame received goes through
 * `frames.open` before a decoder sees it, a frame that does not open being dropped and counted.
 */
import type { IceServer } from '../calls/call-media.js';
import type { SFrameErrorReason } from '../sframe/sframe-error.js';
import type { GroupCallEpochKeys, GroupCallMember, OpenedGroupCallFrame } from './group-call-keyring.js';
import type { GroupCallMediaKind } from './media-frame.js';

/** Where and how this device enters its group's room at the SFU (the server's GroupCallTicket). */
export interface GroupCallAdmission {
  /** The SFU's WebSocket API for members. */
  readonly sfuUrl: string;
  readonly roomId: bigint;
  /** Presented with every request to the SFU. */
  readonly token: string;
  /** Presented when joining the room. */
  readonly joinToken: string;
  /** The publisher id this device joins with. */
  readonly feedId: bigint;
}

export interface GroupCallMediaOptions {
  readonly admission: GroupCallAdmission;
  readonly iceServers: readonly IceServer[];
  /** Media only through the TURN relay: the SFU never learns this device's address. */
  readonly relayOnly: boolean;
  /** Also gather loopback host candidates: only for tests with the SFU on the same machine. */
  readonly allowLoopback: boolean;
}

/** The call's end-to-end encryption, as the media stack sees it: sealing and opening frames. */
export interface GroupCallFrames {
  /** `kind` is audio unless said: a video frame keeps its clear bytes (media-frame.ts). */
  seal(frame: Uint8Array, kind?: GroupCallMediaKind): Uint8Array;
  /** Throws an SFrameError for a frame that cannot be trusted. */
  open(frame: Uint8Array, kind?: GroupCallMediaKind): OpenedGroupCallFrame;
  /** A frame that did not open is under the group's next epoch: hold it until this device gets there. */
  isAhead(frame: Uint8Array, kind?: GroupCallMediaKind): boolean;
  /** The epoch this device sends under (frames held for a later one are retried once it changes). */
  readonly epoch: bigint | undefined;
  /** The live epochs' keys, newest first, for a media stack that seals in another realm (a worker). */
  epochKeys(): GroupCallEpochKeys[];
  /** Called after each new epoch; returns its unsubscribe. */
  onEpochChange(listener: () => void): () => void;
}

export interface GroupCallMediaHandlers {
  /** This device publishes to the room: its frames reach the SFU. */
  onConnected(): void;
  /** The SFU or the connection to it failed for good. */
  onFailed(reason: string): void;
  /** The first frame from a participant opened (they are heard from now on). */
  onHeard(from: GroupCallMember): void;
  /** The types of the candidates this device announced to the SFU (relay only, relay-only). */
  onSentCandidates?(types: readonly string[]): void;
  /** Who is speaking now (their decoded audio is above a speaking level); optional for a stack. */
  onSpeaking?(speaking: readonly GroupCallMember[]): void;
  /** A participant heard before left the room (their feed ended). */
  onLeft(from: GroupCallMember): void;
  /** A received frame did not open (replayed, forged, a stale key...): dropped, the call goes on. */
  onFrameRefused(reason: SFrameErrorReason): void;
}

export interface GroupCallMediaSession {
  /** Leaves the room, stops the source, closes sockets; idempotent. */
  close(): Promise<void>;
}

export interface GroupCallMediaFactory {
  join(options: GroupCallMediaOptions, frames: GroupCallFrames, handlers: GroupCallMediaHandlers): Promise<GroupCallMediaSession>;
}

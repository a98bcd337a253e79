/**
 * @module gateway/frame-writer
 * Everything a connection writes to its client, and the bound on what it holds for it: answers,
 * errors, notices, pushes and deliveries become frames here, each counted in the WriteBacklog
 * until the socket reports it taken. When the backlog fills, the owner stops reading; while it
 * stays full with nothing leaving for `stallMs`, the client has stopped reading and the owner is
 * told. Knows the socket only as a ServerSocket.
 */
import {
  create,
  DeliverySchema,
  encodeFrame,
  FrameType,
  LockdownStateSchema,
  NoticeSchema,
  ResponseSchema,
  type FrameBody,
  type KnownFrameType,
  type NoticeKind,
} from '@sotto/protocol';
import type { Logger } from '../logger.js';
import type { ServerMetrics } from '../metrics.js';
import type { MailboxEntry } from '../storage/types.js';
import { toWireError } from './error-boundary.js';
import { isRefusal } from './flood-guard.js';
import type { ResponseResult } from './requests.js';
import type { ServerSocket } from './server-socket.js';
import type { WriteBacklog } from './write-backlog.js';

/** What the writer tells the connection that owns it. */
export interface WriterOwner {
  readonly closing: boolean;
  readonly log: Logger;
  /** The backlog just filled: read nothing more from the client. */
  backlogFull(): void;
  /** The backlog is back under its low marks: read again if the frame queue has room. */
  backlogDrained(): void;
  /** Full for `stallMs` with nothing leaving: the client stopped reading. */
  stalled(): void;
  /** An answer refused the client's frame (the flood guard counts these). */
  refused(): void;
}

export class FrameWriter {
  /** Runs while the backlog is full, to notice a client that stopped reading. */
  private stallTimer: NodeJS.Timeout | undefined;
  /** One callback for every frame written (most writes need nothing else), not a closure per frame. */
  private readonly onFrameFlushed = (): void => {
    if (this.backlog.flushed(this.socket.bufferedAmount)) this.onBacklogDrained();
  };

  constructor(
    private readonly socket: ServerSocket,
    private readonly backlog: WriteBacklog,
    private readonly metrics: ServerMetrics,
    private readonly owner: WriterOwner,
  ) {}

  respond(id: number, result: ResponseResult): void {
    try {
      this.sendFrame(FrameType.RESPONSE, id, create(ResponseSchema, { result }));
    } catch (error) {
      // A result too large for a RESPONSE frame: say so rather than leave the request hanging.
      this.sendError(id, error);
    }
  }

  sendError(id: number, error: unknown): void {
    const wire = toWireError(error, this.owner.log, this.metrics);
    this.sendFrame(FrameType.RESPONSE, id, create(ResponseSchema, { result: { case: 'error', value: wire } }));
    if (isRefusal(wire.code)) this.owner.refused();
  }

  sendNotice(kind: NoticeKind, count: number, message: string, lockdown?: { enabled: boolean; refused: number }): void {
    this.sendFrame(FrameType.NOTICE, 0, create(NoticeSchema, { kind, count, message, ...(lockdown ? { lockdown: create(LockdownStateSchema, lockdown) } : {}) }));
  }

  sendFrame<T extends KnownFrameType>(type: T, id: number, body: FrameBody<T>): void {
    this.write(encodeFrame(type, id, body));
  }

  /** One mailbox entry as a DELIVERY frame; resolves once the socket took it (or is gone). */
  deliver(entry: MailboxEntry): Promise<void> {
    const bytes = encodeFrame(
      FrameType.DELIVERY,
      0,
      create(DeliverySchema, {
        seq: entry.seq,
        kind: entry.kind,
        senderUsername: entry.sender.username,
        senderDeviceId: entry.sender.deviceId,
        groupId: entry.groupId,
        messageId: entry.messageId,
        payload: entry.payload,
        storedAt: BigInt(entry.storedAt),
        epoch: entry.epoch,
      }),
    );
    this.metrics.mailboxDeliveries.inc();
    return new Promise((resolve) => {
      if (!this.write(bytes, resolve)) resolve();
    });
  }

  /** The connection closed: no stall to watch for any more. */
  stop(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
  }

  /** Queues one frame; `done` is called once the socket took it. False if the socket is not open. */
  private write(bytes: Uint8Array, done?: () => void): boolean {
    if (!this.socket.isOpen) return false;
    this.socket.corkUntilTurnEnds();
    this.socket.send(bytes, done ? () => (this.onFrameFlushed(), done()) : this.onFrameFlushed);
    if (this.backlog.wrote(this.socket.bufferedAmount)) this.onBacklogFull();
    return true;
  }

  /** The client is not keeping up: read nothing more from it, and watch for it having stopped reading. */
  private onBacklogFull(): void {
    this.metrics.backlogFull.inc();
    this.owner.backlogFull();
    this.watchForStall();
  }

  private onBacklogDrained(): void {
    this.stop();
    this.owner.backlogDrained();
  }

  private watchForStall(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => {
      this.stallTimer = undefined;
      if (this.owner.closing || !this.backlog.isFull) return;
      if (this.backlog.stalled()) this.owner.stalled();
      else this.watchForStall();
    }, this.backlog.untilStalled());
    this.stallTimer.unref();
  }
}

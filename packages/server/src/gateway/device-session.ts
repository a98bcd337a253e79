/**
 * @module gateway/device-session
 * What a connection does once its hello proved a device: requests run against the services as
 * that device, SENDs pipelined and answered in order (SendPipeline), the mailbox delivered and
 * acknowledged (MailboxPump), and the device's bus events (new mail, a newer connection taking
 * over, notices) acted on. Made at hello and stopped at close; it writes only through the
 * connection's FrameWriter.
 */
import { ErrorCode, LIMITS, missingCase, NoticeKind } from '@sotto/protocol';
import type { Bus, BusEvent } from '../bus/bus.js';
import { ServerError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ServerMetrics } from '../metrics.js';
import type { Services } from '../services/services.js';
import type { Store } from '../storage/store.js';
import { MAILBOX_SEQ_MAX, type DeviceAddress, type MailboxEntry } from '../storage/types.js';
import { CloseCode } from './close-codes.js';
import type { FrameWriter } from './frame-writer.js';
import { MailboxPump, type PumpSink } from './mailbox-pump.js';
import { handleRequest, startSend, type RequestFrame, type SendFrame } from './requests.js';
import { MAX_PIPELINED_SENDS, SendPipeline, type SendOutcome } from './send-pipeline.js';
import type { WriteBacklog } from './write-backlog.js';

/** What the session needs of the server (a ConnectionContext has it). */
export interface SessionContext {
  readonly services: Services;
  readonly store: Store;
  readonly bus: Bus;
  readonly metrics: ServerMetrics;
}

/** What the session needs of its connection. */
export interface SessionOwner {
  readonly id: string;
  readonly log: Logger;
  /** The key rate limits count the client's address by, if any. */
  readonly limitingAddress: { readonly address?: string };
  close(code: number, reason: string): void;
}

export class DeviceSession implements PumpSink {
  readonly pump: MailboxPump;
  private readonly unsubscribe: () => void;
  /** Made by the first SEND: most idle connections never send. */
  private sendPipeline: SendPipeline | undefined;
  private stopped = false;

  constructor(
    readonly device: DeviceAddress,
    private readonly ctx: SessionContext,
    private readonly out: FrameWriter,
    private readonly backlog: WriteBacklog,
    private readonly owner: SessionOwner,
  ) {
    this.pump = new MailboxPump(ctx.store, device, this, () => owner.log, (entry) => ctx.services.delivery.expired(entry), {
      carried: (entries) => ctx.metrics.mailboxCarried.inc(entries),
      read: () => ctx.metrics.mailboxReads.inc(),
    });
    // Subscribed before the connection claims the device, so it sees its own "replaced" event and ignores it.
    this.unsubscribe = ctx.bus.subscribe(device, (event) => this.onBusEvent(event));
  }

  /** Stops listening and pumping; resolves once the pump stopped. */
  stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    return this.pump.stop();
  }

  async request(frame: RequestFrame): Promise<void> {
    const result = await handleRequest(this.ctx.services, { device: this.device, ...this.owner.limitingAddress }, frame);
    this.out.respond(frame.id, result);
  }

  /** Starts a SEND and returns once its write is queued; SendPipeline answers it after every earlier one. */
  async pipelineSend(frame: SendFrame, startedAt: number): Promise<void> {
    const started = startSend(this.ctx.services, { device: this.device, ...this.owner.limitingAddress }, frame);
    this.sends.add(frame.id, startedAt, started.result);
    await started.queued;
    await this.sends.whenBelow(MAX_PIPELINED_SENDS);
  }

  /** Resolves once every pipelined SEND was answered. */
  sendsAnswered(): Promise<void> {
    return this.sendPipeline ? this.sendPipeline.whenBelow(1) : Promise.resolve();
  }

  ack(seqs: readonly bigint[]): void {
    if (seqs.length > LIMITS.maxAckSeqs) {
      throw new ServerError(ErrorCode.INVALID_ARGUMENT, `An ack names at most ${LIMITS.maxAckSeqs} entries, not ${seqs.length}.`);
    }
    // A seq is a mailbox's signed 64-bit counter, from 1: anything else names no entry, and on
    // PostgreSQL it would fail the statement that deletes every device's acks with it.
    const impossible = seqs.find((seq) => seq < 1n || seq > MAILBOX_SEQ_MAX);
    if (impossible !== undefined) throw new ServerError(ErrorCode.INVALID_ARGUMENT, `An ack names mailbox seqs from 1 to ${MAILBOX_SEQ_MAX}, not ${impossible}.`);
    this.pump.ack(seqs);
  }

  /** PumpSink: one mailbox entry as a DELIVERY frame. */
  deliver(entry: MailboxEntry): Promise<void> {
    return this.out.deliver(entry);
  }

  /** PumpSink: wait while the client is not taking what it was sent. */
  whenWritable(): Promise<void> | undefined {
    return this.backlog.whenWritable();
  }

  /** PumpSink: the first pass over the mailbox is done. */
  drained(count: number): void {
    this.out.sendNotice(NoticeKind.MAILBOX_DRAINED, count, `Delivered ${count} queued entries.`);
  }

  private get sends(): SendPipeline {
    return (this.sendPipeline ??= new SendPipeline((id, outcome, startedAt) => this.answerSend(id, outcome, startedAt)));
  }

  private answerSend(id: number, outcome: SendOutcome, startedAt: number): void {
    if (outcome.ok) this.out.respond(id, outcome.result);
    else this.out.sendError(id, outcome.error);
    this.ctx.metrics.requestDuration.observe({ type: 'SEND' }, (performance.now() - startedAt) / 1000);
  }

  private onBusEvent(event: BusEvent): void {
    // An event the bus had already queued when the connection closed finds nothing to do.
    if (this.stopped) return;
    switch (event.kind) {
      case 'mail':
        if (event.entry) this.pump.offer(event.entry);
        else this.pump.trigger();
        return;
      case 'replaced':
        if (event.connectionId !== this.owner.id) this.replaced();
        return;
      case 'removed':
        void this.pump.stop();
        this.owner.close(CloseCode.DEVICE_REMOVED, 'device removed from its account');
        return;
      case 'notice':
        this.out.sendNotice(event.notice.kind, event.notice.count, event.notice.message, event.notice.lockdown);
        return;
      default:
        throw missingCase(event);
    }
  }

  private replaced(): void {
    void this.pump.stop();
    this.out.sendNotice(NoticeKind.REPLACED, 0, 'A newer connection of this device took over.');
    this.owner.close(CloseCode.REPLACED, 'replaced by a newer connection');
  }
}

/** @module services/mail-notifier */
// After a durable write, tells each recipient device to look in its mailbox.
// A failed publish does not fail the request: the message is already stored
// and the device drains it on its next connection. Devices connected nowhere
// are woken by Web Push instead, when they subscribed (push/push-service.ts).
import type { DeliveryKind } from '@sotto/protocol';
import type { Bus, BusEvent, BusNotice } from '../bus/bus.js';
import { deviceKey } from '../bus/bus.js';
import { errorSummary, type Logger } from '../logger.js';
import type { ServerMetrics } from '../metrics.js';
import type { DeviceAddress, StoredMail } from '../storage/types.js';

/** Events are plain data and never changed by a subscriber, so one serves every notification. */
const MAIL: BusEvent = { kind: 'mail' };

/** Who wakes devices that are not connected (PushService); told after every store, never awaited. */
export interface OfflineWaker {
  /** `from`: the sending account, when there is one (a member never gets a push for a blocked sender's mail). */
  mailStored(recipients: readonly DeviceAddress[], kind: DeliveryKind | undefined, from?: string): void;
}

export class MailNotifier {
  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
    private readonly metrics?: ServerMetrics,
    private readonly waker?: OfflineWaker,
  ) {}

  /**
   * `kind`, when the caller knows it, lets a ring wake a device with high urgency and keeps a
   * stranger's request from waking anyone; `from` keeps a blocked sender's mail from waking anyone;
   * `quiet` mail (a typing indicator) wakes no one: it is stale before anyone could look.
   */
  async stored(mail: StoredMail, kind?: DeliveryKind, from?: string, quiet = false): Promise<void> {
    const { recipients } = mail;
    if (recipients.length === 0) return;
    this.metrics?.messagesStored.inc(recipients.length);
    if (!quiet) this.waker?.mailStored(recipients, kind, from);
    // Most mail has one recipient device (a 1:1 chat): no de-duplication to do.
    if (recipients.length === 1) return this.publish(recipients[0]!, MAIL);
    const unique = new Map(recipients.map((device) => [deviceKey(device), device]));
    await Promise.all([...unique.values()].map((device) => this.publish(device, MAIL)));
  }

  async notice(device: DeviceAddress, notice: BusNotice): Promise<void> {
    await this.publish(device, { kind: 'notice', notice });
  }

  private async publish(device: DeviceAddress, event: Parameters<Bus['publish']>[1]): Promise<void> {
    try {
      await this.bus.publish(device, event);
    } catch (error) {
      this.log.warn({ err: errorSummary(error), event: event.kind }, 'bus publish failed; the device will drain on reconnect');
    }
  }
}


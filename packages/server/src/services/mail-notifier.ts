/** @module services/mail-notifier */
// After a durable write, tells each recipient device to look in its mailbox.
// A failed publish does not fail the request: the message is already stored
// and the device drains it on its next connection.
import type { Bus, BusEvent, BusNotice } from '../bus/bus.js';
import { deviceKey } from '../bus/bus.js';
import { errorSummary, type Logger } from '../logger.js';
import type { ServerMetrics } from '../metrics.js';
import type { DeviceAddress, StoredMail } from '../storage/types.js';

/** Events are plain data and never changed by a subscriber, so one serves every notification. */
const MAIL: BusEvent = { kind: 'mail' };

export class MailNotifier {
  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
    private readonly metrics?: ServerMetrics,
  ) {}

  async stored(mail: StoredMail): Promise<void> {
    const { recipients } = mail;
    if (recipients.length === 0) return;
    this.metrics?.messagesStored.inc(recipients.length);
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


/** @module services/mail-notifier */
// After a durable write, tells each recipient device to look in its mailbox.
// A failed publish does not fail the request: the message is already stored
// and the device drains it on its next connection. Devices connected nowhere
// are woken by Web Push instead, when they subscribed (push/push-service.ts).
//
// Where the store said which seq each copy got (PostgreSQL's sends) and the item is small, the
// event carries the entry itself, so the recipient's node (in a cluster, usually another one)
// delivers it without reading it back: one round trip to the database less per hop (issue 21).
// The mailbox stays the record; the event is only a shortcut the pump may take (gateway/mailbox-pump.ts).
import type { DeliveryKind } from '@sotto/protocol';
import type { Bus, BusEvent, BusNotice } from '../bus/bus.js';
import { CARRIED_PAYLOAD_MAX, deviceKey } from '../bus/bus.js';
import { errorSummary, type Logger } from '../logger.js';
import type { ServerMetrics } from '../metrics.js';
import type { DeviceAddress, MailboxEntry, MailItem, StoredMail } from '../storage/types.js';

/**
 * Mail to more devices than this is announced without its entry: each recipient's event is encoded
 * on its own, so a large group's message would cost its payload, base64 and JSON once per device
 * on the sender's node and on NATS, where the readings it saves are spread over the recipients' nodes.
 */
export const CARRIED_RECIPIENTS_MAX = 32;

/** Events are plain data and never changed by a subscriber, so one serves every notification. */
const MAIL: BusEvent = { kind: 'mail' };

/** Who wakes devices that are not connected (PushService); told after every store, never awaited. */
export interface OfflineWaker {
  /** `from`: the sending account, when there is one (a member never gets a push for a blocked sender's mail). */
  mailStored(recipients: readonly DeviceAddress[], kind: DeliveryKind | undefined, from?: string): void;
}

/** What the caller knows of the mail beyond what the store answered. */
export interface StoredDetails {
  /** Lets a ring wake a device with high urgency and keeps a stranger's request from waking anyone. */
  readonly kind?: DeliveryKind;
  /** The sending account: a blocked sender's mail wakes no one. */
  readonly from?: string;
  /** Mail that wakes no one (a typing indicator): it is stale before anyone could look. */
  readonly quiet?: boolean;
  /** The item stored, so the event can carry the entry when the store gave its seqs. */
  readonly item?: MailItem;
}

/** Recipient `i`'s copy, as the store holds it (and readMailbox would return it). Spelled out: a spread is a slow path on a per-message one. */
function entryOf(item: MailItem, mail: StoredMail, i: number): MailboxEntry {
  const { kind, sender, groupId, messageId, payload, epoch } = item;
  return { kind, sender, groupId, messageId, payload, epoch, seq: mail.seqs![i]!, storedAt: mail.storedAt, expiresAt: item.expiresAt ?? 0 };
}

export class MailNotifier {
  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
    private readonly metrics?: ServerMetrics,
    private readonly waker?: OfflineWaker,
    /** Off (`sotto serve --no-bus-entries`) while a cluster still runs nodes of a version that refuses events carrying an entry. */
    private readonly carryEntries = true,
  ) {}

  async stored(mail: StoredMail, details: StoredDetails = {}): Promise<void> {
    const { recipients } = mail;
    if (recipients.length === 0) return;
    const { kind, from, quiet = false, item } = details;
    this.metrics?.messagesStored.inc(recipients.length);
    if (!quiet) this.waker?.mailStored(recipients, kind, from);
    const carried = this.carryEntries && item !== undefined && mail.seqs?.length === recipients.length
      && recipients.length <= CARRIED_RECIPIENTS_MAX && item.payload.length <= CARRIED_PAYLOAD_MAX;
    const eventFor = (i: number): BusEvent => (carried ? { kind: 'mail', entry: entryOf(item, mail, i) } : MAIL);
    // Most mail has one recipient device (a 1:1 chat): no de-duplication to do.
    if (recipients.length === 1) return this.publish(recipients[0]!, eventFor(0));
    // A device listed twice got two copies: it is told of the first, and reads the mailbox for the rest.
    const first = new Map<string, number>();
    recipients.forEach((device, i) => {
      const key = deviceKey(device);
      if (!first.has(key)) first.set(key, i);
    });
    await Promise.all([...first.values()].map((i) => this.publish(recipients[i]!, first.size === recipients.length ? eventFor(i) : MAIL)));
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


/**
 * @module devices/device-deliveries
 * The inbox's handling of the three device deliveries: a link request (on the device that
 * opened the link), a link bundle (on the new device), and a new version of an account's device
 * list (on every device of the account and of its contacts). Each gives the inbox either what to
 * store and do afterwards, or why the entry is dropped.
 */
import { AnomalyKind, decodeSignedDeviceList, DeliveryKind, isPlainText, isValidUsername, LIMITS, ProtocolError, type Delivery, type LinkedMessage } from '@sotto/protocol';
import { toHex } from '../bytes.js';
import type { EngineContext } from '../context.js';
import type { ClientWriteBatch, StoredMessage } from '../ports.js';
import type { DeviceLists } from './device-lists.js';
import { HISTORY_MAX_MESSAGES, type DeviceLinking } from './linking.js';

export type DeviceOutcome =
  | { readonly batch: ClientWriteBatch; readonly after?: () => void }
  | { readonly drop: string; readonly anomaly?: AnomalyKind };

export class DeviceDeliveries {
  constructor(
    private readonly ctx: EngineContext,
    private readonly lists: DeviceLists,
    private readonly linking: DeviceLinking,
    /** Runs work after the entry is acknowledged, outside the engine queue (it takes the queue itself). */
    private readonly inBackground: (work: () => Promise<unknown>) => void,
    private readonly onLinked: () => void,
    /** Brings this device's copy of the account's contacts up to date (from inside the engine queue). */
    private readonly syncContacts: () => Promise<void>,
  ) {}

  /**
   * Contacts are the account's, on the server; another device of the account may have accepted
   * one this device has not heard of (its CONTACT_ACCEPTED went to the requester). Before a
   * Welcome from someone this device does not know as a contact is dropped, it asks once.
   */
  async contactsMayHaveChanged(): Promise<void> {
    await this.syncContacts().catch(() => undefined);
  }

  handles(kind: DeliveryKind): boolean {
    return kind === DeliveryKind.DEVICE_LINK_REQUEST || kind === DeliveryKind.DEVICE_LINK_BUNDLE || kind === DeliveryKind.DEVICE_LIST;
  }

  async handle(delivery: Delivery): Promise<DeviceOutcome> {
    switch (delivery.kind) {
      case DeliveryKind.DEVICE_LINK_REQUEST: {
        const checked = this.linking.checkRequest(delivery);
        if ('refused' in checked) return { drop: checked.refused, anomaly: AnomalyKind.MALFORMED };
        return { batch: {}, after: () => this.inBackground(checked.complete) };
      }
      case DeliveryKind.DEVICE_LINK_BUNDLE: {
        const checked = await this.linking.checkBundle(delivery);
        if ('refused' in checked) return { drop: checked.refused, anomaly: AnomalyKind.MALFORMED };
        const linkedConversations = Object.fromEntries(
          checked.accepted.conversations.slice(0, 1000).map((c) => [toHex(c.groupId), { kind: c.ownDevices ? ('self' as const) : c.direct ? ('direct' as const) : ('group' as const), name: c.name.slice(0, 64) }]),
        );
        const messages = historyMessages(checked.accepted.history, new Set(Object.keys(linkedConversations)), this.ctx.clock.now());
        return { batch: { settings: { linking: { linkId: '', secret: '' }, linkedConversations }, messages }, after: this.onLinked };
      }
      case DeliveryKind.DEVICE_LIST: {
        let signed;
        try {
          signed = decodeSignedDeviceList(delivery.payload);
        } catch (error) {
          return { drop: error instanceof ProtocolError ? error.message : 'device list does not decode', anomaly: AnomalyKind.MALFORMED };
        }
        // Checked against the version this device trusts; a list that fails is refused (and the member warned) inside.
        await this.lists.receive(delivery.senderUsername, signed);
        return { batch: {} };
      }
      default:
        return { drop: 'not a device delivery' };
    }
  }

  /** May a Welcome that claims to come from this account's own device `deviceId` be opened? */
  async ownWelcomeAllowed(deviceId: string): Promise<boolean> {
    const me = this.ctx.identity.username;
    const allowed = await this.lists.isListed(me, deviceId);
    if (!allowed) {
      this.ctx.events.didWarnDevices.fire({ username: me, reason: 'A conversation invitation claimed to come from a device of your own account that is not in its device list. It was not opened.' });
    }
    return allowed;
  }
}

/**
 * The history a linking device passed on, as messages to store: each checked like any text (plain
 * text, ids of the right size, a conversation of the bundle), at most HISTORY_MAX_MESSAGES; a bad
 * entry is skipped, not the bundle. Read or unread as on the linking device, so reading them here
 * sends the receipts there too.
 */
function historyMessages(history: readonly LinkedMessage[], conversations: ReadonlySet<string>, now: number): StoredMessage[] {
  const messages: StoredMessage[] = [];
  for (const m of history.slice(0, HISTORY_MAX_MESSAGES)) {
    const groupId = toHex(m.groupId);
    if (!conversations.has(groupId) || m.messageId.byteLength !== LIMITS.messageIdBytes) continue;
    if (!isPlainText(m.body, LIMITS.textMaxChars) || m.body.length === 0 || !isValidUsername(m.sender) || !/^[0-9a-f]{1,64}$/.test(m.senderDevice)) continue;
    messages.push({
      messageId: toHex(m.messageId), groupId, sender: m.sender, senderDevice: m.senderDevice, body: m.body,
      sentAt: Number(m.sentAt), receivedAt: now, outgoing: m.outgoing, status: m.outgoing ? 'sent' : m.read ? 'read' : 'delivered',
    });
  }
  return messages;
}

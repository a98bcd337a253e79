/** @module bus/nats/mail-replay Remembers which devices' mail notifications the NATS server may not have had. */
// Core NATS keeps nothing: nats.js discards what sat in its outbound buffer
// when the connection fails, and a node cut off from NATS cannot publish at
// all. The mailbox is durable, but the recipient's node, healthy elsewhere,
// would not look until something else woke it, so a message could sit
// unseen for hours. Hence: a mail notification stays "unconfirmed" until a
// flush round-trip proves the server had it; if that fails or the node
// disconnects, the device becomes "pending" and is notified again once the
// node is back. `mail` is idempotent, so a duplicate costs one empty read.
import { deviceKey, type DeviceAddress } from '../bus.js';

export interface MailReplayHooks {
  /** One round-trip to the server; resolves once it had everything published before the call. */
  confirm(): Promise<void>;
  /** Devices became pending while the node may be connected: publish them again if it is. */
  retry(): void;
  /** The bound was hit: one device will only hear of its mail when something else wakes its pump. */
  overflow(): void;
}

export class MailReplay {
  private unconfirmed = new Map<string, DeviceAddress>();
  /** The batch the current round-trip will confirm. */
  private confirming = new Map<string, DeviceAddress>();
  private pending = new Map<string, DeviceAddress>();
  private stopped = false;

  constructor(
    /** At most this many devices are remembered (unconfirmed and pending together). */
    private readonly limit: number,
    private readonly hooks: MailReplayHooks,
  ) {}

  /** Devices remembered now (for a log line at shutdown). */
  get size(): number {
    return this.unconfirmed.size + this.confirming.size + this.pending.size;
  }

  /** A notification was handed to the connection; confirm it with the next round-trip. */
  sent(device: DeviceAddress): void {
    if (this.stopped || !this.remember(this.unconfirmed, device)) return;
    this.confirmSoon();
  }

  /** A notification could not be sent (the node is cut off); send it after reconnecting. */
  held(device: DeviceAddress): void {
    if (this.stopped) return;
    this.remember(this.pending, device);
  }

  /** The connection failed: nothing unconfirmed can be trusted to have arrived. */
  lost(): void {
    const batch = this.unconfirmed;
    this.unconfirmed = new Map();
    this.moveToPending(batch);
  }

  /** The devices to notify again, now that the node is back; forgets them. */
  takePending(): DeviceAddress[] {
    const devices = [...this.pending.values()];
    this.pending = new Map();
    return devices;
  }

  stop(): void {
    this.stopped = true;
    this.unconfirmed = new Map();
    this.confirming = new Map();
    this.pending = new Map();
  }

  // One round-trip at a time: it confirms everything sent before it, so a
  // burst of notifications costs one PING, not one per message.
  private confirmSoon(): void {
    if (this.confirming.size > 0 || this.stopped || this.unconfirmed.size === 0) return;
    const batch = this.unconfirmed;
    this.confirming = batch;
    this.unconfirmed = new Map();
    this.hooks.confirm().then(
      () => {
        this.confirming = new Map();
        this.confirmSoon();
      },
      () => {
        this.confirming = new Map();
        if (this.stopped) return;
        this.moveToPending(batch);
        this.hooks.retry();
        this.confirmSoon();
      },
    );
  }

  private moveToPending(devices: Map<string, DeviceAddress>): void {
    for (const device of devices.values()) this.remember(this.pending, device);
  }

  /** Adds within the bound; false if the device was dropped. */
  private remember(into: Map<string, DeviceAddress>, device: DeviceAddress): boolean {
    const key = deviceKey(device);
    if (into.has(key)) return true;
    if (this.size >= this.limit) {
      this.hooks.overflow();
      return false;
    }
    into.set(key, device);
    return true;
  }
}

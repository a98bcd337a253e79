/** @module bus/local/local-bus The single-process bus: a map from device to handlers. */
import {
  BusClosedError,
  deviceKey,
  type Bus,
  type BusDisconnected,
  type BusEvent,
  type BusHandler,
  type BusReconnected,
  type DeviceAddress,
  type Listenable,
  type Unsubscribe,
} from '../bus.js';

// In one process there is no transport to lose, so the health events never fire.
const never: Listenable<never> = () => () => {};

export class LocalBus implements Bus {
  private readonly handlers = new Map<string, Set<BusHandler>>();
  private closed = false;

  readonly onDidDisconnect: Listenable<BusDisconnected> = never;
  readonly onDidReconnect: Listenable<BusReconnected> = never;

  constructor(private readonly onHandlerError: (error: unknown) => void = () => {}) {}

  get connected(): boolean {
    return !this.closed;
  }

  async publish(device: DeviceAddress, event: BusEvent): Promise<void> {
    // Refused rather than dropped silently, so a publisher racing shutdown logs what it lost.
    if (this.closed) throw new BusClosedError();
    const handlers = this.handlers.get(deviceKey(device));
    if (!handlers) return;
    // Copy first: a handler may unsubscribe (a replaced connection closing) while we iterate.
    for (const handler of [...handlers]) {
      try {
        handler(event);
      } catch (error) {
        // One subscriber's bug must not stop the others, nor fail the publisher whose write is already durable.
        this.onHandlerError(error);
      }
    }
  }

  async isHeld(device: DeviceAddress): Promise<boolean> {
    return !this.closed && (this.handlers.get(deviceKey(device))?.size ?? 0) > 0;
  }

  subscribe(device: DeviceAddress, handler: BusHandler): Unsubscribe {
    if (this.closed) return () => {};
    const key = deviceKey(device);
    let set = this.handlers.get(key);
    if (!set) {
      set = new Set();
      this.handlers.set(key, set);
    }
    // Wrap so subscribing the same function twice gives two independent subscriptions.
    const entry: BusHandler = (event) => handler(event);
    set.add(entry);
    return () => {
      const current = this.handlers.get(key);
      if (!current) return;
      current.delete(entry);
      if (current.size === 0) this.handlers.delete(key);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
  }
}

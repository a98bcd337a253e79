/** @module gateway/connection-registry */
// The connections of this node, and the rule "one active connection per
// device". Taking over is announced on the bus, not done by reaching into
// a map, so the older connection is closed wherever it lives (another node
// behind the load balancer included).
import { deviceKey, type Bus, type DeviceAddress } from '../bus/bus.js';

/** What the registry needs of a connection. */
export interface RegisteredConnection {
  readonly id: string;
  /** Tells the client the server is going away and closes; resolves once closed. */
  shutdown(): Promise<void>;
  /** Pings the client; terminates it if the previous ping went unanswered. */
  heartbeat(): void;
}

export class ConnectionRegistry<C extends RegisteredConnection = RegisteredConnection> {
  private readonly open = new Set<C>();
  private readonly active = new Map<string, C>();

  constructor(private readonly bus: Bus) {}

  get size(): number {
    return this.open.size;
  }

  add(connection: C): void {
    this.open.add(connection);
  }

  /** Forgets a closed connection. */
  remove(connection: C, device?: DeviceAddress): void {
    this.open.delete(connection);
    if (device && this.active.get(deviceKey(device)) === connection) this.active.delete(deviceKey(device));
  }

  /**
   * Makes `connection` the device's connection. The caller must already be
   * subscribed to the device on the bus, so it sees (and ignores) its own event.
   */
  async claim(device: DeviceAddress, connection: C): Promise<void> {
    this.active.set(deviceKey(device), connection);
    await this.bus.publish(device, { kind: 'replaced', connectionId: connection.id });
  }

  /** The device's connection on this node, if any. */
  activeFor(device: DeviceAddress): C | undefined {
    return this.active.get(deviceKey(device));
  }

  connections(): C[] {
    return [...this.open];
  }
}

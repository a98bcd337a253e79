/** @module bus/nats/outage-guard Turns a bus's health events into the gateway's two duties: send members elsewhere, then catch up. */
// A short blip must not disconnect every member of a node (they would all
// reconnect at once, somewhere), but a node cut off for long cannot route
// takeovers or mail notifications, so its members are better served by a
// healthy node. Written against the Bus interface, so the gateway wires it
// the same way whatever the bus; the local bus simply never fires.
import type { Bus, BusDisconnected, BusReconnected, Unsubscribe } from '../bus.js';

export interface OutageGuardOptions {
  /** How long the bus may be down before the node gives up its members. */
  readonly graceMs: number;
  /**
   * The bus has been down for `graceMs`: tell every connection the server is
   * going away and close it, so clients reconnect (the load balancer sends
   * them to a healthy node). Called once per outage.
   */
  onOutage(info: BusDisconnected): void;
  /**
   * The bus is back, after a blip or a long outage: re-read every remaining
   * connection's mailbox, because notifications for it were lost meanwhile.
   */
  onRecovery(info: BusReconnected & { readonly afterOutage: boolean }): void;
}

/** Starts watching; call the result to stop (and cancel a pending grace timer). */
export function guardBusOutage(bus: Pick<Bus, 'onDidDisconnect' | 'onDidReconnect'>, options: OutageGuardOptions): Unsubscribe {
  let timer: NodeJS.Timeout | undefined;
  let gaveUp = false;
  const stopDown = bus.onDidDisconnect((info) => {
    if (timer || gaveUp) return;
    timer = setTimeout(() => {
      timer = undefined;
      gaveUp = true;
      options.onOutage(info);
    }, options.graceMs);
  });
  const stopUp = bus.onDidReconnect((info) => {
    clearTimeout(timer);
    timer = undefined;
    const afterOutage = gaveUp;
    gaveUp = false;
    options.onRecovery({ ...info, afterOutage });
  });
  return () => {
    stopDown();
    stopUp();
    clearTimeout(timer);
    timer = undefined;
  };
}

/** @module services/services The services the gateway calls, built once per server from the same store, bus and clock. */
import type { Bus } from '../bus/bus.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { ServerMetrics } from '../metrics.js';
import type { Store } from '../storage/store.js';
import { AccountsService } from './accounts.js';
import { ContactsService } from './contacts.js';
import { DeliveryService } from './delivery.js';
import { KeyPackagesService } from './key-packages.js';
import { MailNotifier } from './mail-notifier.js';
import { DEFAULT_RING_LIMIT, RingLimiter, type RingLimit } from './ring-limiter.js';
import { AdvisoryService } from './advisories.js';
import { TurnService, type TurnConfig } from './turn.js';

export interface Services {
  readonly accounts: AccountsService;
  readonly keyPackages: KeyPackagesService;
  readonly contacts: ContactsService;
  readonly delivery: DeliveryService;
  readonly turn: TurnService;
  readonly advisories: AdvisoryService;
}

export interface ServicesOptions {
  readonly store: Store;
  readonly bus: Bus;
  readonly now: Clock;
  readonly inviteOnly: boolean;
  readonly log: Logger;
  readonly metrics?: ServerMetrics;
  readonly ringLimit?: RingLimit;
  readonly turn?: TurnConfig;
}

export function createServices(options: ServicesOptions): Services {
  const { store, bus, now } = options;
  const notifier = new MailNotifier(bus, options.log, options.metrics);
  // One limiter for both ways a call can reach a member: a ring and a stranger's call request.
  const rings = new RingLimiter(options.ringLimit ?? DEFAULT_RING_LIMIT, now);
  return {
    accounts: new AccountsService(store, { inviteOnly: options.inviteOnly, now }),
    keyPackages: new KeyPackagesService(store, notifier),
    contacts: new ContactsService(store, notifier, now, rings),
    delivery: new DeliveryService(store, notifier, now, rings),
    turn: new TurnService(options.turn ?? { urls: [], ttlSeconds: 3600 }, now),
    advisories: new AdvisoryService(store),
  };
}

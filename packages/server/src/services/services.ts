/** @module services/services The services the gateway calls, built once per server from the same store, bus and clock. */
import { AnomalyKind } from '@sotto/protocol';
import type { Bus } from '../bus/bus.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { ServerMetrics } from '../metrics.js';
import { DEFAULT_RATE_RULES, RatePolicy, type RatePolicyRules } from '../rate-limits/rate-policy.js';
import type { BlobBytes } from '../blobs/blob-bytes.js';
import { PushService, type PushSettings } from '../push/push-service.js';
import type { PushSender } from '../push/push-sender.js';
import type { Store } from '../storage/store.js';
import { AccountsService } from './accounts.js';
import { AdvisoryService } from './advisories.js';
import { BlobsService, type BlobLimits } from './blobs.js';
import { AnomalyService } from './anomalies.js';
import { ContactsService } from './contacts.js';
import type { CorrelationThresholds } from './correlation.js';
import { DeliveryService } from './delivery.js';
import { DevicesService } from './devices.js';
import { IncidentDesk } from './incidents.js';
import { KeyPackagesService } from './key-packages.js';
import { LockdownService } from './lockdown.js';
import { MailNotifier } from './mail-notifier.js';
import { Restrictions } from './restrictions.js';
import { TurnService, type TurnConfig } from './turn.js';
import { GroupCallsService } from './group-calls.js';
import type { SfuControl } from '../sfu/sfu-control.js';

export interface Services {
  readonly accounts: AccountsService;
  readonly keyPackages: KeyPackagesService;
  readonly contacts: ContactsService;
  readonly delivery: DeliveryService;
  readonly devices: DevicesService;
  readonly turn: TurnService;
  readonly advisories: AdvisoryService;
  readonly lockdown: LockdownService;
  readonly anomalies: AnomalyService;
  readonly incidents: IncidentDesk;
  readonly restrictions: Restrictions;
  readonly rates: RatePolicy;
  readonly blobs: BlobsService;
  readonly push: PushService;
  readonly groupCalls: GroupCallsService;
}

export interface ServicesOptions {
  readonly store: Store;
  readonly bus: Bus;
  readonly now: Clock;
  readonly inviteOnly: boolean;
  readonly log: Logger;
  readonly metrics?: ServerMetrics;
  /** Rate limits by action and scope (default DEFAULT_RATE_RULES). */
  readonly rateRules?: RatePolicyRules;
  readonly turn?: TurnConfig;
  /** How members reach the operator, put in threat notifications. */
  readonly operatorContact?: string;
  readonly thresholds?: CorrelationThresholds;
  /** The size cap, quota and retention of files (default DEFAULT_BLOB_LIMITS). */
  readonly blobLimits?: BlobLimits;
  /** Where files' bytes live; absent: bookkeeping only (the in-memory server has no HTTP to upload over). */
  readonly blobBytes?: BlobBytes;
  /** Web Push for devices that are not connected; absent: off (push/push-service.ts). */
  readonly push?: PushSettings;
  /** How pushes are carried (default web-push over fetch); tests may give their own. */
  readonly pushSender?: PushSender;
  /** The SFU for group calls, and the URL members reach it at; absent: group calls are refused (NO_SFU). */
  /** The SFUs group calls go through (each group's room on one of them); none: group calls are refused. */
  readonly sfus?: readonly { readonly control: SfuControl; readonly memberUrl: string }[];
  /** Mail events carry the stored entry where they can (default on; ServerConfig.busEntries). */
  readonly busEntries?: boolean;
}

/** The file limits when none are given: config.ts's defaults. */
export const DEFAULT_BLOB_LIMITS: BlobLimits = { maxFileBytes: 100 * 1024 * 1024, quotaBytes: 1024 * 1024 * 1024, retentionDays: 30 };

export function createServices(options: ServicesOptions): Services {
  const { store, bus, now, log, metrics } = options;
  const push = new PushService({
    store,
    bus,
    now,
    log,
    ...(metrics ? { metrics } : {}),
    ...(options.push ? { settings: options.push } : {}),
    ...(options.pushSender ? { sender: options.pushSender } : {}),
  });
  const notifier = new MailNotifier(bus, log, metrics, push, options.busEntries ?? true);
  const restrictions = new Restrictions(store, now);
  const incidents = new IncidentDesk(store, restrictions, {
    now,
    log,
    notifier,
    ...(metrics ? { metrics } : {}),
    ...(options.operatorContact !== undefined ? { operatorContact: options.operatorContact } : {}),
  });
  const anomalies = new AnomalyService(store, incidents, { now, log, ...(options.thresholds ? { thresholds: options.thresholds } : {}) });
  // Every refusal is evidence against the sender: a flood that keeps hitting the limit gets restricted.
  const rates = new RatePolicy(store.rateLimiter(), options.rateRules ?? DEFAULT_RATE_RULES, now, (action, subject, target) => {
    metrics?.rateLimited.inc({ action });
    if (subject.account !== undefined) anomalies.observe({ username: subject.account, deviceId: subject.device ?? '' }, AnomalyKind.RATE_LIMITED, target);
  });
  const lockdown = new LockdownService(store, notifier, now);
  return {
    accounts: new AccountsService(store, { inviteOnly: options.inviteOnly, now, rates }),
    keyPackages: new KeyPackagesService(store, notifier, rates, restrictions),
    contacts: new ContactsService({ store, notifier, now, rates, restrictions, lockdown, anomalies }),
    delivery: new DeliveryService(store, notifier, now, rates, restrictions),
    devices: new DevicesService({ store, notifier, bus, now, rates, log }),
    turn: new TurnService(options.turn ?? { urls: [], ttlSeconds: 3600 }, now),
    advisories: new AdvisoryService(store),
    lockdown,
    anomalies,
    incidents,
    restrictions,
    rates,
    blobs: new BlobsService({
      store,
      now,
      rates,
      log,
      ...(options.blobLimits ?? DEFAULT_BLOB_LIMITS),
      ...(options.blobBytes ? { bytes: options.blobBytes } : {}),
    }),
    push,
    groupCalls: new GroupCallsService({ store, log, sfus: options.sfus ?? [] }),
  };
}

/**
 * @module push/push-service
 * Web Push for devices that are not connected: keeps each device's subscription (SET_PUSH_SUBSCRIPTION),
 * the server's VAPID key pair (made once, stored in the settings, the same on every node), and,
 * when mail is stored for a device that no node holds a connection of, sends it one push that says
 * nothing but "something is waiting": the constant payload PUSH_PAYLOAD, encrypted by web-push.
 *
 * Which node pushes: the node that stored the mail, and only it (it is the one that runs
 * MailNotifier.stored for that entry). Whether the device is connected anywhere is asked of the bus
 * (Bus.isHeld); the pacing (one push per device per PUSH_PACING.minGapMs, at most PUSH_PACING.budget
 * an hour) is claimed atomically in the store, so two nodes storing mail for one device at once
 * still send one push.
 */
import { ContactState, DeliveryKind, ErrorCode } from '@sotto/protocol';
import webPush from 'web-push';
import type { Bus } from '../bus/bus.js';
import type { Clock } from '../clock.js';
import { ServerError } from '../errors.js';
import { errorSummary, type Logger } from '../logger.js';
import type { ServerMetrics } from '../metrics.js';
import type { PushPacing, Store, VapidKeyPair } from '../storage/store.js';
import { deviceKey, type DeviceAddress } from '../storage/types.js';
import { checkSubscription, type EndpointPolicy, type PushSubscriptionInput } from './endpoint-rules.js';
import { WebPushSender, type PushMessage, type PushSender, type PushUrgency } from './push-sender.js';

/** The whole plaintext of every push: a version and nothing else (no sender, text, call or conversation). */
export const PUSH_PAYLOAD = '{"v":1}';
/** A day: mail older than that is still in the mailbox, and the next push or visit finds it. */
export const PUSH_TTL_SECONDS = 86_400;
/** One topic for all: an undelivered push is replaced by the next at the push service, not queued beside it. */
export const PUSH_TOPIC = 'sotto-mail';
/**
 * Mail of these kinds never wakes a device: a stranger's request (contact or call) waits, silent,
 * until the member opens the app (rule 1: a stranger reaches only the request itself), and a
 * decline or a withdrawn request is not worth waking anyone for.
 */
const SILENT_KINDS: ReadonlySet<DeliveryKind> = new Set([
  DeliveryKind.CONTACT_REQUEST,
  DeliveryKind.LINKED_CONTACT_REQUEST,
  DeliveryKind.CALL_REQUEST,
  DeliveryKind.CONTACT_DECLINED,
]);
/** One push per device per 30 s; at most 30 an hour however much mail arrives. */
export const PUSH_PACING: PushPacing = { minGapMs: 30_000, budget: 30, windowMs: 3_600_000 };

export interface PushSettings {
  /** The VAPID `sub`: a mailto: or https: URL where push services can reach the operator. */
  readonly subject: string;
  readonly endpoints: EndpointPolicy;
  readonly pacing?: PushPacing;
}

export interface PushServiceOptions {
  readonly store: Store;
  readonly bus: Bus;
  readonly now: Clock;
  readonly log: Logger;
  readonly metrics?: ServerMetrics;
  /** Absent: push is off; the hello carries no VAPID key and subscriptions are refused. */
  readonly settings?: PushSettings;
  /** Defaults to web-push over fetch. */
  readonly sender?: PushSender;
}

export class PushService {
  private keys: Promise<VapidKeyPair> | undefined;
  private readonly pending = new Set<Promise<void>>();
  private stopped = false;
  private readonly sender: PushSender;

  constructor(private readonly options: PushServiceOptions) {
    this.sender = options.sender ?? new WebPushSender();
  }

  get enabled(): boolean {
    return this.options.settings !== undefined;
  }

  /** The VAPID public key (65 bytes) for the hello, or undefined when push is off. */
  async publicKey(): Promise<Uint8Array | undefined> {
    if (!this.enabled) return undefined;
    return new Uint8Array(Buffer.from((await this.vapidKeys()).publicKey, 'base64url'));
  }

  /** SET_PUSH_SUBSCRIPTION: an empty endpoint removes the device's subscription; else it is checked and kept. */
  async subscribe(device: DeviceAddress, input: PushSubscriptionInput): Promise<void> {
    if (input.endpoint === '') {
      await this.options.store.deletePushSubscription(device);
      return;
    }
    const settings = this.options.settings;
    if (!settings) {
      throw new ServerError(ErrorCode.INVALID_ARGUMENT, 'This server sends no push notifications (its hello carried no VAPID key); send an empty endpoint, or none.');
    }
    await this.options.store.setPushSubscription(device, checkSubscription(input, settings.endpoints), this.options.now());
  }

  /**
   * Mail of `kind` was stored for `recipients` (MailNotifier.stored): wakes each one that is not
   * connected, unless the kind is silent or the recipient has blocked `from`. Returns at once; the
   * pushes go on in the background (whenIdle waits for them).
   */
  mailStored(recipients: readonly DeviceAddress[], kind: DeliveryKind | undefined, from?: string): void {
    if (!this.enabled || this.stopped || recipients.length === 0) return;
    if (kind !== undefined && SILENT_KINDS.has(kind)) return;
    const urgency: PushUrgency = kind === DeliveryKind.MLS_RING ? 'high' : 'normal';
    const unique = recipients.length === 1 ? recipients : [...new Map(recipients.map((d) => [deviceKey(d), d])).values()];
    for (const device of unique) this.track(this.wake(device, urgency, from));
  }

  /** Resolves once every push started so far has finished, answered or given up on (tests, shutdown). */
  async whenIdle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Starts no more pushes and waits for those under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.whenIdle();
  }

  private track(work: Promise<void>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  private async wake(device: DeviceAddress, urgency: PushUrgency, from: string | undefined): Promise<void> {
    const { store, bus, log, metrics } = this.options;
    const settings = this.options.settings!;
    try {
      // A blocked sender's mail (in a group the two still share) is kept, but never wakes the member.
      if (from !== undefined && from !== device.username && (await store.getContact(device.username, from))?.state === ContactState.BLOCKED) return;
      // Connected somewhere: the bus's mail event reaches it, and a push would only duplicate it.
      if (await bus.isHeld(device)) return;
      const subscription = await store.claimPush(device, this.options.now(), settings.pacing ?? PUSH_PACING);
      if (!subscription) return; // no subscription, or paced: a push went recently and covers this mail
      const keys = await this.vapidKeys();
      const message: PushMessage = {
        payload: PUSH_PAYLOAD,
        urgency,
        ttlSeconds: PUSH_TTL_SECONDS,
        topic: PUSH_TOPIC,
        vapid: { ...keys, subject: settings.subject },
      };
      const outcome = await this.sender.send(subscription, message);
      metrics?.pushes.inc({ result: outcome.kind });
      // Only the host is logged: an endpoint URL is a capability to wake this member's device.
      const host = new URL(subscription.endpoint).host;
      switch (outcome.kind) {
        case 'sent':
          return;
        case 'gone':
          await store.deletePushSubscription(device, subscription.endpoint);
          log.info({ host, status: outcome.status }, 'a push subscription has expired; deleted it');
          return;
        case 'refused':
          log.warn({ host, status: outcome.status }, 'a push service refused a push');
          return;
        case 'failed':
          log.warn({ host, reason: outcome.reason }, 'could not reach a push service');
          return;
      }
    } catch (error) {
      metrics?.pushes.inc({ result: 'failed' });
      log.warn({ err: errorSummary(error) }, 'a push could not be sent');
    }
  }

  private vapidKeys(): Promise<VapidKeyPair> {
    this.keys ??= this.options.store.vapidKeyPair(webPush.generateVAPIDKeys()).catch((error: unknown) => {
      this.keys = undefined;
      throw error;
    });
    return this.keys;
  }
}

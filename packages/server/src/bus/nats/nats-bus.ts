/** @module bus/nats/nats-bus The bus for a cluster: devices are NATS subjects, nodes are NATS connections. */
// Subscriptions: one NATS subscription per device that has a connection on
// this node, shared by that device's local handlers (a takeover on one node
// briefly has two). The alternative, one wildcard subscription per node
// with local dispatch, would make every node receive and decode every event
// of the cluster; per-device interest lets the NATS server route each event
// only to the node that holds the device, its subject index handles
// hundreds of thousands of subscriptions, and nats.js re-sends them after a
// reconnect. The price is one SUB and one UNSUB per member session.
//
// A node's own events come back through NATS too (echo), rather than being
// short-circuited locally, so every subscriber sees one order per publisher.
import { randomUUID } from 'node:crypto';
import { Events, type Msg, type NatsConnection, type NatsError, type Subscription } from 'nats';
import { missingCase } from '@sotto/protocol';
import { errorSummary, type Logger } from '../../logger.js';
import {
  BusClosedError,
  BusUnavailableError,
  type Bus,
  type BusDisconnected,
  type BusEvent,
  type BusHandler,
  type BusReconnected,
  type DeviceAddress,
  type Listenable,
  type Unsubscribe,
} from '../bus.js';
import { decodeEnvelope, encodeEnvelope } from './codec.js';
import { Emitter } from './emitter.js';
import { MailReplay } from './mail-replay.js';
import { deviceSubject } from './subject.js';

export interface NatsBusSettings {
  /** Subject namespace shared by the nodes of one deployment. */
  readonly cluster: string;
  /** How long a `replaced` event (and `flush`) may wait for the server's confirmation. */
  readonly confirmTimeoutMs: number;
  /** How many devices' mail notifications are remembered for replay after an outage. */
  readonly replayLimit: number;
  /** Closing waits this long for in-flight events to reach the server, then gives up on them. */
  readonly drainTimeoutMs: number;
}

/** The body of an isHeld request and its answer: nothing is needed but the subject. */
const PRESENCE_PROBE = new Uint8Array(0);

interface DeviceSubscription {
  readonly sub: Subscription;
  readonly handlers: Set<BusHandler>;
}

export class NatsBus implements Bus {
  /** Random per process, carried in every event, so a node can tell its own events apart in logs and handlers. */
  readonly nodeId = randomUUID();
  private readonly devices = new Map<string, DeviceSubscription>();
  private readonly downEmitter: Emitter<BusDisconnected>;
  private readonly upEmitter: Emitter<BusReconnected>;
  private readonly replay: MailReplay;
  private up = true;
  private downSince = 0;
  private dropped = 0;
  private closing: Promise<void> | undefined;

  readonly onDidDisconnect: Listenable<BusDisconnected>;
  readonly onDidReconnect: Listenable<BusReconnected>;

  constructor(
    private readonly nc: NatsConnection,
    private readonly settings: NatsBusSettings,
    private readonly log: Logger,
  ) {
    const listenerFailed = (error: unknown): void => this.log.error({ err: errorSummary(error) }, 'bus health listener failed');
    this.downEmitter = new Emitter(listenerFailed);
    this.upEmitter = new Emitter(listenerFailed);
    this.onDidDisconnect = this.downEmitter.event;
    this.onDidReconnect = this.upEmitter.event;
    this.replay = new MailReplay(settings.replayLimit, {
      confirm: () => this.flush(),
      retry: () => {
        if (this.connected) for (const device of this.replay.takePending()) this.sendMail(device);
      },
      overflow: () => {
        if (this.dropped++ === 0) this.log.warn({ limit: settings.replayLimit }, 'too many unconfirmed mail notifications; some recipients will see their mail late');
      },
    });
    this.watchStatus().catch((error: unknown) => this.log.error({ err: errorSummary(error) }, 'stopped watching the NATS connection'));
    void this.nc.closed().then((error) => {
      // With endless reconnects this only happens on a fatal error (say, revoked credentials): the node is cut off for good.
      if (this.closing) return;
      this.log.error({ err: errorSummary(error) }, 'the NATS connection closed and will not come back');
      this.markDown('the NATS connection closed');
    });
  }

  get connected(): boolean {
    return this.up && !this.closing && !this.nc.isClosed();
  }

  /** NATS subscriptions this node holds: one per device with a local subscriber. */
  get subscriptionCount(): number {
    return this.devices.size;
  }

  /** The event's envelope; a mail event whose entry the codec refuses still announces the mail, without it. */
  private encode(event: BusEvent): Uint8Array {
    try {
      return encodeEnvelope(this.nodeId, event);
    } catch (error) {
      if (event.kind !== 'mail' || event.entry === undefined) throw error;
      return encodeEnvelope(this.nodeId, { kind: 'mail' });
    }
  }

  async publish(device: DeviceAddress, event: BusEvent): Promise<void> {
    if (this.closing) throw new BusClosedError();
    // Everything up to the first await runs in call order, so publishes leave in the order they were made.
    const data = this.encode(event);
    if (!this.connected) {
      if (event.kind === 'mail') return this.replay.held(device);
      throw new BusUnavailableError(`NATS is unreachable; the ${event.kind} event was not sent.`);
    }
    try {
      this.nc.publish(deviceSubject(this.settings.cluster, device), data);
    } catch (error) {
      throw new BusUnavailableError(`NATS refused the ${event.kind} event.`, { cause: error });
    }
    switch (event.kind) {
      case 'mail':
        this.replay.sent(device);
        return;
      case 'notice':
        // Advisory (key packages low): the next claim sends another, and the next hello reports the count.
        return;
      case 'removed':
      case 'replaced':
        // "One connection per device" (and "no connection of a removed device") needs the older connection, wherever it is, to hear of this before the caller goes on.
        await this.flush();
        return;
      default:
        throw missingCase(event);
    }
  }

  /**
   * A request on the device's subject: a node holding the device answers it (dispatch), and with
   * none NATS answers "no responders" at once, so the usual cost is one round-trip.
   */
  async isHeld(device: DeviceAddress): Promise<boolean> {
    if (!this.connected) return false;
    try {
      await this.nc.request(deviceSubject(this.settings.cluster, device), PRESENCE_PROBE, { timeout: this.settings.confirmTimeoutMs });
      return true;
    } catch {
      // "No responders" (nobody holds it), a timeout or a dropped link: the caller treats all as "not held".
      return false;
    }
  }

  subscribe(device: DeviceAddress, handler: BusHandler): Unsubscribe {
    if (this.closing) return () => {};
    const subject = deviceSubject(this.settings.cluster, device);
    let entry = this.devices.get(subject);
    if (!entry) {
      const handlers = new Set<BusHandler>();
      let sub: Subscription;
      try {
        // A callback, not an async iterator: dispatch happens as the bytes are parsed, in order, before a later PONG resolves `flush`.
        sub = this.nc.subscribe(subject, { callback: (error, msg) => this.dispatch(handlers, error, msg) });
      } catch (error) {
        // Only when the connection closed for good; `onDidDisconnect` has fired and the gateway is closing connections.
        this.log.error({ err: errorSummary(error) }, 'could not subscribe a device');
        return () => {};
      }
      entry = { sub, handlers };
      this.devices.set(subject, entry);
    }
    const current = entry;
    // Wrapped, so subscribing one function twice gives two independent subscriptions.
    const wrapped: BusHandler = (event) => handler(event);
    current.handlers.add(wrapped);
    return () => {
      if (!current.handlers.delete(wrapped) || current.handlers.size > 0) return;
      if (this.devices.get(subject) === current) this.devices.delete(subject);
      if (!this.closing && !this.nc.isClosed()) current.sub.unsubscribe();
    };
  }

  /**
   * One round-trip to the NATS server: resolves once it has everything this
   * node published before, and once everything it routed to this node before
   * has been dispatched to handlers (on a single server; across a NATS
   * cluster only the first half holds).
   */
  async flush(): Promise<void> {
    if (this.closing) throw new BusClosedError();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.settings.confirmTimeoutMs} ms`)), this.settings.confirmTimeoutMs);
    });
    try {
      await Promise.race([this.nc.flush(), timeout]);
    } catch (error) {
      throw new BusUnavailableError('NATS did not confirm the event.', { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    // `closing` is set before anything else, so no handler runs from here on, even for events already received.
    this.devices.clear();
    this.downEmitter.clear();
    this.upEmitter.clear();
    if (this.replay.size > 0) this.log.info({ devices: this.replay.size }, 'closing with unconfirmed mail notifications; those devices read their mailboxes on their next connection');
    this.replay.stop();
    if (this.nc.isClosed()) return;
    // Cut off, there is nothing to drain into: close at once.
    if (this.up) {
      let timer: NodeJS.Timeout | undefined;
      try {
        // Drain: unsubscribe everything, then send what is still buffered, then close.
        await Promise.race([
          this.nc.drain(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('drain timed out')), this.settings.drainTimeoutMs);
          }),
        ]);
      } catch (error) {
        this.log.warn({ err: errorSummary(error) }, 'could not drain the NATS connection; closing it');
      } finally {
        clearTimeout(timer);
      }
    }
    // Always, because nats.js 2.29 resolves drain() without closing when its final flush fails
    // (the link dropped meanwhile), and would then go on reconnecting forever.
    if (!this.nc.isClosed()) await this.nc.close();
  }

  private dispatch(handlers: ReadonlySet<BusHandler>, error: NatsError | null, msg: Msg): void {
    if (this.closing) return;
    if (error) {
      this.log.error({ err: errorSummary(error) }, 'a device subscription failed');
      return;
    }
    // Only isHeld asks for an answer; events are published without a reply subject.
    if (msg.reply) {
      if (handlers.size > 0) msg.respond(PRESENCE_PROBE);
      return;
    }
    const decoded = decodeEnvelope(msg.data);
    if (!decoded.ok) {
      // Whoever else can publish on our subjects must not reach the gateway's handlers with garbage.
      this.log.warn({ reason: decoded.reason, bytes: msg.data.length }, 'dropped a malformed bus event');
      return;
    }
    // Copy first: a handler may unsubscribe (a replaced connection closing) while we iterate.
    for (const handler of [...handlers]) {
      try {
        handler(decoded.envelope.event);
      } catch (handlerError) {
        // One subscriber's bug must not stop the others, nor the NATS connection's read loop.
        this.log.error({ err: errorSummary(handlerError) }, 'bus subscriber failed');
      }
    }
  }

  private sendMail(device: DeviceAddress): void {
    try {
      this.nc.publish(deviceSubject(this.settings.cluster, device), encodeEnvelope(this.nodeId, { kind: 'mail' }));
      this.replay.sent(device);
    } catch {
      this.replay.held(device);
    }
  }

  private async watchStatus(): Promise<void> {
    // The iterator ends when the connection closes.
    for await (const status of this.nc.status()) {
      switch (status.type) {
        case Events.Disconnect:
          this.markDown('lost the connection to the NATS server');
          break;
        case Events.Reconnect:
          this.markUp();
          break;
        case Events.LDM:
          this.log.info('the NATS server is shutting down (lame duck mode); reconnecting elsewhere');
          break;
        case Events.Error:
          this.log.warn({ detail: String(status.data) }, 'NATS reported an error');
          break;
        default:
          // Updates to the server list and debug events (pings, reconnect attempts) need nothing from us.
          break;
      }
    }
  }

  private markDown(reason: string): void {
    if (!this.up || this.closing) return;
    this.up = false;
    this.downSince = Date.now();
    this.replay.lost();
    this.log.warn({ reason }, 'cut off from NATS: events to and from this node are not routed');
    this.downEmitter.fire({ reason });
  }

  private markUp(): void {
    if (this.up || this.closing) return;
    this.up = true;
    const downMs = Date.now() - this.downSince;
    const replayed = this.replay.takePending();
    for (const device of replayed) this.sendMail(device);
    this.log.info({ downMs, replayed: replayed.length, dropped: this.dropped }, 'reconnected to NATS');
    this.dropped = 0;
    this.upEmitter.fire({ downMs });
  }
}

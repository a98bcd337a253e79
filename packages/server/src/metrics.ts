/** @module metrics Prometheus metrics on a registry of the server's own, so several servers in one process (tests) do not collide. */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ServerMetrics {
  readonly registry: Registry;
  /** Open, authenticated or not, WebSocket connections. */
  readonly connections: Gauge;
  readonly framesReceived: Counter<'type'>;
  /** Error responses sent, by wire error code name (e.g. STALE_EPOCH). */
  readonly errors: Counter<'code'>;
  /** Mailbox entries written: one per recipient device. */
  readonly messagesStored: Counter;
  /** DELIVERY frames sent (redeliveries included). */
  readonly mailboxDeliveries: Counter;
  /** Entries the delivery pumps took from the notification that carried them, without reading the mailbox. */
  readonly mailboxCarried: Counter;
  /** Mailbox reads by the delivery pumps: a notification without its entry, a gap, a reconnect, a retry. */
  readonly mailboxReads: Counter;
  readonly requestDuration: Histogram<'type'>;
  /** Actions refused by a rate limit, by action (register, contactRequest, claim, ring, message). */
  readonly rateLimited: Counter<'action'>;
  /** Incidents opened by correlation, by rule: alert on any increase. */
  readonly incidentsOpened: Counter<'rule'>;
  /** Error answers not sent, by code: frames over the frame rate beyond one RATE_LIMITED answer a second. */
  readonly answersDropped: Counter<'code'>;
  /** Connections closed with 4004, by reason: `refusals` (flooding) or `stalled` (not reading). */
  readonly floodCloses: Counter<'reason'>;
  /** Times a connection stopped reading because its client was not taking its answers. */
  readonly backlogFull: Counter;
  /** Connections and upgrades refused at the door, by reason (`address`, `total`, `origin`). */
  readonly connectionsRefused: Counter<'reason'>;
  /** HTTP requests answered 4xx for a client's mistake, by code (`INVALID_JSON`, `BODY_TOO_LARGE`...). */
  readonly httpClientErrors: Counter<'code'>;
  /** Web Push messages attempted, by result: sent, gone (404/410: subscription deleted), refused (other answers), failed (no answer). */
  readonly pushes: Counter<'result'>;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): ServerMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'sotto_' });
  return {
    registry,
    connections: new Gauge({ name: 'sotto_connections', help: 'Open WebSocket connections.', registers: [registry] }),
    framesReceived: new Counter({
      name: 'sotto_frames_received_total',
      help: 'Frames received from clients, by frame type.',
      labelNames: ['type'],
      registers: [registry],
    }),
    errors: new Counter({
      name: 'sotto_errors_total',
      help: 'Error responses sent to clients, by error code.',
      labelNames: ['code'],
      registers: [registry],
    }),
    messagesStored: new Counter({
      name: 'sotto_messages_stored_total',
      help: 'Mailbox entries stored durably (one per recipient device).',
      registers: [registry],
    }),
    mailboxDeliveries: new Counter({
      name: 'sotto_mailbox_deliveries_total',
      help: 'Mailbox entries pushed to connected devices, redeliveries included.',
      registers: [registry],
    }),
    mailboxCarried: new Counter({
      name: 'sotto_mailbox_carried_total',
      help: 'Mailbox entries a delivery pump took from the notification that carried them, without a read of the mailbox (sent unless the connection closed first).',
      registers: [registry],
    }),
    mailboxReads: new Counter({
      name: 'sotto_mailbox_reads_total',
      help: 'Reads of a mailbox by its delivery pump (a notification without its entry, a gap in the sequence, a reconnect, a retry).',
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: 'sotto_request_duration_seconds',
      help: 'Time from receiving a request frame to sending its response, by frame type.',
      labelNames: ['type'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'sotto_rate_limited_total',
      help: 'Actions refused by a rate limit, by action.',
      labelNames: ['action'],
      registers: [registry],
    }),
    incidentsOpened: new Counter({
      name: 'sotto_incidents_opened_total',
      help: 'Incidents opened by anomaly correlation, by rule. Any increase deserves an operator look: sotto admin incidents.',
      labelNames: ['rule'],
      registers: [registry],
    }),
    answersDropped: new Counter({
      name: 'sotto_answers_dropped_total',
      help: 'Error answers not sent, by error code: frames over the frame rate beyond one RATE_LIMITED answer a second per connection.',
      labelNames: ['code'],
      registers: [registry],
    }),
    floodCloses: new Counter({
      name: 'sotto_flood_closes_total',
      help: 'Connections closed with 4004, by reason: refusals (far over its limits) or stalled (stopped reading its answers).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    backlogFull: new Counter({
      name: 'sotto_backlog_full_total',
      help: 'Times a connection stopped reading because its client was not taking what the server sent it.',
      registers: [registry],
    }),
    connectionsRefused: new Counter({
      name: 'sotto_connections_refused_total',
      help: 'Connections and WebSocket upgrades refused, by reason: address (per-address cap), total (connection cap), origin (a page of another origin).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    httpClientErrors: new Counter({
      name: 'sotto_http_client_errors_total',
      help: 'HTTP requests answered 4xx for a client mistake, by code.',
      labelNames: ['code'],
      registers: [registry],
    }),
    pushes: new Counter({
      name: 'sotto_push_total',
      help: 'Web Push messages sent to the browser vendors\' push services, by result: sent, gone (the subscription was deleted), refused (another answer), failed (no answer).',
      labelNames: ['result'],
      registers: [registry],
    }),
  };
}

/** @module server */
// Wires one server together: config, store, bus, services, gateway, expiry.
// Capabilities (store, bus, logger, clock) can be injected; whatever the
// server creates itself it also closes, and nothing injected is closed.
import { join } from 'node:path';
import type { BlobBytes } from './blobs/blob-bytes.js';
import { FsBlobBytes } from './blobs/fs-blob-bytes.js';
import type { Bus } from './bus/bus.js';
import { LocalBus } from './bus/local/local-bus.js';
import { createNatsBus } from './bus/nats/create-nats-bus.js';
import { guardBusOutage } from './bus/nats/outage-guard.js';
import { systemClock, type Clock } from './clock.js';
import { DATABASE_FILE, pushSubjectOf, resolveConfig, sfuEndpoints, type ServerConfig, type ServerConfigInput } from './config.js';
import { ConfigError } from './errors.js';
import { ConnectionRegistry } from './gateway/connection-registry.js';
import type { Connection, ConnectionContext } from './gateway/connection.js';
import type { FloodLimits } from './gateway/flood-guard.js';
import type { BacklogLimits } from './gateway/write-backlog.js';
import { startGateway, WS_PATH, type Gateway } from './gateway/http-gateway.js';
import { sfuOrigin } from './gateway/web-app.js';
import type { RateLimit } from './token-bucket.js';
import { createLogger, errorSummary, type Logger } from './logger.js';
import { createMetrics, type ServerMetrics } from './metrics.js';
import { AdvisoryPusher } from './services/advisories.js';
import type { PushSender } from './push/push-sender.js';
import type { PushSettings } from './push/push-service.js';
import { ExpiryTimer } from './services/expiry.js';
import { createServices, type Services } from './services/services.js';
import { JanusSfu } from './sfu/janus-sfu.js';
import { SfuError } from './sfu/sfu-control.js';
import { DEFAULT_THRESHOLDS } from './services/correlation.js';
import { DEFAULT_RATE_RULES, mergeRateRules, NO_RATE_RULES, type RatePolicyRules } from './rate-limits/rate-policy.js';
import { PostgresStore } from './storage/postgres/postgres-store.js';
import { SqliteStore } from './storage/sqlite/sqlite-store.js';
import { prepareDataDirectory } from './storage/sqlite/data-directory.js';
import type { Store } from './storage/store.js';

export interface ServerDeps {
  /** Defaults to PostgreSQL at `config.db` when set, else SQLite at `${dataDir}/sotto.db`. */
  readonly store?: Store;
  /** Defaults to the in-process bus. */
  readonly bus?: Bus;
  /** Defaults to JSON lines on stderr at `config.logLevel`. */
  readonly logger?: Logger;
  readonly now?: Clock;
  /** Per-connection frame rate limit (default 200/s, burst 2000). */
  readonly rateLimit?: RateLimit;
  /** How long a connection may stay without a successful hello (default 30 s). */
  readonly helloTimeoutMs?: number;
  /** What a connection may hold for its client, and how long it may stall (gateway/write-backlog.ts). */
  readonly backlogLimits?: BacklogLimits;
  /** How many refused frames make a connection a flood (gateway/flood-guard.ts). */
  readonly floodLimits?: FloodLimits;
  /** How often to look for newly published advisories (default 5 s). */
  readonly advisoryPollMs?: number;
  /**
   * Where files' bytes live. startServer defaults it to the store's own for PostgreSQL (every
   * node serves every file) and to `${dataDir}/blobs` otherwise; the in-memory server has none.
   */
  readonly blobBytes?: BlobBytes;
  /** How long a request may take to arrive (default gateway's REQUEST_TIMEOUT_MS). */
  readonly requestTimeoutMs?: number;
  /** How Web Push messages are carried (default web-push over fetch). */
  readonly pushSender?: PushSender;
}

export interface RunningServer {
  /** `http://host:port`: health and metrics live here. */
  readonly url: string;
  /** `ws://host:port/v1/ws`: where clients connect. */
  readonly wsUrl: string;
  readonly port: number;
  readonly config: ServerConfig;
  readonly store: Store;
  readonly metrics: ServerMetrics;
  /** Notifies and closes every connection, stops listening, and closes what the server created. */
  close(): Promise<void>;
}

/** The directory under `dataDir` holding files' bytes on a single node (blobs/fs-blob-bytes.ts). */
export const BLOBS_DIRECTORY = 'blobs';

export async function startServer(input: ServerConfigInput, deps: ServerDeps = {}): Promise<RunningServer> {
  const config = resolveConfig(input);
  const log = deps.logger ?? createLogger('server', { level: config.logLevel });
  const now = deps.now ?? systemClock;
  const owned: { close(): Promise<void> }[] = [];

  let store = deps.store;
  if (!store) {
    store = await openStore(config, createLogger('storage', { parent: log }));
    owned.push(store);
  }
  let bus = deps.bus;
  if (!bus) {
    const busLog = createLogger('bus', { parent: log });
    try {
      bus = config.bus
        ? await createNatsBus(config.bus, { logger: busLog })
        : new LocalBus((error) => busLog.error({ err: errorSummary(error) }, 'bus subscriber failed'));
    } catch (error) {
      for (const resource of owned) await resource.close();
      throw error;
    }
    owned.unshift(bus);
  }

  const blobBytes = deps.blobBytes ?? (store instanceof PostgresStore ? store.blobBytes() : new FsBlobBytes(join(config.dataDir, BLOBS_DIRECTORY)));
  const core = createServerCore(config, store, bus, log, { ...deps, blobBytes }, now);
  const { services, registry, metrics, expiry } = core;
  const closeOwned = async (): Promise<void> => {
    await core.stop();
    for (const resource of owned) await resource.close();
  };

  let gateway: Gateway;
  try {
    gateway = await startGateway({
      host: config.host,
      port: config.port,
      context: core.context,
      metrics,
      log: createLogger('http', { parent: log }),
      ...(config.webRoot !== undefined ? { webRoot: config.webRoot } : {}),
      // Members' browsers reach the SFU for group calls: its origin, and no other, joins connect-src.
      webConnectTo: sfuEndpoints(config).map((sfu) => sfuOrigin(sfu.publicUrl)).filter((origin): origin is string => origin !== undefined),
      trustProxy: config.trustProxy,
      maxConnectionsPerAddress: config.maxConnectionsPerAddress,
      ...(config.maxConnections !== undefined ? { maxConnections: config.maxConnections } : {}),
      ...(deps.requestTimeoutMs !== undefined ? { requestTimeoutMs: deps.requestTimeoutMs } : {}),
    });
  } catch (error) {
    await closeOwned();
    throw listenRefusal(error, config);
  }
  expiry.start();
  services.groupCalls.start();
  const advisoryLog = createLogger('advisories', { parent: log });
  const pusher = new AdvisoryPusher(
    services.advisories,
    (key, advisory) => {
      const connections = registry.connections();
      for (const connection of connections) connection.pushAdvisory(key, advisory);
      advisoryLog.info({ devices: connections.length }, 'pushed a new advisory');
    },
    (error) => advisoryLog.warn({ err: errorSummary(error) }, 'could not read advisories'),
  );
  pusher.start(deps.advisoryPollMs);
  const stopGuard = watchBus(bus, registry, createLogger('cluster', { parent: log }));

  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  log.info({ port: gateway.port, store: store.kind, push: services.push.enabled }, 'listening');
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${gateway.port}`,
    wsUrl: `ws://${host}:${gateway.port}${WS_PATH}`,
    port: gateway.port,
    config,
    store,
    metrics,
    close() {
      closing ??= (async () => {
        log.info('shutting down');
        stopGuard();
        pusher.stop();
        await gateway.close();
        await closeOwned();
      })();
      return closing;
    },
  };
}

/** The server without its listener: what every connection runs against, on a store and a bus. */
export interface ServerCore {
  readonly services: Services;
  readonly registry: ConnectionRegistry<Connection>;
  readonly metrics: ServerMetrics;
  readonly expiry: ExpiryTimer;
  /** What each connection is given, whatever its socket (gateway/connection.ts). */
  readonly context: ConnectionContext;
  /** Stops the core's own timers (expiry, anomaly correlation); closes neither store nor bus. */
  stop(): Promise<void>;
}

/**
 * Wires the services, the connection registry and the connection context over a store and a bus.
 * Both the listening server and the in-memory one (in-memory-server.ts) are this plus a door.
 */
export function createServerCore(config: ServerConfig, store: Store, bus: Bus, log: Logger, deps: ServerDeps = {}, now: Clock = systemClock): ServerCore {
  const metrics = createMetrics();
  const push = pushSettings(config, log);
  const sfus = sfuControls(config, log);
  const services = createServices({
    store,
    bus,
    now,
    inviteOnly: config.inviteOnly,
    busEntries: config.busEntries,
    log: createLogger('services', { parent: log }),
    metrics,
    rateRules: rateRules(config),
    ...(config.operatorContact ? { operatorContact: config.operatorContact } : {}),
    thresholds: { ...DEFAULT_THRESHOLDS, freshAccountMs: config.freshAccountHours * 3_600_000 },
    turn: { urls: config.turnUrls, ttlSeconds: config.turnTtlSeconds, ...(config.turnSecret === undefined ? {} : { secret: config.turnSecret }) },
    blobLimits: { maxFileBytes: config.maxFileBytes, quotaBytes: config.fileQuotaBytes, retentionDays: config.retentionDays },
    ...(deps.blobBytes ? { blobBytes: deps.blobBytes } : {}),
    ...(push ? { push } : {}),
    ...(deps.pushSender ? { pushSender: deps.pushSender } : {}),
    // Members reach Janus's WebSocket API (through the operator's proxy), with tokens that open one room each.
    ...(sfus.length > 0 ? { sfus } : {}),
  });
  const registry = new ConnectionRegistry<Connection>(bus);
  const expiry = new ExpiryTimer(store, { retentionDays: config.retentionDays, now, log: createLogger('expiry', { parent: log }), blobs: services.blobs });
  const context: ConnectionContext = {
    services,
    store,
    bus,
    registry,
    metrics,
    log: createLogger('gateway', { parent: log }),
    ...(deps.rateLimit ? { rateLimit: deps.rateLimit } : {}),
    ...(deps.helloTimeoutMs ? { helloTimeoutMs: deps.helloTimeoutMs } : {}),
    ...(deps.backlogLimits ? { backlogLimits: deps.backlogLimits } : {}),
    ...(deps.floodLimits ? { floodLimits: deps.floodLimits } : {}),
  };
  return {
    services,
    registry,
    metrics,
    expiry,
    context,
    async stop() {
      await expiry.stop();
      await services.groupCalls.stop();
      await services.anomalies.stop();
      await services.push.stop();
      await Promise.all(sfus.map((sfu) => sfu.control.close()));
    },
  };
}

/**
 * The SFUs for group calls, when the operator gave any (`--sfu`, one or several). Each is dialled
 * at once so a wrong address or secret shows in the log at start-up; the server starts either
 * way, rooms go to the SFUs that answer, and group calls are refused with NO_SFU while none can
 * be reached (1:1 calls never need one). Members reach each at its public URL, with tokens that
 * open one room each.
 */
function sfuControls(config: ServerConfig, log: Logger): { control: JanusSfu; memberUrl: string }[] {
  const secret = config.sfuSecret;
  if (secret === undefined) return [];
  return sfuEndpoints(config).map((endpoint, index) => {
    const sfuLog = createLogger('sfu', { parent: log }).child({ sfu: index });
    const control = new JanusSfu({ url: endpoint.url, secret, logger: sfuLog });
    control.start().then(
      () => sfuLog.info('connected to the SFU'),
      (error: unknown) => sfuLog.warn({ problem: error instanceof SfuError ? error.problem : 'unknown' }, 'the SFU cannot be reached yet; group calls go to the others, or are refused until one can be'),
    );
    return { control, memberUrl: endpoint.publicUrl };
  });
}

/**
 * Web Push is on by default, but only with a VAPID subject: the push services (Apple's refuses
 * pushes without one) use it to reach whoever sends pushes, and an operator who gave no way to be
 * reached gets push off, said once in the log, rather than pushes that the services may drop.
 */
function pushSettings(config: ServerConfig, log: Logger): PushSettings | undefined {
  if (!config.push) {
    log.info('Web Push is off (--no-push)');
    return undefined;
  }
  const subject = pushSubjectOf(config);
  if (subject === undefined) {
    log.info('Web Push is off: it needs --push-subject mailto:you@example.org, or an --operator-contact that is an email address or a mailto:/https: URL');
    return undefined;
  }
  return { subject, endpoints: { hosts: config.pushEndpoints, allowLoopback: config.pushAllowLoopback } };
}

/**
 * PostgreSQL when `config.db` is set, else SQLite in `dataDir`. An unreachable
 * database rejects here, before anything listens, with a message naming
 * host and port (never the password).
 */
async function openStore(config: ServerConfig, log: Logger): Promise<Store> {
  if (config.db !== undefined) {
    return PostgresStore.connect(config.db, {
      onIdleError: (error) => log.warn({ err: errorSummary(error) }, 'an idle PostgreSQL connection failed; the pool replaces it'),
      onDatabaseWarning: (warning) => log.warn(warning),
    });
  }
  // Made owner-only; a path that cannot hold a database (a file, /proc, a link to nothing) fails here, named.
  prepareDataDirectory(config.dataDir);
  return new SqliteStore({ path: join(config.dataDir, DATABASE_FILE), synchronous: config.syncMode });
}

/** Why the server could not listen, as the host and port it was given and the cause in words; other errors as they are. */
function listenRefusal(error: unknown, config: ServerConfig): unknown {
  const { code, syscall } = (error ?? {}) as { code?: unknown; syscall?: unknown };
  if ((syscall !== 'listen' && syscall !== 'getaddrinfo') || typeof code !== 'string') return error;
  const causes: Record<string, string> = {
    EADDRINUSE: 'the port is in use by another process',
    EADDRNOTAVAIL: "the address is not one of this machine's",
    EACCES: 'permission denied (ports below 1024 need privileges)',
    ENOTFOUND: 'the host name does not resolve',
  };
  // Say which setting to change: the operator typed a flag (or set SOTTO_PORT / SOTTO_HOST), not "config.port".
  const remedy = code === 'EADDRINUSE' || code === 'EACCES'
    ? ' Choose another port with --port (or SOTTO_PORT), or stop the other process.'
    : ' Choose another address with --host (or SOTTO_HOST).';
  return new ConfigError(`Cannot listen on ${config.host}:${config.port}: ${causes[code] ?? 'the system refused'} (${code}).${remedy}`);
}

/** The configured limits: the defaults with the ring limit from `ringsPerMinute`, or none at all. */
function rateRules(config: ServerConfig): RatePolicyRules {
  if (!config.rateLimits) return NO_RATE_RULES;
  const perMinute = config.ringsPerMinute;
  return mergeRateRules({
    ring: {
      ...DEFAULT_RATE_RULES.ring,
      account: { limit: perMinute, periodMs: 60_000, burst: perMinute },
      device: { limit: perMinute, periodMs: 60_000, burst: perMinute },
    },
  });
}

/** How long a node may lose its bus before it hands its members to other nodes. */
const BUS_GRACE_MS = 10_000;
/** Cluster nodes re-read every mailbox this often, in case a notification was lost with a node. */
const SAFETY_REPUMP_MS = 60_000;

/**
 * Cluster duties that follow from the bus being a network: when it has been
 * down for a while, tell the members and close their connections so they
 * reconnect (through the load balancer) to a node that can route; when it is
 * back, re-read every mailbox. A slow periodic re-read also covers a node
 * that died between storing a message and announcing it.
 */
function watchBus(bus: Bus, registry: ConnectionRegistry<Connection>, log: Logger): () => void {
  if (bus instanceof LocalBus) return () => undefined;
  const stopGuard = guardBusOutage(bus, {
    graceMs: BUS_GRACE_MS,
    onOutage: () => {
      log.warn({ connections: registry.size }, 'lost the bus; handing members to other nodes');
      for (const connection of registry.connections()) void connection.shutdown();
    },
    onRecovery: ({ afterOutage }) => {
      log.info({ afterOutage }, 'bus is back; re-reading mailboxes');
      for (const connection of registry.connections()) connection.repump();
    },
  });
  const timer = setInterval(() => {
    for (const connection of registry.connections()) connection.repump();
  }, SAFETY_REPUMP_MS);
  timer.unref();
  return () => {
    stopGuard();
    clearInterval(timer);
  };
}

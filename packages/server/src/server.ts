/** @module server */
// Wires one server together: config, store, bus, services, gateway, expiry.
// Capabilities (store, bus, logger, clock) can be injected; whatever the
// server creates itself it also closes, and nothing injected is closed.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Bus } from './bus/bus.js';
import { LocalBus } from './bus/local/local-bus.js';
import { systemClock, type Clock } from './clock.js';
import { DATABASE_FILE, resolveConfig, type ServerConfig, type ServerConfigInput } from './config.js';
import { ConnectionRegistry } from './gateway/connection-registry.js';
import type { Connection } from './gateway/connection.js';
import { startGateway, WS_PATH, type Gateway } from './gateway/http-gateway.js';
import type { RateLimit } from './gateway/token-bucket.js';
import { createLogger, errorSummary, type Logger } from './logger.js';
import { createMetrics, type ServerMetrics } from './metrics.js';
import { ExpiryTimer } from './services/expiry.js';
import { createServices } from './services/services.js';
import { PostgresStore } from './storage/postgres/postgres-store.js';
import { SqliteStore } from './storage/sqlite/sqlite-store.js';
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
    bus = new LocalBus((error) => busLog.error({ err: errorSummary(error) }, 'bus subscriber failed'));
    owned.unshift(bus);
  }

  const metrics = createMetrics();
  const services = createServices({ store, bus, now, inviteOnly: config.inviteOnly, log: createLogger('services', { parent: log }), metrics });
  const registry = new ConnectionRegistry<Connection>(bus);
  const expiry = new ExpiryTimer(store, { retentionDays: config.retentionDays, now, log: createLogger('expiry', { parent: log }) });
  const closeOwned = async (): Promise<void> => {
    await expiry.stop();
    for (const resource of owned) await resource.close();
  };

  let gateway: Gateway;
  try {
    gateway = await startGateway({
      host: config.host,
      port: config.port,
      context: {
        services,
        store,
        bus,
        registry,
        metrics,
        log: createLogger('gateway', { parent: log }),
        ...(deps.rateLimit ? { rateLimit: deps.rateLimit } : {}),
        ...(deps.helloTimeoutMs ? { helloTimeoutMs: deps.helloTimeoutMs } : {}),
      },
      metrics,
      log: createLogger('http', { parent: log }),
    });
  } catch (error) {
    await closeOwned();
    throw error;
  }
  expiry.start();

  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  log.info({ port: gateway.port, store: store.kind }, 'listening');
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
        await gateway.close();
        await closeOwned();
      })();
      return closing;
    },
  };
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
    });
  }
  // Owner-only: the directory holds every undelivered (encrypted) message and the account list.
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  return new SqliteStore({ path: join(config.dataDir, DATABASE_FILE), synchronous: config.syncMode });
}

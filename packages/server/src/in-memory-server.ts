/**
 * @module in-memory-server
 * The server core with no network: SQLite in memory, the in-process bus, and connections made of
 * in-memory socket pairs (gateway/in-memory-socket.ts) instead of a listener. Each connection runs
 * the same protocol session (gateway/connection.ts) as one over `ws`, so a test can drive real
 * clients against it in one process. What it leaves out is the door: HTTP, origin and connection
 * caps, the heartbeat (an in-memory link cannot die), and advisory pushes (advisories reach
 * clients at hello). Exported as `@sotto/server/in-memory`.
 */
import { LocalBus } from './bus/local/local-bus.js';
import type { Clock } from './clock.js';
import { resolveConfig, type ServerConfig, type ServerConfigInput } from './config.js';
import { Connection } from './gateway/connection.js';
import { MAX_MESSAGE_BYTES, WS_PATH } from './gateway/http-gateway.js';
import { socketPair, type ClientEnd, type ClientEndHandlers } from './gateway/in-memory-socket.js';
import { createLogger, errorSummary, type Logger } from './logger.js';
import type { ServerMetrics } from './metrics.js';
import { createServerCore, type ServerDeps } from './server.js';
import { SqliteStore } from './storage/sqlite/sqlite-store.js';
import type { Store } from './storage/store.js';

/** The address clients are given; any other is refused, as an unknown host would be. */
export const IN_MEMORY_URL = 'http://sotto.in-memory';
/** Where a client's WebSocket URL for IN_MEMORY_URL points (core's webSocketUrl gives this). */
const IN_MEMORY_WS_URL = `ws://sotto.in-memory${WS_PATH}`;

/** The shape of @sotto/core's Transport (the server does not import core; the shapes meet in tests). */
export interface InMemoryTransport {
  open(url: string, handlers: ClientEndHandlers): Promise<ClientEnd>;
}

export interface InMemoryServer {
  /** The server URL to give clients (register with it). */
  readonly url: string;
  /** Opens connections to this server; give it to clients as their transport. */
  readonly transport: InMemoryTransport;
  readonly config: ServerConfig;
  readonly store: Store;
  readonly metrics: ServerMetrics;
  /** Connections open now. */
  readonly connections: number;
  /** Resolves once every Web Push started so far has been answered or given up on. */
  pushesSettled(): Promise<void>;
  /** Runs the group calls' sweep now, as if at `now` (devices gone without leaving); returns how many went. */
  sweepGroupCalls(now?: number): Promise<number>;
  /** Tells every connection the server is going away, waits for them, and closes store and bus. */
  close(): Promise<void>;
}

export interface InMemoryServerOptions extends Pick<ServerDeps, 'rateLimit' | 'helloTimeoutMs' | 'backlogLimits' | 'floodLimits' | 'pushSender'> {
  /** Settings as `sotto serve` takes them (dataDir is not needed). */
  readonly config?: Partial<ServerConfigInput>;
  /** Defaults to a logger that writes nothing. */
  readonly logger?: Logger;
  readonly now?: Clock;
  /** The address connections come from, for limits by address (default: none, as from loopback). */
  readonly clientAddress?: string;
}

export function startInMemoryServer(options: InMemoryServerOptions = {}): InMemoryServer {
  const config = resolveConfig({ dataDir: ':memory:', ...options.config });
  const log = options.logger ?? createLogger('server', { level: 'silent' });
  const store = new SqliteStore({ path: ':memory:' });
  const bus = new LocalBus((error) => log.error({ err: errorSummary(error) }, 'bus subscriber failed'));
  const core = createServerCore(config, store, bus, log, options, options.now);
  let closing: Promise<void> | undefined;
  // A listening server keeps the process alive, and its connections' timers (the stall watch, the
  // close grace) are unref'd on that account; until it is closed, this one does the same.
  const keepAlive = setInterval(() => undefined, 2 ** 30);

  const transport: InMemoryTransport = {
    async open(url, handlers) {
      if (closing) throw new Error('The in-memory server is closed.');
      if (url !== IN_MEMORY_WS_URL) throw new Error(`No in-memory server at ${url}; it is at ${IN_MEMORY_WS_URL}.`);
      const { server, client } = socketPair(handlers, {
        maxMessageBytes: MAX_MESSAGE_BYTES,
        ...(options.clientAddress !== undefined ? { remoteAddress: options.clientAddress } : {}),
      });
      new Connection(server, core.context);
      return client;
    },
  };

  return {
    url: IN_MEMORY_URL,
    transport,
    config,
    store,
    metrics: core.metrics,
    get connections() {
      return core.registry.size;
    },
    pushesSettled() {
      return core.services.push.whenIdle();
    },
    sweepGroupCalls(now) {
      return core.services.groupCalls.sweep(now);
    },
    close() {
      closing ??= (async () => {
        await Promise.all(core.registry.connections().map((connection) => connection.shutdown()));
        await core.stop();
        await bus.close();
        await store.close();
        clearInterval(keepAlive);
      })();
      return closing;
    },
  };
}

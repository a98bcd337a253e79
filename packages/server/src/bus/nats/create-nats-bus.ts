/** @module bus/nats/create-nats-bus Connects a node to NATS and returns its bus; what the server wires in cluster mode. */
import { hostname } from 'node:os';
import { connect, type NatsConnection } from 'nats';
import { createLogger, type Logger } from '../../logger.js';
import { BusUnavailableError } from '../bus.js';
import { NatsBus } from './nats-bus.js';
import { checkClusterName } from './subject.js';

export interface NatsBusOptions {
  /**
   * Subject namespace: nodes route to each other only within one cluster
   * name, so several deployments (or test runs) can share a NATS server.
   * Letters, digits, '-' and '_'. Default `sotto`.
   */
  readonly cluster?: string;
  /** This node's connection name in NATS monitoring. Default `sotto@<hostname>`. */
  readonly name?: string;
  /** Default: a `bus` scope on stderr. */
  readonly logger?: Logger;
  /** How long the first connection may take. Default 5 s. */
  readonly connectTimeoutMs?: number;
  /** How long a `replaced` event waits for the server's confirmation. Default 2 s. */
  readonly confirmTimeoutMs?: number;
  /**
   * How often the client pings the server; two unanswered pings mark the
   * connection dead. Default 10 s (nats.js defaults to 2 min, far too long
   * to notice a half-open connection).
   */
  readonly pingIntervalMs?: number;
  /** Pause between reconnect attempts to the same server. Default 1 s. */
  readonly reconnectWaitMs?: number;
}

/**
 * Connects to NATS at `url` (several servers: comma-separated) and returns
 * the node's bus. Reconnects forever once connected; the bus reports
 * outages with `onDidDisconnect` / `onDidReconnect`. Rejects with
 * `BusUnavailableError` ("cannot reach NATS at …") if the first connection fails.
 */
export async function createNatsBus(url: string, options: NatsBusOptions = {}): Promise<NatsBus> {
  // Checked first: a bad name is a configuration mistake, not an outage.
  const cluster = checkClusterName(options.cluster ?? 'sotto');
  const log = options.logger ?? createLogger('bus');
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: url.split(',').map((server) => server.trim()),
      name: options.name ?? `sotto@${hostname()}`,
      timeout: options.connectTimeoutMs ?? 5_000,
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: options.reconnectWaitMs ?? 1_000,
      pingInterval: options.pingIntervalMs ?? 10_000,
      maxPingOut: 2,
    });
  } catch (error) {
    throw new BusUnavailableError(`cannot reach NATS at ${url}: ${describe(error)}`, { cause: error });
  }
  const bus = new NatsBus(nc, { cluster, confirmTimeoutMs: options.confirmTimeoutMs ?? 2_000, replayLimit: 100_000, drainTimeoutMs: 5_000 }, log);
  log.info({ server: nc.getServer(), cluster, node: bus.nodeId }, 'connected to NATS');
  return bus;
}

function describe(error: unknown): string {
  // nats.js errors carry terse codes ("CONNECTION_REFUSED", "TIMEOUT"); say them plainly.
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    switch (code) {
      case 'CONNECTION_REFUSED':
        return 'connection refused (is nats-server running and listening there?)';
      case 'TIMEOUT':
        return 'no answer in time';
      default:
        return error.message;
    }
  }
  return String(error);
}

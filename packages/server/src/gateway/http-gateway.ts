/** @module gateway/http-gateway */
// The network edge: Fastify for plain HTTP (health, metrics) and a `ws`
// server for the one WebSocket endpoint, `/v1/ws`. Oversized messages are
// cut off by `ws` itself (close 1009) before they are buffered whole.
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import Fastify from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_FRAME_BYTES, SOFTWARE_VERSION } from '@sotto/protocol';
import { errorSummary, type Logger } from '../logger.js';
import type { ServerMetrics } from '../metrics.js';
import { clientAddress } from '../rate-limits/address-key.js';
import { Connection, type ConnectionContext } from './connection.js';
import { serveWebApp } from './web-app.js';

export const WS_PATH = '/v1/ws';
export const HEARTBEAT_MS = 30_000;

export interface GatewayOptions {
  readonly host: string;
  readonly port: number;
  readonly context: ConnectionContext;
  readonly metrics: ServerMetrics;
  readonly log: Logger;
  readonly heartbeatMs?: number;
  /** A directory with the built web app, served at `/`; absent: no web app. */
  readonly webRoot?: string;
  /** Believe X-Forwarded-For from a loopback peer (a reverse proxy on this machine). */
  readonly trustProxy?: boolean;
}

export interface Gateway {
  /** The port actually bound (differs from the configured one when that was 0). */
  readonly port: number;
  /** Closes every connection (NOTICE SHUTTING_DOWN, then 1001) and stops listening. */
  close(): Promise<void>;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { context, metrics, log } = options;
  const app = Fastify({ logger: false });
  let closing = false;

  // Not ready without the bus: a node that cannot route must not take members (503 lets the
  // load balancer move them to another node).
  app.get('/healthz', async (_request, reply) => {
    if (!context.bus.connected) return reply.status(503).send({ status: 'unavailable', reason: 'bus', version: SOFTWARE_VERSION });
    return { status: 'ok', version: SOFTWARE_VERSION };
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  if (options.webRoot !== undefined) await serveWebApp(app, options.webRoot);
  app.setErrorHandler((error, _request, reply) => {
    log.error({ err: errorSummary(error) }, 'http handler failed');
    void reply.status(500).send({ status: 'error' });
  });

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 2 * MAX_FRAME_BYTES,
    // Compression would let a small message inflate into a large one before any limit is checked.
    perMessageDeflate: false,
  });

  // One listener for every socket, so it holds nothing of any one connection.
  const onSocketError = (error: Error) => log.debug({ err: errorSummary(error) }, 'upgrade socket error');
  const accept = (ws: WebSocket, stream: Duplex, address: string | undefined) => {
    if (closing) {
      ws.close(1001, 'server shutting down');
      return;
    }
    new Connection(ws, context, { clientAddress: address, stream });
  };

  app.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', onSocketError);
    if (closing || !context.bus.connected) return refuse(socket, 503, 'Service Unavailable');
    if (pathOf(request) !== WS_PATH) return refuse(socket, 404, 'Not Found');
    // Read now, not in the callback: no closure may keep the request (its headers, ~3 KB) alive
    // for the life of the connection, and V8 keeps a variable for every closure of a scope if one
    // of them uses it.
    const address = clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for'], options.trustProxy === true);
    wss.handleUpgrade(request, socket, head, (ws) => accept(ws, socket, address));
  });

  await app.listen({ host: options.host, port: options.port });
  const port = (app.server.address() as AddressInfo).port;

  const heartbeat = setInterval(() => {
    for (const connection of context.registry.connections()) connection.heartbeat();
  }, options.heartbeatMs ?? HEARTBEAT_MS);
  heartbeat.unref();

  return {
    port,
    async close() {
      if (closing) return;
      closing = true;
      clearInterval(heartbeat);
      await Promise.all(context.registry.connections().map((connection) => connection.shutdown()));
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await app.close();
    },
  };
}

function pathOf(request: IncomingMessage): string {
  try {
    return new URL(request.url ?? '/', 'http://localhost').pathname;
  } catch {
    return '';
  }
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** @module gateway/http-gateway */
// The network edge: Fastify for plain HTTP (health, metrics, the web app) and
// a `ws` server for the one WebSocket endpoint, `/v1/ws`. Oversized messages
// are cut off by `ws` itself (close 1009) before they are buffered whole.
// At the door: a request must arrive in full within REQUEST_TIMEOUT_MS (but for
// a file upload's streaming body, which only must not stall: blob-routes.ts); the
// sockets open at once are capped in total (under the open-file limit) and
// per client address; an upgrade from another site's page is refused.
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import Fastify from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_FRAME_BYTES, SOFTWARE_VERSION } from '@sotto/protocol';
import { errorSummary, type Logger } from '../logger.js';
import type { ServerMetrics } from '../metrics.js';
import { addressKey, clientAddress } from '../rate-limits/address-key.js';
import { Connection, type ConnectionContext } from './connection.js';
import { WsServerSocket } from './ws-socket.js';
import { ConnectionCaps, DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, totalCapFor } from './connection-caps.js';
import { answerHttpErrors, BODY_LIMIT_BYTES, errorBody, httpError, type HttpErrorAnswer } from './http-errors.js';
import { blobRoutes, isStreamingUpload } from './blob-routes.js';
import { openFileLimit } from './open-file-limit.js';
import { askedHost, isOwnOrigin } from './origin-check.js';
import { serveWebApp } from './web-app.js';

export const WS_PATH = '/v1/ws';
/** The largest WebSocket message read at all; frames are checked against their own limit after. */
export const MAX_MESSAGE_BYTES = 2 * MAX_FRAME_BYTES;
export const HEARTBEAT_MS = 30_000;
/**
 * A request, headers and body, must arrive within this, and a socket may idle no longer before
 * it becomes a WebSocket: each slow sender holds a socket, and 500 of them sending a byte every
 * 10 s were never timed out. Requests here are small (a page's GET, an upgrade); 10 s is long
 * even on a poor mobile link.
 */
export const REQUEST_TIMEOUT_MS = 10_000;
/** How often Node looks for requests past their timeout (its default, 30 s, would add up to that). */
const TIMEOUT_CHECK_MS = 1_000;

export interface GatewayOptions {
  readonly host: string;
  readonly port: number;
  readonly context: ConnectionContext;
  readonly metrics: ServerMetrics;
  readonly log: Logger;
  readonly heartbeatMs?: number;
  /** A directory with the built web app, served at `/`; absent: no web app. */
  readonly webRoot?: string;
  /** Origins the web app may connect to besides this server (the SFU's member API). */
  readonly webConnectTo?: readonly string[];
  /** Believe X-Forwarded-For and X-Forwarded-Host from a loopback peer (a reverse proxy on this machine). */
  readonly trustProxy?: boolean;
  /** Sockets one client address may hold (default DEFAULT_MAX_CONNECTIONS_PER_ADDRESS). */
  readonly maxConnectionsPerAddress?: number;
  /** Sockets the server holds at once (default: just under the open-file limit). */
  readonly maxConnections?: number;
  /** How long a request may take to arrive (default REQUEST_TIMEOUT_MS). */
  readonly requestTimeoutMs?: number;
}

export interface Gateway {
  /** The port actually bound (differs from the configured one when that was 0). */
  readonly port: number;
  /** Closes every connection (NOTICE SHUTTING_DOWN, then 1001) and stops listening. */
  close(): Promise<void>;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { context, metrics, log } = options;
  const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    requestTimeout,
    // A socket that sends nothing at all is not a request yet, so only an idle timeout ends it
    // (`ws` clears it on the sockets it takes over).
    connectionTimeout: requestTimeout,
    http: { headersTimeout: requestTimeout, connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_MS, requestTimeout) },
    clientErrorHandler: answerClientError,
  });
  let closing = false;
  const door = guardTheDoor(options);

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
  if (options.webRoot !== undefined) await serveWebApp(app, options.webRoot, options.webConnectTo ?? []);
  answerHttpErrors(app, log, metrics);
  await app.register(blobRoutes, {
    blobs: context.services.blobs,
    log,
    metrics,
    fromOwnOrigin: (request) => isOwnOrigin(request.headers.origin, askedHost(request.headers.host, request.headers['x-forwarded-host'], door.isFromTrustedProxy(request))),
  });
  // Before the body is read: a client over its share gets nothing of the server's but this answer.
  app.addHook('onRequest', async (request, reply) => {
    if (door.admitForwarded(request.raw)) return;
    const refusal = httpError('TOO_MANY_CONNECTIONS');
    return reply.status(refusal.status).header('connection', 'close').send(errorBody(refusal));
  });

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
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
    new Connection(new WsServerSocket(ws, stream, address), context);
  };

  app.server.on('connection', (socket: Socket) => door.admit(socket));
  app.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', onSocketError);
    if (closing || !context.bus.connected) return refuse(socket, httpError('UNAVAILABLE'));
    if (pathOf(request) !== WS_PATH) return refuse(socket, httpError('NOT_FOUND'));
    const fromProxy = door.isFromTrustedProxy(request);
    if (!isOwnOrigin(request.headers.origin, askedHost(request.headers.host, request.headers['x-forwarded-host'], fromProxy))) {
      metrics.connectionsRefused.inc({ reason: 'origin' });
      return refuse(socket, httpError('ORIGIN_REFUSED'));
    }
    if (!door.admitForwarded(request)) return refuse(socket, httpError('TOO_MANY_CONNECTIONS'));
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

/**
 * Node's answer to a request that broke the rules before any route saw it (Fastify's default,
 * in our error shape), except one: a file upload whose body is still streaming in is not cut
 * off by the whole-request timeout, since 100 MB takes longer than that on most links. It is
 * still ended by the socket's idle timeout if it stalls.
 */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT' && isStreamingUpload(socket as Socket)) return;
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const answer = httpError(error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'REQUEST_TIMEOUT' : error.code === 'HPE_HEADER_OVERFLOW' ? 'HEADERS_TOO_LARGE' : 'BAD_REQUEST');
  if (socket.writable) {
    const body = JSON.stringify(errorBody(answer));
    socket.write(
      `HTTP/1.1 ${answer.status} ${STATUS_TEXT[answer.status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

function pathOf(request: IncomingMessage): string {
  try {
    return new URL(request.url ?? '/', 'http://localhost').pathname;
  } catch {
    return '';
  }
}

/** Answers an upgrade with an HTTP error (the socket is not a WebSocket yet) and closes it. */
function refuse(socket: Duplex, answer: HttpErrorAnswer): void {
  const body = JSON.stringify(errorBody(answer));
  socket.end(
    `HTTP/1.1 ${answer.status} ${STATUS_TEXT[answer.status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
  503: 'Service Unavailable',
};

/** The address key a socket is counted under, once known (a direct peer at once; a proxied client at its first request). */
const countedAs = new WeakMap<Socket, string>();

/**
 * The connection caps, applied to sockets. A socket from a peer that is not loopback counts
 * against its address as it opens. A socket from a trusted proxy (loopback, with trustProxy)
 * counts against the client the proxy names in X-Forwarded-For, at its first request or upgrade;
 * loopback without a proxy's word is not limited by address (the machine itself, or a proxy whose
 * clients all share its address), only by the total.
 */
function guardTheDoor(options: GatewayOptions) {
  const caps = new ConnectionCaps({
    total: options.maxConnections ?? totalCapFor(openFileLimit() ?? Number.POSITIVE_INFINITY),
    perAddress: options.maxConnectionsPerAddress ?? DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  });
  const { metrics } = options;
  // One listener for every socket rather than a closure each: idle sockets are most of them.
  function onClose(this: Socket): void {
    caps.release();
    const address = countedAs.get(this);
    if (address !== undefined) caps.releaseFrom(address);
  }
  const isFromTrustedProxy = (request: IncomingMessage): boolean => options.trustProxy === true && addressKey(request.socket.remoteAddress) === undefined;
  return {
    isFromTrustedProxy,
    /** A new socket: counted, or destroyed at once. */
    admit(socket: Socket): void {
      if (!caps.admit()) {
        metrics.connectionsRefused.inc({ reason: 'total' });
        socket.destroy();
        return;
      }
      const address = addressKey(socket.remoteAddress);
      if (address !== undefined) {
        if (!caps.admitFrom(address)) {
          caps.release();
          metrics.connectionsRefused.inc({ reason: 'address' });
          socket.destroy();
          return;
        }
        countedAs.set(socket, address);
      }
      socket.on('close', onClose);
    },
    /** A request on a socket from the trusted proxy: counts the socket against the client it carries. False if that client has its share. */
    admitForwarded(request: IncomingMessage): boolean {
      const socket = request.socket;
      if (countedAs.has(socket) || !isFromTrustedProxy(request)) return true;
      const address = addressKey(clientAddress(socket.remoteAddress, request.headers['x-forwarded-for'], true));
      if (address === undefined) return true;
      if (!caps.admitFrom(address)) {
        metrics.connectionsRefused.inc({ reason: 'address' });
        return false;
      }
      countedAs.set(socket, address);
      return true;
    },
  };
}

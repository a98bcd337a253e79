/**
 * @module gateway/blob-routes
 * The HTTP side of files (PROTOCOL.md §13): a resumable upload in the style of tus 1.0 core,
 * written by hand because the upload is created by the CREATE_UPLOAD frame (so tus's creation
 * extension, and a tus library, would add nothing), and the download.
 *
 *   HEAD  /v1/blobs/:id  Bearer token  -> 200, Upload-Offset and Upload-Length
 *   PATCH /v1/blobs/:id  Bearer token, Upload-Offset, application/offset+octet-stream
 *                        -> 204 and the new Upload-Offset, once those bytes are durable
 *   GET   /v1/blobs/:id  (no token: the id is the capability) -> 200, or 206 for `Range: bytes=n-`
 *
 * The PATCH body is streamed into the blob's bytes, never gathered. These routes live in their own
 * Fastify scope so only they accept `application/offset+octet-stream` bodies (without the 1 MiB
 * body limit, which the server's other routes keep), and a PATCH that is streaming is exempt from
 * the whole-request timeout (http-gateway.ts), still ended by the socket's idle timeout. Logs name
 * a blob by the first 8 hex digits of its id and never carry a token.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorSummary, type Logger } from '../logger.js';
import type { ServerMetrics } from '../metrics.js';
import { blobPrefix, BlobRefusal, type BlobsService } from '../services/blobs.js';
import { errorBody, httpError, type HttpErrorCode } from './http-errors.js';

export const BLOB_ROUTE = '/v1/blobs/:id';
export const TUS_VERSION = '1.0.0';
export const UPLOAD_CONTENT_TYPE = 'application/offset+octet-stream';

export interface BlobRoutesOptions {
  readonly blobs: BlobsService;
  readonly log: Logger;
  readonly metrics: ServerMetrics;
  /** Whether a request comes from one of this server's own pages, or from no page (an app, the CLI). */
  readonly fromOwnOrigin: (request: IncomingMessage) => boolean;
}

/** Sockets whose PATCH body is being streamed into a blob now: the whole-request timeout spares them. */
const streamingUploads = new WeakSet<Socket>();

/** Whether `socket` carries a PATCH body being streamed into a blob (http-gateway.ts's timeout asks). */
export function isStreamingUpload(socket: Socket): boolean {
  return streamingUploads.has(socket);
}

const BLOB_ID = /^[0-9a-f]{32}$/;
const BEARER = /^Bearer ([A-Za-z0-9_-]{1,128})$/;
const DECIMAL = /^[0-9]{1,16}$/;
const OPEN_RANGE = /^bytes=([0-9]{1,16})-$/;

type Params = { Params: { id: string } };

/** Registers the three routes on `app` (a scope of their own: see the module comment). */
export async function blobRoutes(app: FastifyInstance, options: BlobRoutesOptions): Promise<void> {
  const { blobs, log, metrics } = options;
  // The body stays unread: the PATCH handler streams it.
  app.addContentTypeParser(UPLOAD_CONTENT_TYPE, (_request, _payload, done) => done(null));

  const refuse = (reply: FastifyReply, code: HttpErrorCode, blobId?: Uint8Array): FastifyReply => {
    const answer = httpError(code);
    metrics.httpClientErrors.inc({ code });
    if (log.isLevelEnabled('debug')) log.debug({ code, ...(blobId ? { blob: blobPrefix(blobId) } : {}) }, 'blob request refused');
    if (code === 'TOKEN_INVALID') void reply.header('www-authenticate', 'Bearer');
    return reply.status(answer.status).header('tus-resumable', TUS_VERSION).header('cache-control', 'no-store').send(errorBody(answer));
  };

  /** A refusal from the service, with the offset and size the client needs to resume. */
  const refuseFor = (reply: FastifyReply, refusal: BlobRefusal, blobId: Uint8Array): FastifyReply => {
    if (refusal.blob && (refusal.reason === 'OFFSET_MISMATCH' || refusal.reason === 'UPLOAD_COMPLETE')) {
      void reply.header('upload-offset', String(refusal.blob.offset)).header('upload-length', String(refusal.blob.size));
    }
    if (refusal.blob && refusal.reason === 'RANGE_NOT_SATISFIABLE') void reply.header('content-range', `bytes */${refusal.blob.size}`);
    return refuse(reply, refusal.reason, blobId);
  };

  /** The id and the checks every route makes first; undefined once a refusal was sent. */
  const admit = (request: FastifyRequest<Params>, reply: FastifyReply, withToken: boolean): { blobId: Uint8Array; token: string } | undefined => {
    const id = request.params.id;
    if (!BLOB_ID.test(id)) {
      refuse(reply, 'BAD_BLOB_ID');
      return undefined;
    }
    const blobId = new Uint8Array(Buffer.from(id, 'hex'));
    if (!options.fromOwnOrigin(request.raw)) {
      refuse(reply, 'FOREIGN_ORIGIN', blobId);
      return undefined;
    }
    const tus = request.headers['tus-resumable'];
    if (withToken && tus !== undefined && tus !== TUS_VERSION) {
      refuse(reply, 'TUS_VERSION', blobId);
      return undefined;
    }
    if (!withToken) return { blobId, token: '' };
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (token === undefined) {
      refuse(reply, 'TOKEN_INVALID', blobId);
      return undefined;
    }
    return { blobId, token };
  };

  app.head<Params>(BLOB_ROUTE, async (request, reply) => {
    const admitted = admit(request, reply, true);
    if (!admitted) return reply;
    try {
      const state = await blobs.status(admitted.blobId, admitted.token);
      return reply
        .status(200)
        .header('tus-resumable', TUS_VERSION)
        .header('cache-control', 'no-store')
        .header('upload-offset', String(state.offset))
        .header('upload-length', String(state.size))
        .send();
    } catch (error) {
      if (error instanceof BlobRefusal) return refuseFor(reply, error, admitted.blobId);
      throw error;
    }
  });

  app.patch<Params>(BLOB_ROUTE, async (request, reply) => {
    // Refusals close the connection: the client may still be sending a body of 100 MB, which
    // Node would otherwise read to its end to keep the connection.
    void reply.header('connection', 'close');
    const admitted = admit(request, reply, true);
    if (!admitted) return reply;
    const { blobId, token } = admitted;
    if (request.headers['content-type']?.split(';')[0]?.trim().toLowerCase() !== UPLOAD_CONTENT_TYPE) return refuse(reply, 'UNSUPPORTED_MEDIA_TYPE', blobId);
    const offsetText = request.headers['upload-offset'];
    if (typeof offsetText !== 'string' || !DECIMAL.test(offsetText)) return refuse(reply, 'BAD_UPLOAD_OFFSET', blobId);
    const lengthText = request.headers['content-length'];
    const length = lengthText !== undefined && DECIMAL.test(lengthText) ? Number(lengthText) : undefined;
    const socket = request.raw.socket;
    streamingUploads.add(socket);
    try {
      const state = await blobs.upload({ blobId, token, offset: Number(offsetText), body: request.raw, ...(length !== undefined ? { length } : {}) });
      return reply
        .status(204)
        .removeHeader('connection')
        .header('tus-resumable', TUS_VERSION)
        .header('cache-control', 'no-store')
        .header('upload-offset', String(state.offset))
        .send();
    } catch (error) {
      if (error instanceof BlobRefusal) return refuseFor(reply, error, blobId);
      if (request.raw.readableAborted || socket.destroyed) {
        // The client went away mid-body; what was made durable is kept, and HEAD says how much.
        log.info({ blob: blobPrefix(blobId), err: errorSummary(error).message }, 'upload interrupted');
        reply.hijack();
        socket.destroy();
        return reply;
      }
      throw error;
    } finally {
      streamingUploads.delete(socket);
    }
  });

  app.get<Params>(BLOB_ROUTE, { exposeHeadRoute: false }, async (request, reply) => {
    const admitted = admit(request, reply, false);
    if (!admitted) return reply;
    const range = request.headers.range;
    const start = range === undefined ? undefined : OPEN_RANGE.exec(range)?.[1];
    try {
      const { size, stream } = await blobs.download(admitted.blobId, start === undefined ? 0 : Number(start));
      const from = start === undefined ? 0 : Number(start);
      void reply
        .header('content-type', 'application/octet-stream')
        .header('content-length', String(size - from))
        .header('cache-control', 'no-store')
        .header('accept-ranges', 'bytes')
        .header('x-content-type-options', 'nosniff');
      if (start !== undefined) void reply.status(206).header('content-range', `bytes ${from}-${size - 1}/${size}`);
      return reply.send(stream);
    } catch (error) {
      if (error instanceof BlobRefusal) return refuseFor(reply, error, admitted.blobId);
      throw error;
    }
  });
}

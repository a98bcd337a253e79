/**
 * @module gateway/http-errors
 * How the HTTP side answers what went wrong: one JSON shape, `{"error":{"code","message"}}`, with a
 * stable code and words for a person. A client's mistake (a body that is not JSON, a body over
 * 1 MiB, a path that serves nothing) gets its 4xx and a debug line at most: logging it at error
 * level, with a stack, let any client fill the operator's disk. Only the server's own failures are
 * errors in the log.
 */
import type { FastifyInstance } from 'fastify';
import { errorSummary, type Logger } from '../logger.js';
import type { ServerMetrics } from '../metrics.js';

export interface HttpErrorAnswer {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/** Every code the HTTP side answers with; the codes are stable, the messages may be reworded. */
export const HTTP_ERRORS = {
  INVALID_JSON: { status: 400, message: 'The request body is not valid JSON.' },
  BAD_REQUEST: { status: 400, message: 'The request is malformed.' },
  ORIGIN_REFUSED: { status: 403, message: "WebSocket connections are accepted from this server's own pages only." },
  NOT_FOUND: { status: 404, message: 'Nothing is served at this path.' },
  BODY_TOO_LARGE: { status: 413, message: 'The request body is larger than 1 MiB.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'This path takes no body of that content type.' },
  BAD_BLOB_ID: { status: 400, message: 'A file id is 32 hexadecimal digits (16 bytes).' },
  BAD_UPLOAD_OFFSET: { status: 400, message: 'Upload-Offset must be a whole number of bytes in decimal digits.' },
  TOKEN_INVALID: { status: 401, message: 'The upload token is missing, is not the token of this file, or has expired.' },
  FOREIGN_ORIGIN: { status: 403, message: "Files are served to this server's own pages only." },
  BLOB_NOT_FOUND: { status: 404, message: 'No such file: the id is unknown, the upload is not complete, or the file has expired.' },
  OFFSET_MISMATCH: { status: 409, message: 'Upload-Offset is not where this upload stands; resume from the Upload-Offset of this answer (or of HEAD).' },
  UPLOAD_COMPLETE: { status: 409, message: 'This upload is complete; nothing more can be added to it.' },
  UPLOAD_BUSY: { status: 409, message: 'Another request is uploading to this file now; wait for it to end, then resume after HEAD.' },
  TUS_VERSION: { status: 412, message: 'This server speaks tus 1.0.0 only (Tus-Resumable: 1.0.0).' },
  UPLOAD_TOO_LARGE: { status: 413, message: 'The body is longer than what is left of the file size declared for this upload.' },
  RANGE_NOT_SATISFIABLE: { status: 416, message: 'The range starts at or past the end of the file.' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request did not arrive in time.' },
  HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are too large.' },
  INTERNAL: { status: 500, message: 'The server failed; try again later.' },
  TOO_MANY_CONNECTIONS: { status: 503, message: 'Too many connections from this address, or to this server; close some and try again later.' },
  UNAVAILABLE: { status: 503, message: 'The server is not taking connections now; try again later.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

/** The largest request body read, in bytes; anything larger is BODY_TOO_LARGE. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

export function httpError(code: HttpErrorCode): HttpErrorAnswer {
  return { code, ...HTTP_ERRORS[code] };
}

/** The JSON body of an error answer. */
export function errorBody(answer: HttpErrorAnswer): { error: { code: string; message: string } } {
  return { error: { code: answer.code, message: answer.message } };
}

/**
 * The answer to an error raised while Fastify read a request, when the client caused it; undefined
 * when it is the server's own failure.
 */
export function clientMistake(error: { readonly code?: string; readonly statusCode?: number }): HttpErrorAnswer | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return httpError('INVALID_JSON');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return httpError('BODY_TOO_LARGE');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return httpError('UNSUPPORTED_MEDIA_TYPE');
    default:
      // Anything else Fastify marks 4xx (a bad Content-Length, a malformed URL) is the client's too.
      return error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? httpError('BAD_REQUEST') : undefined;
  }
}

/** Installs the error and not-found answers on `app`. */
export function answerHttpErrors(app: FastifyInstance, log: Logger, metrics: ServerMetrics): void {
  const answer = (reply: { status(code: number): { send(body: unknown): unknown } }, error: HttpErrorAnswer) => {
    if (error.status < 500) metrics.httpClientErrors.inc({ code: error.code });
    void reply.status(error.status).send(errorBody(error));
  };
  app.setErrorHandler((error, _request, reply) => {
    const mistake = clientMistake(error as { code?: string; statusCode?: number });
    if (mistake) {
      if (log.isLevelEnabled('debug')) log.debug({ code: mistake.code }, 'http client error');
      answer(reply, mistake);
      return;
    }
    log.error({ err: errorSummary(error) }, 'http handler failed');
    answer(reply, httpError('INTERNAL'));
  });
  app.setNotFoundHandler((_request, reply) => answer(reply, httpError('NOT_FOUND')));
}

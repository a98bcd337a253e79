/** @module gateway/error-boundary */
// The one place where errors become wire errors. Errors the server means
// (ServerError, ProtocolError) keep their code and message; anything else is
// a bug or an outage and leaves as INTERNAL with a generic message, logged by
// class and stack only: no request, no payload, no names.
import { create, describeErrorCode, ErrorCode, ErrorSchema, errorCodeName, ProtocolError, type Error as WireError } from '@sotto/protocol';
import { ServerError } from '../errors.js';
import { errorSummary, type Logger } from '../logger.js';
import type { ServerMetrics } from '../metrics.js';

export function toWireError(error: unknown, log: Logger, metrics?: ServerMetrics): WireError {
  const wire = mapError(error, log);
  metrics?.errors.inc({ code: errorCodeName(wire.code) });
  return wire;
}

function mapError(error: unknown, log: Logger): WireError {
  if (error instanceof ServerError || error instanceof ProtocolError) {
    if (error.code === ErrorCode.INTERNAL) {
      // Storage outages and the like: the message is already generic, but the operator needs the cause.
      log.error({ err: errorSummary(error), cause: errorSummary(error.cause) }, 'internal error');
    }
    const retryAfterMs = error instanceof ServerError ? Math.min(error.retryAfterMs, 0xffff_ffff) : 0;
    return create(ErrorSchema, { code: error.code, message: error.message, retryAfterMs });
  }
  log.error({ err: errorSummary(error) }, 'unexpected error');
  return create(ErrorSchema, { code: ErrorCode.INTERNAL, message: describeErrorCode(ErrorCode.INTERNAL) });
}

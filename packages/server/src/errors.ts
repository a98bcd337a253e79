/**
 * @module errors
 * The server's error root. Services and storage throw `ServerError` with a
 * wire `ErrorCode`; the gateway turns it into a wire error in one place
 * (gateway/error-boundary.ts). Anything else is an internal failure.
 */
import { describeErrorCode, ErrorCode } from '@sotto/protocol';

export class ServerError extends Error {
  override readonly name: string = 'ServerError';
  /** With RATE_LIMITED: how long until the same action can succeed. */
  readonly retryAfterMs: number;
  constructor(
    readonly code: ErrorCode,
    message: string = describeErrorCode(code),
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(message, options);
    this.retryAfterMs = options?.retryAfterMs ?? 0;
  }
}

/** The epoch in a commit is not the group's current epoch: another commit won. */
export class StaleEpochError extends ServerError {
  override readonly name = 'StaleEpochError';
  constructor(readonly currentEpoch: bigint) {
    super(ErrorCode.STALE_EPOCH, `Another commit won this epoch; the group is at epoch ${currentEpoch}. Fetch it and try again.`);
  }
}

/** A storage backend failed (disk, connection): not the caller's fault. */
export class StorageUnavailableError extends ServerError {
  override readonly name = 'StorageUnavailableError';
  constructor(cause: unknown) {
    super(ErrorCode.INTERNAL, 'Storage is unavailable; nothing was changed.', { cause });
  }
}

/** A setting given to the server is invalid; raised at start-up, before anything listens. */
export class ConfigError extends ServerError {
  override readonly name = 'ConfigError';
  constructor(message: string) {
    super(ErrorCode.INVALID_ARGUMENT, message);
  }
}

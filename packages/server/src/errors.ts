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
  override readonly name: string = 'StorageUnavailableError';
  constructor(cause: unknown) {
    super(ErrorCode.INTERNAL, 'Storage is unavailable; nothing was changed.', { cause });
  }
}

/** Why a database was refused at start-up: a stable word for each cause an operator fixes differently. */
export type DatabaseProblem =
  /** Another program's database (tables, or an application id, that are not Sotto's). */
  | 'foreign'
  /** It records a migration this server does not know: a newer Sotto wrote it. */
  | 'newer'
  /** Not a SQLite database, or a damaged or truncated one. */
  | 'damaged'
  /** The path is a directory or another kind of file. */
  | 'not-a-file'
  | 'permission-denied'
  | 'read-only'
  /** Anything else: the message carries the backend's own words. */
  | 'unavailable';

/**
 * The database was refused when opened, before anything listens: `where` names it (a path, or
 * PostgreSQL's host, port and schema, never a password) and `detail` says why. The CLI prints
 * it as BAD_DATABASE.
 */
export class DatabaseRefusedError extends StorageUnavailableError {
  override readonly name = 'DatabaseRefusedError';
  constructor(
    readonly problem: DatabaseProblem,
    readonly where: string,
    /** Follows `where` in the message: "is not a Sotto database: ...". */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(options?.cause);
    this.message = `${where} ${detail}`;
  }

  /** The same refusal, named where the caller knows better (a file path, a PostgreSQL schema). */
  at(where: string): DatabaseRefusedError {
    return new DatabaseRefusedError(this.problem, where, this.detail, { cause: this.cause });
  }
}

/** A setting given to the server is invalid; raised at start-up, before anything listens. */
export class ConfigError extends ServerError {
  override readonly name = 'ConfigError';
  constructor(message: string) {
    super(ErrorCode.INVALID_ARGUMENT, message);
  }
}

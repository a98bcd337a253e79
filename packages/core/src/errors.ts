/**
 * @module errors
 * The client engine's error root. `RemoteError` carries a server's wire error;
 * the rest are local failures with a stable `code` for the CLI and UI.
 */
import { describeErrorCode, errorCodeName, type ErrorCode } from '@sotto/protocol';

export type ClientErrorCode =
  | 'NOT_REGISTERED'
  | 'ALREADY_REGISTERED'
  | 'NOT_CONNECTED'
  | 'TIMEOUT'
  | 'NOT_A_CONTACT'
  | 'NO_CONVERSATION'
  | 'UNKNOWN_GROUP'
  | 'INVALID_INPUT'
  | 'REMOTE'
  | 'REPLACED'
  | 'CRYPTO'
  /** A call is already ringing or running on this device. */
  | 'CALL_IN_PROGRESS'
  /** There is no call in the state the action needs (no ring to accept, nothing to hang up). */
  | 'NO_CALL'
  /** This client was built without a media stack: it can ring and log calls, not carry them. */
  | 'NO_MEDIA'
  /** This app carries voice only: no video in calls (the CLI). */
  | 'NO_VIDEO'
  /** A relay-only call needs a TURN server, and the server has none configured. */
  | 'NO_TURN'
  /** The server could not store a message (storage full or down, or no answer) within the retry bound; it stays in the outbox. */
  | 'SERVER_UNAVAILABLE'
  /** This device's local store was written by a newer version: it is left untouched until the app is updated. */
  | 'PROFILE_TOO_NEW'
  /** Another device of the account removed this one: it can no longer connect. */
  | 'DEVICE_REMOVED'
  /** A file could not be uploaded to the server (after resuming as far as it could). */
  | 'UPLOAD_FAILED'
  /** A file is not on the server: unknown, not finished uploading, or expired. */
  | 'FILE_UNAVAILABLE'
  /** A file's bytes are not what its sender sent (its digest or its encryption does not check): nothing of it was kept. */
  | 'FILE_TAMPERED'
  /** Only the group's admins may add or remove other members, or name admins (NOT_GROUP_ADMIN on the wire). */
  | 'NOT_GROUP_ADMIN';

export class ClientError extends Error {
  override readonly name: string = 'ClientError';
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A send that failed after the message was stored on this device: it stays in the outbox and goes
 * out on the next connection, so a UI must not offer it to be sent again (that would be a copy).
 */
export class MessageKeptError extends ClientError {
  override readonly name = 'MessageKeptError';
}

/** The server answered a request with an error. */
export class RemoteError extends ClientError {
  override readonly name = 'RemoteError';
  constructor(
    readonly wireCode: ErrorCode,
    message: string = describeErrorCode(wireCode),
    /** With RATE_LIMITED: how long until the same action can succeed (0 when the server did not say). */
    readonly retryAfterMs = 0,
  ) {
    super('REMOTE', message);
  }

  get wireName(): string {
    return errorCodeName(this.wireCode);
  }
}

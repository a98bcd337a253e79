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
  | 'CRYPTO';

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

/** The server answered a request with an error. */
export class RemoteError extends ClientError {
  override readonly name = 'RemoteError';
  constructor(
    readonly wireCode: ErrorCode,
    message: string = describeErrorCode(wireCode),
  ) {
    super('REMOTE', message);
  }

  get wireName(): string {
    return errorCodeName(this.wireCode);
  }
}

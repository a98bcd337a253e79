/**
 * @module errors
 * The protocol's error root. Every failure that can cross the wire is a
 * `ProtocolError` with a stable `ErrorCode`; servers and clients map their own
 * errors to these codes at exactly one boundary.
 */
import { ErrorCode } from './gen/sotto/v1/wire_pb.js';
import { LIMITS } from './limits.js';

const HUMAN_MESSAGES: Readonly<Record<ErrorCode, string>> = {
  [ErrorCode.UNSPECIFIED]: 'Unspecified error.',
  [ErrorCode.FRAME_TOO_LARGE]: 'The frame is larger than this frame type allows.',
  [ErrorCode.FRAME_MALFORMED]: 'The frame could not be decoded.',
  [ErrorCode.UNKNOWN_FRAME_TYPE]: 'The frame type is not known to this server.',
  [ErrorCode.UNSUPPORTED_PROTOCOL]: 'This protocol version is not supported.',
  [ErrorCode.UPDATE_REQUIRED]: 'This client is too old for this server. Update Sotto to continue.',
  [ErrorCode.NOT_AUTHENTICATED]: 'Say hello first: this request needs an authenticated device.',
  [ErrorCode.BAD_SIGNATURE]: 'The device signature does not verify.',
  [ErrorCode.ALREADY_AUTHENTICATED]: 'This connection is already authenticated.',
  [ErrorCode.INVALID_ARGUMENT]: 'A field of the request is invalid.',
  [ErrorCode.USERNAME_TAKEN]: 'That username is already taken.',
  [ErrorCode.INVITE_REQUIRED]: 'This server needs a valid invite code to register.',
  [ErrorCode.UNKNOWN_ACCOUNT]: 'No such account.',
  [ErrorCode.NOT_A_CONTACT]: 'That member has not accepted you as a contact.',
  [ErrorCode.NO_KEY_PACKAGE]: 'That member has no key package left; try again later.',
  [ErrorCode.GROUP_EXISTS]: 'A group with that id already exists.',
  [ErrorCode.UNKNOWN_GROUP]: 'No such group.',
  [ErrorCode.NOT_A_MEMBER]: 'This device is not a member of that group.',
  [ErrorCode.STALE_EPOCH]: 'Another commit won this epoch; fetch it and try again.',
  [ErrorCode.RATE_LIMITED]: 'Too many requests; slow down.',
  [ErrorCode.REPLACED]: 'A newer connection of this device took over.',
  [ErrorCode.INTERNAL]: 'The server failed; nothing was changed.',
  [ErrorCode.BLOCKED]: 'That member does not accept requests from you.',
  [ErrorCode.UNKNOWN_DEVICE]: 'No such device.',
  [ErrorCode.RESTRICTED]: 'This account is restricted pending review by the operator; sending is paused.',
  [ErrorCode.LINK_REQUIRED]: 'That member accepts contact requests only through a contact link they shared.',
  [ErrorCode.DEVICE_LIMIT]: `This account already has ${LIMITS.maxDevicesPerAccount} devices (listed or being linked); remove one first.`,
  [ErrorCode.LINK_INVALID]: 'That device link code is unknown, expired or already used; make a new one on the linked device.',
  [ErrorCode.STALE_DEVICE_LIST]: 'The device list changed in the meantime; fetch the newest version and try again.',
  [ErrorCode.FILE_TOO_LARGE]: 'That file is larger than this server accepts for one file.',
  [ErrorCode.QUOTA_EXCEEDED]: "This account's stored files would go over the server's quota; wait for older files to expire.",
  [ErrorCode.NOT_GROUP_ADMIN]: 'Only the group\'s admins can add or remove members, or make someone an admin.',
  [ErrorCode.NO_SFU]: 'Group calls need the server\'s media server (SFU), and it has none or it is not answering. 1:1 calls still work.',
};

/** The stable, human-readable text for a code. */
export function describeErrorCode(code: ErrorCode): string {
  return HUMAN_MESSAGES[code] ?? `Unknown error code ${code}.`;
}

/** The stable name of a code as it appears on the wire and in docs, e.g. `STALE_EPOCH`. */
export function errorCodeName(code: ErrorCode): string {
  return ErrorCode[code] ?? `CODE_${code}`;
}

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly code: ErrorCode,
    message: string = describeErrorCode(code),
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

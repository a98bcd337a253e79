/**
 * @module sframe/sframe-error
 * The one error SFrame throws: a `ClientError` with code `CRYPTO` and a stable `reason`, so a media
 * pipeline can count dropped frames by cause without reading messages. Messages name the reason
 * and never carry key bytes or frame content.
 */
import { ClientError } from '../errors.js';

export type SFrameErrorReason =
  /** The bytes are not a header of RFC 9605 section 4.3 (too short, or a non-minimal value). */
  | 'BAD_HEADER'
  /** The frame ends before its authentication tag does. */
  | 'TRUNCATED'
  /** No key is known for the header's KID (RFC 9605 allows buffering until one arrives). */
  | 'UNKNOWN_KID'
  /** The tag does not verify: wrong key, wrong metadata, or altered bytes. */
  | 'AUTH_FAILED'
  /** A frame with this KID and CTR was already accepted, or is older than the replay window. */
  | 'REPLAY'
  /** The send key has used its last counter value: a new key is needed. */
  | 'COUNTER_EXHAUSTED'
  /** The caller asked for something SFrame forbids (bad key size, KID out of range, wrong key use). */
  | 'BAD_INPUT';

export class SFrameError extends ClientError {
  override readonly name = 'SFrameError';
  constructor(
    readonly reason: SFrameErrorReason,
    message: string,
  ) {
    super('CRYPTO', `SFrame: ${message}`);
  }
}

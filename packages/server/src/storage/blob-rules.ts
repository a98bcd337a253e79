/**
 * @module storage/blob-rules
 * The blob rules both backends apply, decided once: the quota check, and where the token key is
 * kept (a setting, so every node of a cluster shares it, and it outlives restarts).
 */
import { ErrorCode } from '@sotto/protocol';
import { ServerError } from '../errors.js';

/** The settings key holding the upload-token key (hex). Never shown: admin lists no settings. */
export const BLOB_TOKEN_KEY_SETTING = 'blob_token_key';

/** Throws QUOTA_EXCEEDED when `size` more bytes would take the account over its quota. */
export function checkQuota(usage: number, size: number, quotaBytes: number): void {
  if (usage + size > quotaBytes) {
    const freeMiB = Math.max(0, Math.floor((quotaBytes - usage) / 1_048_576));
    throw new ServerError(
      ErrorCode.QUOTA_EXCEEDED,
      `This account's stored files would go over the server's quota of ${Math.floor(quotaBytes / 1_048_576)} MiB (${freeMiB} MiB free); wait for older files to expire.`,
    );
  }
}

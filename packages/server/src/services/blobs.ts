/**
 * @module services/blobs
 * Encrypted files, the server's half (PROTOCOL.md §13). A device reserves room for one file's
 * ciphertext with CREATE_UPLOAD and gets an UploadTicket: a random 16-byte blob id and a token
 * for the resumable HTTP upload (gateway/blob-routes.ts). The server checks the size cap and the
 * account's quota, stores the bytes (blobs/blob-bytes.ts) and their bookkeeping (the store's blob
 * rows), hands out complete blobs to anyone holding the id, and deletes what expired.
 *
 * The token is base64url(HMAC-SHA-256(key, "sotto-upload-v1" 0x00 | blob id | username | device id
 * | expiry)), each variable field length-prefixed. It is checked against the blob's stored owner
 * and expiry, so it opens that one blob, only until its expiry. The key is 32 random bytes stored
 * once in the database's settings: every node of a cluster shares it and restarts keep it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ErrorCode, LIMITS } from '@sotto/protocol';
import { BlobOverflowError, type BlobBytes } from '../blobs/blob-bytes.js';
import type { Clock } from '../clock.js';
import { ServerError } from '../errors.js';
import { errorSummary, shortDevice, type Logger } from '../logger.js';
import type { RatePolicy } from '../rate-limits/rate-policy.js';
import type { BlobRecord, Store } from '../storage/store.js';
import type { DeviceAddress } from '../storage/types.js';
import { rateSubject, type Caller } from './caller.js';
import { invalid } from './validate.js';

/** How long an upload token lasts: the upload must complete within it. */
export const UPLOAD_TOKEN_TTL_MS = 24 * 3_600_000;
const DAY_MS = 86_400_000;
const MIB = 1024 * 1024;
/** Blobs deleted per batch by the sweep. */
const SWEEP_BATCH = 500;
const TOKEN_CONTEXT = Buffer.from('sotto-upload-v1\0');

export interface BlobLimits {
  /** The most one file's ciphertext may be. */
  readonly maxFileBytes: number;
  /** The most an account may hold and reserve at once. */
  readonly quotaBytes: number;
  /** Complete blobs are deleted this many days after they completed. */
  readonly retentionDays: number;
}

export interface BlobsOptions extends BlobLimits {
  readonly store: Store;
  /** Where the bytes live; absent (the in-memory server, which has no HTTP): bookkeeping only. */
  readonly bytes?: BlobBytes;
  readonly now: Clock;
  readonly rates: RatePolicy;
  readonly log: Logger;
}

export interface UploadTicketResult {
  readonly blobId: Uint8Array;
  readonly token: string;
  readonly expiresAt: number;
  readonly maxSize: number;
}

/** Why an HTTP blob request is refused: each reason is an HTTP error code of gateway/http-errors.ts. */
export type BlobRefusalReason =
  | 'BLOB_NOT_FOUND'
  | 'TOKEN_INVALID'
  | 'OFFSET_MISMATCH'
  | 'UPLOAD_COMPLETE'
  | 'UPLOAD_TOO_LARGE'
  | 'UPLOAD_BUSY'
  | 'RANGE_NOT_SATISFIABLE';

const REFUSAL_CODES: Record<BlobRefusalReason, ErrorCode> = {
  BLOB_NOT_FOUND: ErrorCode.INVALID_ARGUMENT,
  TOKEN_INVALID: ErrorCode.NOT_AUTHENTICATED,
  OFFSET_MISMATCH: ErrorCode.INVALID_ARGUMENT,
  UPLOAD_COMPLETE: ErrorCode.INVALID_ARGUMENT,
  UPLOAD_TOO_LARGE: ErrorCode.FILE_TOO_LARGE,
  UPLOAD_BUSY: ErrorCode.INVALID_ARGUMENT,
  RANGE_NOT_SATISFIABLE: ErrorCode.INVALID_ARGUMENT,
};

/** A refused blob request; `offset` is the blob's acknowledged offset where the client needs it, `size` its size. */
export class BlobRefusal extends ServerError {
  override readonly name = 'BlobRefusal';
  constructor(
    readonly reason: BlobRefusalReason,
    readonly blob?: { readonly offset: number; readonly size: number },
  ) {
    super(REFUSAL_CODES[reason], reason);
  }
}

/** Where an upload stands after a request. */
export interface UploadState {
  readonly offset: number;
  readonly size: number;
  readonly complete: boolean;
}

export interface UploadRequest {
  readonly blobId: Uint8Array;
  readonly token: string;
  /** Upload-Offset: where the client says its bytes start. */
  readonly offset: number;
  readonly body: AsyncIterable<Uint8Array>;
  /** Content-Length, when the client sent one. */
  readonly length?: number;
}

/** The first 8 hex digits of a blob id: enough to follow one upload in the logs, never the capability itself. */
export function blobPrefix(blobId: Uint8Array): string {
  return Buffer.from(blobId).toString('hex').slice(0, 8);
}

export class BlobsService {
  private key: Promise<Uint8Array> | undefined;
  /** Blobs with a PATCH in progress on this node: a second one would write over the first. */
  private readonly uploading = new Set<string>();

  constructor(private readonly options: BlobsOptions) {}

  get maxFileBytes(): number {
    return this.options.maxFileBytes;
  }

  /** CREATE_UPLOAD: checks the size and the quota, reserves the blob, and issues its ticket. */
  async createUpload(caller: Caller, size: bigint): Promise<UploadTicketResult> {
    const max = this.options.maxFileBytes;
    if (size < 1n) throw invalid('size must be at least 1 byte.');
    if (size > BigInt(max)) {
      throw new ServerError(ErrorCode.FILE_TOO_LARGE, `That file is ${mib(Number(size))} MiB encrypted; this server accepts at most ${mib(max)} MiB for one file.`);
    }
    await this.options.rates.take('upload', rateSubject(caller));
    const now = this.options.now();
    const blobId = new Uint8Array(randomBytes(LIMITS.blobIdBytes));
    const expiresAt = now + UPLOAD_TOKEN_TTL_MS;
    await this.options.store.createUpload({ blobId, owner: caller.device, size: Number(size), expiresAt, now, quotaBytes: this.options.quotaBytes });
    const token = await this.tokenFor(blobId, caller.device, expiresAt);
    this.options.log.info({ device: shortDevice(caller.device), blob: blobPrefix(blobId), size: Number(size) }, 'upload created');
    return { blobId, token, expiresAt, maxSize: max };
  }

  /** HEAD: the blob the token opens, with its acknowledged offset. */
  async status(blobId: Uint8Array, token: string): Promise<UploadState> {
    const blob = await this.authorize(blobId, token);
    return stateOf(blob);
  }

  /**
   * PATCH: appends the body at `offset`, which must be the acknowledged offset. The bytes are
   * durable before the new offset is stored and returned; at the declared size the blob is
   * complete. A body that fails part-way keeps what was made durable: HEAD shows it.
   */
  async upload(request: UploadRequest): Promise<UploadState> {
    const { blobId, offset } = request;
    const blob = await this.authorize(blobId, request.token);
    if (blob.completedAt !== null) throw new BlobRefusal('UPLOAD_COMPLETE', { offset: blob.received, size: blob.size });
    if (offset !== blob.received) throw new BlobRefusal('OFFSET_MISMATCH', { offset: blob.received, size: blob.size });
    const room = blob.size - offset;
    if (request.length !== undefined && request.length > room) throw new BlobRefusal('UPLOAD_TOO_LARGE', { offset, size: blob.size });
    const bytes = this.requireBytes();
    const key = Buffer.from(blobId).toString('hex');
    if (this.uploading.has(key)) throw new BlobRefusal('UPLOAD_BUSY', { offset, size: blob.size });
    this.uploading.add(key);
    try {
      let end: number;
      try {
        end = await bytes.append(blobId, offset, request.body, room);
      } catch (error) {
        if (error instanceof BlobOverflowError) throw new BlobRefusal('UPLOAD_TOO_LARGE', { offset, size: blob.size });
        await this.keepDurable(blob, offset);
        throw error;
      }
      if (end === offset) return stateOf(blob);
      const moved = await this.options.store.advanceBlob(blobId, offset, end, this.options.now());
      if (!moved) return await this.lostRace(blobId);
      if (moved.completedAt !== null) this.options.log.info({ blob: blobPrefix(blobId), size: moved.size }, 'upload complete');
      return stateOf(moved);
    } finally {
      this.uploading.delete(key);
    }
  }

  /**
   * GET: a complete, unexpired blob's bytes from `start` on. No token: the 128-bit random id is
   * the capability (PROTOCOL.md §13), as it is in the message that names it.
   */
  async download(blobId: Uint8Array, start: number): Promise<{ readonly size: number; readonly stream: Readable }> {
    const blob = await this.options.store.getBlob(blobId);
    const now = this.options.now();
    if (!blob || blob.completedAt === null || blob.completedAt < now - this.retentionMs) throw new BlobRefusal('BLOB_NOT_FOUND');
    if (start >= blob.size) throw new BlobRefusal('RANGE_NOT_SATISFIABLE', { offset: blob.received, size: blob.size });
    const stream = await this.requireBytes().read(blobId, start);
    if (!stream) {
      this.options.log.error({ blob: blobPrefix(blobId) }, 'a complete blob has no bytes');
      throw new BlobRefusal('BLOB_NOT_FOUND');
    }
    return { size: blob.size, stream };
  }

  /** The expiry sweep: incomplete blobs whose token ended, complete ones past retention. Returns how many went. */
  async sweep(): Promise<number> {
    const now = this.options.now();
    let deleted = 0;
    for (;;) {
      const expired = await this.options.store.expiredBlobs(now, now - this.retentionMs, SWEEP_BATCH);
      if (expired.length === 0) break;
      // Bytes first: a row left behind by a failure is found again by the next sweep.
      for (const blobId of expired) await this.options.bytes?.delete(blobId);
      deleted += await this.options.store.deleteBlobs(expired);
      if (expired.length < SWEEP_BATCH) break;
    }
    if (deleted > 0) this.options.log.info({ expired: deleted }, 'expired files');
    return deleted;
  }

  /** The blob `token` opens: TOKEN_INVALID for a token of another blob, a forged one or an expired one; BLOB_NOT_FOUND for no blob. */
  private async authorize(blobId: Uint8Array, token: string): Promise<BlobRecord> {
    const blob = await this.options.store.getBlob(blobId);
    if (!blob) throw new BlobRefusal('BLOB_NOT_FOUND');
    const expected = Buffer.from(await this.tokenFor(blobId, blob.owner, blob.expiresAt), 'base64url');
    const given = Buffer.from(token, 'base64url');
    if (given.byteLength !== expected.byteLength || !timingSafeEqual(given, expected)) throw new BlobRefusal('TOKEN_INVALID');
    if (this.options.now() >= blob.expiresAt) throw new BlobRefusal('TOKEN_INVALID');
    return blob;
  }

  private async tokenFor(blobId: Uint8Array, device: DeviceAddress, expiresAt: number): Promise<string> {
    const expiry = Buffer.alloc(8);
    expiry.writeBigUInt64BE(BigInt(expiresAt));
    return createHmac('sha256', await this.tokenKey())
      .update(TOKEN_CONTEXT)
      .update(blobId)
      .update(lengthPrefixed(device.username))
      .update(lengthPrefixed(device.deviceId))
      .update(expiry)
      .digest('base64url');
  }

  private tokenKey(): Promise<Uint8Array> {
    this.key ??= this.options.store.blobTokenKey(new Uint8Array(randomBytes(32))).catch((error: unknown) => {
      this.key = undefined;
      throw error;
    });
    return this.key;
  }

  /** After a body failed part-way: acknowledges the bytes that were made durable, so the client resumes after them. */
  private async keepDurable(blob: BlobRecord, offset: number): Promise<void> {
    try {
      const kept = Math.min(await this.requireBytes().length(blob.blobId), blob.size);
      if (kept > offset) await this.options.store.advanceBlob(blob.blobId, offset, kept, this.options.now());
    } catch (error) {
      this.options.log.warn({ blob: blobPrefix(blob.blobId), err: errorSummary(error) }, 'could not record a partial upload');
    }
  }

  /** The offset moved under this upload: another node's PATCH, or the sweep deleted the blob (then its bytes go too). */
  private async lostRace(blobId: Uint8Array): Promise<never> {
    const current = await this.options.store.getBlob(blobId);
    if (!current) {
      await this.requireBytes().delete(blobId);
      throw new BlobRefusal('BLOB_NOT_FOUND');
    }
    throw new BlobRefusal('OFFSET_MISMATCH', { offset: current.received, size: current.size });
  }

  private requireBytes(): BlobBytes {
    if (!this.options.bytes) throw new ServerError(ErrorCode.INTERNAL, 'This server stores no file bytes.');
    return this.options.bytes;
  }

  private get retentionMs(): number {
    return this.options.retentionDays * DAY_MS;
  }
}

function stateOf(blob: BlobRecord): UploadState {
  return { offset: blob.received, size: blob.size, complete: blob.completedAt !== null };
}

function lengthPrefixed(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.byteLength);
  return Buffer.concat([length, bytes]);
}

function mib(bytes: number): string {
  return (bytes / MIB).toFixed(bytes % MIB === 0 ? 0 : 1);
}

/**
 * @module blobs/blob-bytes
 * Where the ciphertext of files lives, behind one interface with one contract
 * (blob-bytes.contract.ts): files in the data directory on one node (fs-blob-bytes.ts), chunk
 * rows in PostgreSQL for a cluster (postgres-blob-bytes.ts). Bytes go in and out as streams, so a
 * 100 MB file never sits in memory. This layer knows nothing of owners, sizes or tokens: the blob
 * rows (storage/domains/blobs.ts) say how many bytes are acknowledged, and an append starts there.
 */
import type { Readable } from 'node:stream';
import { ErrorCode } from '@sotto/protocol';
import { ServerError } from '../errors.js';

export interface BlobBytes {
  /**
   * Writes `source` at `offset`, after discarding any stored bytes from `offset` on (an earlier
   * append that was never acknowledged), and makes every byte written durable (fsync, or a
   * committed row) before it resolves with the new length. At most `limit` bytes are taken: more
   * rejects with BlobOverflowError and nothing past `offset + limit` is stored. Fewer than `offset`
   * bytes stored rejects with BlobGapError. If `source` fails, what was written before is still
   * made durable (as far as the failure allows) and the error is passed on: `length` says how much.
   */
  append(blobId: Uint8Array, offset: number, source: AsyncIterable<Uint8Array>, limit: number): Promise<number>;
  /** How many bytes are stored: 0 for a blob with none (or unknown). */
  length(blobId: Uint8Array): Promise<number>;
  /** The stored bytes from `offset` on, as a stream of pieces of at most 1 MiB; undefined when none are stored. */
  read(blobId: Uint8Array, offset: number): Promise<Readable | undefined>;
  /** Forgets the blob's bytes; nothing happens for one with none. */
  delete(blobId: Uint8Array): Promise<void>;
}

/** The most a backend holds of a blob in memory at once, and the largest piece a read yields. */
export const BLOB_CHUNK_BYTES = 1024 * 1024;

/** More bytes came than the append may take. */
export class BlobOverflowError extends ServerError {
  override readonly name = 'BlobOverflowError';
  constructor(readonly limit: number) {
    super(ErrorCode.FILE_TOO_LARGE, `The body is longer than the ${limit} bytes left in this upload.`);
  }
}

/** An append was asked to start past the bytes stored: the acknowledged bytes and the store disagree. */
export class BlobGapError extends ServerError {
  override readonly name = 'BlobGapError';
  constructor(readonly stored: number, readonly offset: number) {
    super(ErrorCode.INVALID_ARGUMENT, `Only ${stored} bytes of this blob are stored; an append cannot start at ${offset}.`);
  }
}

/** `source` as Uint8Array pieces of at most `max` bytes: a network read may hand over more at once. */
export async function* piecesOf(source: AsyncIterable<Uint8Array>, max: number): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    for (let at = 0; at < chunk.byteLength; at += max) yield chunk.subarray(at, Math.min(chunk.byteLength, at + max));
  }
}

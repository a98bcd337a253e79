/**
 * @module blobs/postgres-blob-bytes
 * Blob bytes in PostgreSQL, for a cluster: every node reads and writes the same `blob_chunks`
 * table (made by migration 0005), so any node serves any blob and no node's disk matters. A blob
 * is rows of at most 1 MiB keyed by (blob id, start byte); each row is inserted in its own
 * committed statement, so what an append acknowledged survives any node's crash, and memory holds
 * one chunk at a time in either direction.
 */
import { Readable } from 'node:stream';
import type pg from 'pg';
import { autocommit, type Sql } from '../storage/postgres/transaction.js';
import { BLOB_CHUNK_BYTES, BlobGapError, BlobOverflowError, piecesOf, type BlobBytes } from './blob-bytes.js';

export class PostgresBlobBytes implements BlobBytes {
  private readonly sql: Sql;

  /** `pool`: the store's pool, on the store's schema (its search_path). */
  constructor(pool: pg.Pool) {
    this.sql = autocommit(pool);
  }

  async append(blobId: Uint8Array, offset: number, source: AsyncIterable<Uint8Array>, limit: number): Promise<number> {
    const id = Buffer.from(blobId);
    const stored = await this.length(blobId);
    if (stored < offset) throw new BlobGapError(stored, offset);
    if (stored > offset) await this.discardFrom(id, offset);
    let position = offset;
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      if (pendingBytes === 0) return;
      const data = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      await this.sql.query('INSERT INTO blob_chunks (blob_id, start, data) VALUES ($1, $2, $3)', [id, position, data]);
      position += data.byteLength;
    };
    try {
      for await (const piece of piecesOf(source, BLOB_CHUNK_BYTES)) {
        if (position + pendingBytes - offset + piece.byteLength > limit) throw new BlobOverflowError(limit);
        // Copied: a source may reuse its buffer for the next piece.
        let rest = Uint8Array.from(piece);
        while (rest.byteLength > 0) {
          const part = rest.subarray(0, BLOB_CHUNK_BYTES - pendingBytes);
          pending.push(part);
          pendingBytes += part.byteLength;
          rest = rest.subarray(part.byteLength);
          if (pendingBytes === BLOB_CHUNK_BYTES) await flush();
        }
      }
    } catch (error) {
      // What arrived before a failure is kept: the client resumes after it.
      await flush().catch(() => undefined);
      throw error;
    }
    await flush();
    return position;
  }

  /** Drops the bytes from `offset` on: rows starting there or later, and the tail of a row across it. */
  private async discardFrom(id: Buffer, offset: number): Promise<void> {
    await this.sql.query('DELETE FROM blob_chunks WHERE blob_id = $1 AND start >= $2', [id, offset]);
    await this.sql.query(
      'UPDATE blob_chunks SET data = substring(data FROM 1 FOR ($2 - start)::int) WHERE blob_id = $1 AND start < $2 AND start + length(data) > $2',
      [id, offset],
    );
  }

  async length(blobId: Uint8Array): Promise<number> {
    const result = await this.sql.query<{ n: string | null }>('SELECT max(start + length(data)) AS n FROM blob_chunks WHERE blob_id = $1', [Buffer.from(blobId)]);
    return Number(result.rows[0]?.n ?? 0);
  }

  async read(blobId: Uint8Array, offset: number): Promise<Readable | undefined> {
    if ((await this.length(blobId)) === 0) return undefined;
    return Readable.from(this.chunksFrom(Buffer.from(blobId), offset), { objectMode: false, highWaterMark: 1 });
  }

  /** One row at a time: the row holding byte `at`, from `at` on, then the next. */
  private async *chunksFrom(id: Buffer, offset: number): AsyncGenerator<Buffer> {
    let at = offset;
    for (;;) {
      const result = await this.sql.query<{ start: string; data: Buffer }>(
        'SELECT start, data FROM blob_chunks WHERE blob_id = $1 AND start <= $2 ORDER BY start DESC LIMIT 1',
        [id, at],
      );
      const row = result.rows[0];
      if (!row) return;
      const start = Number(row.start);
      if (start + row.data.byteLength <= at) return;
      yield row.data.subarray(at - start);
      at = start + row.data.byteLength;
    }
  }

  async delete(blobId: Uint8Array): Promise<void> {
    await this.sql.query('DELETE FROM blob_chunks WHERE blob_id = $1', [Buffer.from(blobId)]);
  }
}

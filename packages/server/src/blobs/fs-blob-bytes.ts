/**
 * @module blobs/fs-blob-bytes
 * Blob bytes as files in the data directory, for a single node: `<root>/ab/cd/abcd...` by the
 * id's hex (two levels of fan-out, so no directory holds more than a few thousand files), files
 * 0600 and directories 0700 as the database is. An append writes at its offset with positional
 * writes and fsyncs the file (and, for a new file, its directory) before it resolves.
 */
import { constants, createReadStream } from 'node:fs';
import { mkdir, open, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { BLOB_CHUNK_BYTES, BlobGapError, BlobOverflowError, piecesOf, type BlobBytes } from './blob-bytes.js';

export class FsBlobBytes implements BlobBytes {
  /** `root`: the directory the blobs live under (`<dataDir>/blobs`), created when first needed. */
  constructor(private readonly root: string) {}

  private where(blobId: Uint8Array): { dir: string; file: string } {
    const hex = Buffer.from(blobId).toString('hex');
    if (hex.length < 4) throw new Error('A blob id has at least 2 bytes.');
    const dir = join(this.root, hex.slice(0, 2), hex.slice(2, 4));
    return { dir, file: join(dir, hex) };
  }

  async append(blobId: Uint8Array, offset: number, source: AsyncIterable<Uint8Array>, limit: number): Promise<number> {
    const { dir, file } = this.where(blobId);
    const { handle, created } = await openForWriting(dir, file, offset);
    try {
      const { size } = await handle.stat();
      if (size < offset) throw new BlobGapError(size, offset);
      if (size > offset) await handle.truncate(offset);
      let position = offset;
      try {
        for await (const piece of piecesOf(source, BLOB_CHUNK_BYTES)) {
          if (position - offset + piece.byteLength > limit) throw new BlobOverflowError(limit);
          for (let done = 0; done < piece.byteLength; ) {
            done += (await handle.write(piece, done, piece.byteLength - done, position + done)).bytesWritten;
          }
          position += piece.byteLength;
        }
      } finally {
        // What arrived before a failure is kept durable too: the client resumes after it.
        await handle.sync();
        if (created) await syncDirectory(dir);
      }
      return position;
    } finally {
      await handle.close();
    }
  }

  async length(blobId: Uint8Array): Promise<number> {
    try {
      return (await stat(this.where(blobId).file)).size;
    } catch (error) {
      if (isMissing(error)) return 0;
      throw error;
    }
  }

  async read(blobId: Uint8Array, offset: number): Promise<Readable | undefined> {
    const { file } = this.where(blobId);
    let handle: FileHandle;
    try {
      handle = await open(file, constants.O_RDONLY);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    // Opened before answering, so a blob deleted between this and the first read still streams whole.
    if ((await handle.stat()).size === 0) {
      await handle.close();
      return undefined;
    }
    return createReadStream('', { fd: handle, start: offset, highWaterMark: 64 * 1024, autoClose: true });
  }

  async delete(blobId: Uint8Array): Promise<void> {
    await rm(this.where(blobId).file, { force: true });
  }
}

/** The blob's file, created (0600, in 0700 directories) when it has no bytes yet and the append starts at 0. */
async function openForWriting(dir: string, file: string, offset: number): Promise<{ handle: FileHandle; created: boolean }> {
  try {
    return { handle: await open(file, constants.O_RDWR), created: false };
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
  if (offset > 0) throw new BlobGapError(0, offset);
  const firstMade = await mkdir(dir, { recursive: true, mode: 0o700 });
  // A directory made now is durable only once its parent is synced, as a new file is.
  if (firstMade !== undefined) {
    const first = resolve(firstMade);
    for (let made = resolve(dir); ; made = dirname(made)) {
      await syncDirectory(dirname(made));
      if (made === first || dirname(made) === made) break;
    }
  }
  try {
    return { handle: await open(file, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o600), created: true };
  } catch (error) {
    // Another append created it in the meantime: write into that one.
    if ((error as { code?: unknown }).code === 'EEXIST') return { handle: await open(file, constants.O_RDWR), created: false };
    throw error;
  }
}

/** A new file's name is durable only once its directory is synced. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isMissing(error: unknown): boolean {
  return (error as { code?: unknown }).code === 'ENOENT';
}

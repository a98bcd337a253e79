/**
 * @module blobs/blob-bytes.contract
 * The contract every BlobBytes backend runs (fs-blob-bytes.test.ts, postgres-blob-bytes.test.ts):
 * a multi-chunk round trip, appends only where the stored bytes end (or earlier, discarding an
 * unacknowledged tail), a resumed append after a failed one, reads from an offset, an unknown id,
 * delete, the size limit, and memory that stays flat: the backend keeps up with its source
 * instead of gathering it, and reads come in pieces of at most a chunk.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { BLOB_CHUNK_BYTES, BlobGapError, BlobOverflowError, type BlobBytes } from './blob-bytes.js';

/** A fresh, empty backend for each test, and how to close it. */
export type MakeBlobBytes = () => Promise<{ readonly bytes: BlobBytes; close(): Promise<void> }>;

const MIB = 1024 * 1024;
const id = (): Uint8Array => new Uint8Array(randomBytes(16));

/** `total` bytes in pieces of `piece`, made as they are asked for (byte i is a function of i and the seed). */
async function* generated(total: number, piece = 64 * 1024, seed = 7, beforeEach?: (pulled: number) => Promise<void>): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < total; at += piece) {
    if (beforeEach) await beforeEach(at);
    const n = Math.min(piece, total - at);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = ((at + i) * 31 + seed) & 0xff;
    yield out;
  }
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of source) parts.push(Buffer.from(part));
  return Buffer.concat(parts);
}

async function readAll(bytes: BlobBytes, blobId: Uint8Array, offset = 0): Promise<Buffer | undefined> {
  const stream = await bytes.read(blobId, offset);
  return stream && collect(stream as Readable & AsyncIterable<Uint8Array>);
}

/** A source that yields `good` and then fails, as a dropped connection does. */
async function* failingAfter(good: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const part of good) yield part;
  throw new Error('connection dropped');
}

export function runBlobBytesContract(name: string, make: MakeBlobBytes): void {
  describe(`blob bytes contract: ${name}`, () => {
    let bytes: BlobBytes;
    let close: () => Promise<void>;
    beforeEach(async () => {
      ({ bytes, close } = await make());
    });
    afterEach(async () => {
      await close();
    });

    test('a multi-chunk stream goes in and comes back the same', async () => {
      const blobId = id();
      const total = 3 * MIB + 12_345;
      assert.equal(await bytes.append(blobId, 0, generated(total), total), total);
      assert.equal(await bytes.length(blobId), total);
      const back = await readAll(bytes, blobId);
      assert.ok(back);
      assert.equal(back.byteLength, total);
      assert.equal(createHash('sha256').update(back).digest('hex'), createHash('sha256').update(await collect(generated(total))).digest('hex'));
    });

    test('appends go where the stored bytes end; past them is a gap', async () => {
      const blobId = id();
      await assert.rejects(bytes.append(blobId, 5, generated(10), 10), BlobGapError);
      assert.equal(await bytes.append(blobId, 0, generated(10), 10), 10);
      await assert.rejects(bytes.append(blobId, 20, generated(10), 10), (error: unknown) => error instanceof BlobGapError && error.stored === 10);
      assert.equal(await bytes.append(blobId, 10, generated(5, 5, 9), 5), 15);
      const back = await readAll(bytes, blobId);
      assert.deepEqual(back, Buffer.concat([await collect(generated(10)), await collect(generated(5, 5, 9))]));
    });

    test('an append at an earlier offset discards the unacknowledged tail first', async () => {
      const blobId = id();
      await bytes.append(blobId, 0, generated(2 * MIB + 100), 3 * MIB);
      const fresh = Buffer.alloc(10, 0xab);
      assert.equal(await bytes.append(blobId, MIB + 50, toAsync([fresh]), 10), MIB + 60);
      assert.equal(await bytes.length(blobId), MIB + 60);
      const back = await readAll(bytes, blobId);
      assert.deepEqual(back, Buffer.concat([(await collect(generated(2 * MIB + 100))).subarray(0, MIB + 50), fresh]));
    });

    test('after a source fails mid-way, what arrived is kept and the append resumes from there', async () => {
      const blobId = id();
      const whole = await collect(generated(3 * MIB, 256 * 1024));
      const firstParts = [whole.subarray(0, MIB), whole.subarray(MIB, MIB + 300_000)];
      await assert.rejects(bytes.append(blobId, 0, failingAfter(firstParts), whole.byteLength), /connection dropped/);
      const kept = await bytes.length(blobId);
      assert.ok(kept > 0 && kept <= MIB + 300_000, `kept ${kept}`);
      assert.equal(await bytes.append(blobId, kept, toAsync([whole.subarray(kept)]), whole.byteLength - kept), whole.byteLength);
      assert.deepEqual(await readAll(bytes, blobId), whole);
    });

    test('reads start at any offset, within or across chunks', async () => {
      const blobId = id();
      const whole = await collect(generated(2 * MIB + 777));
      await bytes.append(blobId, 0, toAsync([whole]), whole.byteLength);
      for (const offset of [0, 1, MIB - 1, MIB, MIB + 7, whole.byteLength - 1]) {
        assert.deepEqual(await readAll(bytes, blobId, offset), whole.subarray(offset), `from ${offset}`);
      }
      assert.deepEqual(await readAll(bytes, blobId, whole.byteLength), Buffer.alloc(0));
    });

    test('an unknown id has no bytes; deleting it is harmless', async () => {
      const blobId = id();
      assert.equal(await bytes.read(blobId, 0), undefined);
      assert.equal(await bytes.length(blobId), 0);
      await bytes.delete(blobId);
    });

    test('delete forgets the bytes of that blob only', async () => {
      const gone = id();
      const kept = id();
      await bytes.append(gone, 0, generated(MIB + 5), 2 * MIB);
      await bytes.append(kept, 0, generated(100), 100);
      await bytes.delete(gone);
      assert.equal(await bytes.read(gone, 0), undefined);
      assert.equal(await bytes.length(gone), 0);
      assert.equal(await bytes.length(kept), 100);
      // The id can be written again from the start.
      assert.equal(await bytes.append(gone, 0, generated(10), 10), 10);
    });

    test('more than the limit is refused, and nothing past the limit is stored', async () => {
      const blobId = id();
      await assert.rejects(bytes.append(blobId, 0, generated(3 * MIB), 2 * MIB + 10), BlobOverflowError);
      assert.ok((await bytes.length(blobId)) <= 2 * MIB + 10);
      await bytes.append(blobId, 0, generated(100), 100);
      await assert.rejects(bytes.append(blobId, 100, generated(51), 50), BlobOverflowError);
      assert.ok((await bytes.length(blobId)) <= 150);
    });

    test('memory stays flat: the backend stores as it reads, and reads back in pieces of at most a chunk', async () => {
      const blobId = id();
      const total = 24 * MIB;
      let largestLag = 0;
      // Before each new piece is handed over, all but the last couple of chunks must already be stored.
      const check = async (pulled: number): Promise<void> => {
        largestLag = Math.max(largestLag, pulled - (await bytes.length(blobId)));
      };
      assert.equal(await bytes.append(blobId, 0, generated(total, 256 * 1024, 7, check), total), total);
      assert.ok(largestLag <= 2 * BLOB_CHUNK_BYTES, `held ${largestLag} bytes unstored`);
      const stream = await bytes.read(blobId, 0);
      assert.ok(stream);
      let seen = 0;
      let largestPiece = 0;
      for await (const piece of stream as AsyncIterable<Buffer>) {
        seen += piece.byteLength;
        largestPiece = Math.max(largestPiece, piece.byteLength);
      }
      assert.equal(seen, total);
      assert.ok(largestPiece <= BLOB_CHUNK_BYTES, `a piece of ${largestPiece} bytes`);
    });
  });
}

async function* toAsync(parts: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield part;
}

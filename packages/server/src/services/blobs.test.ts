/**
 * @module services/blobs.test
 * The blob service on a real SQLite store and real files: the size cap, the quota, the ticket,
 * tokens (another blob's, forged, expired, another server's key), offsets, completion, downloads
 * of complete blobs only, the rate limit, and the expiry sweep with the retention setting.
 */
import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '@sotto/protocol';
import { FsBlobBytes } from '../blobs/fs-blob-bytes.js';
import { ServerError } from '../errors.js';
import { createLogger } from '../logger.js';
import { MemoryRateLimiter } from '../rate-limits/memory-rate-limiter.js';
import { mergeRateRules, NO_RATE_RULES, RatePolicy } from '../rate-limits/rate-policy.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import { BlobRefusal, BlobsService, UPLOAD_TOKEN_TTL_MS, type BlobsOptions } from './blobs.js';

const MIB = 1024 * 1024;
const DAY = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), 'sotto-blob-service-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const log = createLogger('test', { level: 'silent' });

async function* body(...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield part;
}

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part));
  return Buffer.concat(parts);
}

async function refused(promise: Promise<unknown>, reason: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof BlobRefusal && error.reason === reason);
}

async function code(promise: Promise<unknown>, expected: ErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof ServerError && error.code === expected && (message === undefined || message.test(error.message)));
}

describe('blob service', () => {
  let clock: number;
  let store: SqliteStore;
  let bytes: FsBlobBytes;
  let blobs: BlobsService;
  let made = 0;
  const caller = { device: { username: 'alice', deviceId: 'd1' } };

  function service(overrides: Partial<BlobsOptions> = {}): BlobsService {
    return new BlobsService({
      store,
      bytes,
      now: () => clock,
      rates: new RatePolicy(new MemoryRateLimiter(), NO_RATE_RULES, () => clock),
      log,
      maxFileBytes: 2 * MIB,
      quotaBytes: 3 * MIB,
      retentionDays: 30,
      ...overrides,
    });
  }

  beforeEach(async () => {
    clock = 1_000_000_000_000;
    made += 1;
    store = new SqliteStore({ path: join(dir, `s${made}.db`) });
    bytes = new FsBlobBytes(join(dir, `b${made}`));
    await store.createAccount({ username: 'alice', deviceId: 'd1', identityKey: new Uint8Array(32).fill(1), requireInvite: false, now: clock });
    await store.createAccount({ username: 'bob', deviceId: 'd2', identityKey: new Uint8Array(32).fill(2), requireInvite: false, now: clock });
    blobs = service();
  });

  test('a ticket: a fresh 16-byte id, a token, an expiry 24 h ahead and the cap', async () => {
    const one = await blobs.createUpload(caller, 10n);
    const two = await blobs.createUpload(caller, 10n);
    assert.equal(one.blobId.byteLength, 16);
    assert.notDeepEqual(one.blobId, two.blobId);
    assert.match(one.token, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(one.token, two.token);
    assert.equal(one.expiresAt, clock + UPLOAD_TOKEN_TTL_MS);
    assert.equal(one.maxSize, 2 * MIB);
    assert.deepEqual(await blobs.status(one.blobId, one.token), { offset: 0, size: 10, complete: false });
  });

  test('sizes: 0 is INVALID_ARGUMENT, over the cap FILE_TOO_LARGE (saying the cap), the cap itself is fine', async () => {
    await code(blobs.createUpload(caller, 0n), ErrorCode.INVALID_ARGUMENT, /at least 1 byte/);
    await code(blobs.createUpload(caller, BigInt(2 * MIB + 1)), ErrorCode.FILE_TOO_LARGE, /at most 2 MiB/);
    await code(blobs.createUpload(caller, 2n ** 63n), ErrorCode.FILE_TOO_LARGE);
    await blobs.createUpload(caller, BigInt(2 * MIB));
  });

  test('the quota: QUOTA_EXCEEDED once stored and reserved bytes would pass it, per account', async () => {
    await blobs.createUpload(caller, BigInt(2 * MIB));
    await blobs.createUpload(caller, BigInt(MIB));
    await code(blobs.createUpload(caller, 1n), ErrorCode.QUOTA_EXCEEDED, /quota of 3 MiB/);
    await blobs.createUpload({ device: { username: 'bob', deviceId: 'd2' } }, 1n);
    // An unfinished reservation frees its bytes when its token ends.
    clock += UPLOAD_TOKEN_TTL_MS;
    await blobs.createUpload(caller, BigInt(MIB));
  });

  test('uploads are rate limited per account', async () => {
    const limited = service({ rates: new RatePolicy(new MemoryRateLimiter(), mergeRateRules({ upload: { account: { limit: 1, periodMs: 3_600_000, burst: 2 } } }, NO_RATE_RULES), () => clock) });
    await limited.createUpload(caller, 1n);
    await limited.createUpload(caller, 1n);
    await code(limited.createUpload(caller, 1n), ErrorCode.RATE_LIMITED, /file uploads/);
  });

  test("a token opens its own blob only: not another's, not forged, not empty, not after its expiry", async () => {
    const mine = await blobs.createUpload(caller, 10n);
    const other = await blobs.createUpload(caller, 10n);
    await refused(blobs.status(other.blobId, mine.token), 'TOKEN_INVALID');
    const flipped = (mine.token[0] === 'A' ? 'B' : 'A') + mine.token.slice(1);
    await refused(blobs.status(mine.blobId, flipped), 'TOKEN_INVALID');
    await refused(blobs.status(mine.blobId, ''), 'TOKEN_INVALID');
    await refused(blobs.status(mine.blobId, mine.token.slice(0, 20)), 'TOKEN_INVALID');
    await refused(blobs.upload({ blobId: other.blobId, token: mine.token, offset: 0, body: body(new Uint8Array(10)) }), 'TOKEN_INVALID');
    await refused(blobs.status(new Uint8Array(16), mine.token), 'BLOB_NOT_FOUND');
    clock = mine.expiresAt - 1;
    await blobs.status(mine.blobId, mine.token);
    clock = mine.expiresAt;
    await refused(blobs.status(mine.blobId, mine.token), 'TOKEN_INVALID');
    await refused(blobs.upload({ blobId: mine.blobId, token: mine.token, offset: 0, body: body(new Uint8Array(10)) }), 'TOKEN_INVALID');
  });

  test("the token key is the database's: another node on it accepts the token, a server with another database does not", async () => {
    const ticket = await blobs.createUpload(caller, 10n);
    assert.deepEqual(await service().status(ticket.blobId, ticket.token), { offset: 0, size: 10, complete: false });
    const elsewhere = new SqliteStore({ path: join(dir, `other${made}.db`) });
    try {
      await elsewhere.createAccount({ username: 'alice', deviceId: 'd1', identityKey: new Uint8Array(32).fill(1), requireInvite: false, now: clock });
      const foreign = await service({ store: elsewhere }).createUpload(caller, 10n);
      await refused(blobs.status(ticket.blobId, foreign.token), 'TOKEN_INVALID');
    } finally {
      await elsewhere.close();
    }
  });

  test('an upload in two parts: offsets must match, too much is refused, then it is complete and downloadable', async () => {
    const data = new Uint8Array(Buffer.from('0123456789abcdefghij'));
    const ticket = await blobs.createUpload(caller, 20n);
    const up = (offset: number, ...parts: Uint8Array[]) => blobs.upload({ blobId: ticket.blobId, token: ticket.token, offset, body: body(...parts) });
    await refused(blobs.download(ticket.blobId, 0), 'BLOB_NOT_FOUND');
    await refused(up(5, data.subarray(5, 10)), 'OFFSET_MISMATCH');
    assert.deepEqual(await up(0, data.subarray(0, 4), data.subarray(4, 8)), { offset: 8, size: 20, complete: false });
    await assert.rejects(up(0, data), (e: unknown) => e instanceof BlobRefusal && e.reason === 'OFFSET_MISMATCH' && e.blob?.offset === 8);
    await refused(up(8, data.subarray(8), new Uint8Array(1)), 'UPLOAD_TOO_LARGE');
    await refused(blobs.upload({ blobId: ticket.blobId, token: ticket.token, offset: 8, body: body(), length: 13 }), 'UPLOAD_TOO_LARGE');
    assert.deepEqual(await blobs.status(ticket.blobId, ticket.token), { offset: 8, size: 20, complete: false });
    await refused(blobs.download(ticket.blobId, 0), 'BLOB_NOT_FOUND');
    assert.deepEqual(await up(8, data.subarray(8)), { offset: 20, size: 20, complete: true });
    await refused(up(20, new Uint8Array(1)), 'UPLOAD_COMPLETE');
    const whole = await blobs.download(ticket.blobId, 0);
    assert.equal(whole.size, 20);
    assert.deepEqual(await readAll(whole.stream), Buffer.from(data));
    assert.deepEqual(await readAll((await blobs.download(ticket.blobId, 15)).stream), Buffer.from(data.subarray(15)));
    await refused(blobs.download(ticket.blobId, 20), 'RANGE_NOT_SATISFIABLE');
  });

  test('a body that fails part-way keeps its durable bytes acknowledged, and the upload resumes there', async () => {
    const ticket = await blobs.createUpload(caller, 10n);
    async function* dropping(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array([1, 2, 3, 4]);
      throw new Error('connection dropped');
    }
    await assert.rejects(blobs.upload({ blobId: ticket.blobId, token: ticket.token, offset: 0, body: dropping() }), /connection dropped/);
    assert.deepEqual(await blobs.status(ticket.blobId, ticket.token), { offset: 4, size: 10, complete: false });
    const rest = new Uint8Array([5, 6, 7, 8, 9, 10]);
    assert.deepEqual(await blobs.upload({ blobId: ticket.blobId, token: ticket.token, offset: 4, body: body(rest) }), { offset: 10, size: 10, complete: true });
    assert.deepEqual(await readAll((await blobs.download(ticket.blobId, 0)).stream), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
  });

  test('two uploads to one blob at once: the second is UPLOAD_BUSY', async () => {
    const ticket = await blobs.createUpload(caller, 10n);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array([1]);
      await gate;
      yield new Uint8Array([2]);
    }
    const first = blobs.upload({ blobId: ticket.blobId, token: ticket.token, offset: 0, body: slow() });
    await refused(blobs.upload({ blobId: ticket.blobId, token: ticket.token, offset: 0, body: body(new Uint8Array(1)) }), 'UPLOAD_BUSY');
    release();
    assert.equal((await first).offset, 2);
  });

  test('the sweep: unfinished uploads after their token, complete files after the retention period, bytes and rows', async () => {
    const unfinished = await blobs.createUpload(caller, 10n);
    await blobs.upload({ blobId: unfinished.blobId, token: unfinished.token, offset: 0, body: body(new Uint8Array(3)) });
    const done = await blobs.createUpload(caller, 2n);
    await blobs.upload({ blobId: done.blobId, token: done.token, offset: 0, body: body(new Uint8Array(2)) });
    assert.equal(await blobs.sweep(), 0);
    clock += UPLOAD_TOKEN_TTL_MS;
    assert.equal(await blobs.sweep(), 1);
    assert.equal(await store.getBlob(unfinished.blobId), undefined);
    assert.equal(await bytes.length(unfinished.blobId), 0);
    await blobs.download(done.blobId, 0);
    clock = 1_000_000_000_000 + 30 * DAY + 1;
    // Past retention the file is gone for downloads even before the sweep runs.
    await refused(blobs.download(done.blobId, 0), 'BLOB_NOT_FOUND');
    assert.equal(await blobs.sweep(), 1);
    assert.equal(await store.getBlob(done.blobId), undefined);
    assert.equal(await bytes.length(done.blobId), 0);
  });
});

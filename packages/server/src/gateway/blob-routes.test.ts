/**
 * @module gateway/blob-routes.test
 * Files over real HTTP on 127.0.0.1 against a real server: a device creates an upload with the
 * CREATE_UPLOAD frame, uploads in two PATCHes with HEAD between, downloads whole and from an
 * offset, and the bytes compare equal; then every refusal with its status and code (oversized
 * file and body, quota, unknown and malformed ids, wrong offset, wrong and missing token, a
 * download of an incomplete upload, wrong content type, another site's page), an upload resumed
 * after its connection dropped mid-body, and one that outlasts the whole-request timeout.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, FrameType } from '@sotto/protocol';
import { startServer, type RunningServer } from '../server.js';
import { errorOf, makeIdentity, resultOf, WireClient, type ResultValue } from './wire-client.js';

const MIB = 1024 * 1024;
const name = (): string => `u${randomBytes(4).toString('hex')}`;
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
type Ticket = ResultValue<'upload'>;

/** Polls `check` until it holds (each look is cheap); fails after `ms`. */
async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('blob routes over HTTP', () => {
  let dir: string;
  let server: RunningServer;
  let client: WireClient;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sotto-blob-routes-'));
    server = await startServer(
      { dataDir: dir, port: 0, logLevel: 'silent', maxFileBytes: 4 * MIB, fileQuotaBytes: 10 * MIB, rateLimits: false },
      { requestTimeoutMs: 1000 },
    );
    client = await WireClient.connect(server.url);
    await client.register(name(), makeIdentity());
  });
  after(async () => {
    await client.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const url = (blobId: Uint8Array | string): string => `${server.url}/v1/blobs/${typeof blobId === 'string' ? blobId : hex(blobId)}`;

  async function createUpload(size: number, by = client): Promise<Ticket> {
    return resultOf(await by.request(FrameType.CREATE_UPLOAD, { size: BigInt(size) }), 'upload');
  }

  function patch(ticket: Ticket, offset: number, body: Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(url(ticket.blobId), {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ticket.token}`, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream', 'tus-resumable': '1.0.0', ...headers },
      body,
    });
  }

  function head(ticket: Ticket, token = ticket.token): Promise<Response> {
    return fetch(url(ticket.blobId), { method: 'HEAD', headers: { authorization: `Bearer ${token}` } });
  }

  async function errorCode(response: Response): Promise<string> {
    assert.match(response.headers.get('content-type') ?? '', /application\/json/);
    return ((await response.json()) as { error: { code: string } }).error.code;
  }

  test('create, upload in two PATCHes with HEAD between, download whole and from an offset: the same bytes', async () => {
    const data = new Uint8Array(randomBytes(3 * MIB + 123));
    const ticket = await createUpload(data.byteLength);
    assert.equal(ticket.blobId.byteLength, 16);
    assert.equal(ticket.maxSize, BigInt(4 * MIB));
    let answer = await head(ticket);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('upload-offset'), '0');
    assert.equal(answer.headers.get('upload-length'), String(data.byteLength));
    assert.equal(answer.headers.get('tus-resumable'), '1.0.0');
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    // Over the server's 1 MiB body limit for other routes: this route streams.
    answer = await patch(ticket, 0, data.subarray(0, 2 * MIB));
    assert.equal(answer.status, 204);
    assert.equal(answer.headers.get('upload-offset'), String(2 * MIB));
    answer = await head(ticket);
    assert.equal(answer.headers.get('upload-offset'), String(2 * MIB));
    assert.equal((await fetch(url(ticket.blobId))).status, 404, 'not downloadable before it is complete');
    answer = await patch(ticket, 2 * MIB, data.subarray(2 * MIB));
    assert.equal(answer.status, 204);
    assert.equal(answer.headers.get('upload-offset'), String(data.byteLength));

    const whole = await fetch(url(ticket.blobId));
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('content-type'), 'application/octet-stream');
    assert.equal(whole.headers.get('content-length'), String(data.byteLength));
    assert.equal(whole.headers.get('cache-control'), 'no-store');
    assert.equal(sha(new Uint8Array(await whole.arrayBuffer())), sha(data));

    const from = MIB + 5;
    const tail = await fetch(url(ticket.blobId), { headers: { range: `bytes=${from}-` } });
    assert.equal(tail.status, 206);
    assert.equal(tail.headers.get('content-range'), `bytes ${from}-${data.byteLength - 1}/${data.byteLength}`);
    assert.equal(tail.headers.get('content-length'), String(data.byteLength - from));
    assert.equal(sha(new Uint8Array(await tail.arrayBuffer())), sha(data.subarray(from)));

    const past = await fetch(url(ticket.blobId), { headers: { range: `bytes=${data.byteLength}-` } });
    assert.equal(past.status, 416);
    assert.equal(past.headers.get('content-range'), `bytes */${data.byteLength}`);
    assert.equal(await errorCode(past), 'RANGE_NOT_SATISFIABLE');

    const more = await patch(ticket, data.byteLength, new Uint8Array(1));
    assert.equal(more.status, 409);
    assert.equal(await errorCode(more), 'UPLOAD_COMPLETE');
    // The file is on disk as ciphertext under the data directory, 0600.
    const file = join(dir, 'blobs', hex(ticket.blobId).slice(0, 2), hex(ticket.blobId).slice(2, 4), hex(ticket.blobId));
    assert.equal(statSync(file).size, data.byteLength);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  test('a file over the cap is refused at CREATE_UPLOAD; a body longer than the rest of the file is 413', async () => {
    const tooBig = errorOf(await client.request(FrameType.CREATE_UPLOAD, { size: BigInt(4 * MIB + 1) }), ErrorCode.FILE_TOO_LARGE);
    assert.match(tooBig.message, /at most 4 MiB/);
    errorOf(await client.request(FrameType.CREATE_UPLOAD, { size: 0n }), ErrorCode.INVALID_ARGUMENT);
    const ticket = await createUpload(1000);
    const declared = await patch(ticket, 0, new Uint8Array(1001));
    assert.equal(declared.status, 413);
    assert.equal(await errorCode(declared), 'UPLOAD_TOO_LARGE');
    // Without a Content-Length the body is counted as it streams in.
    const streamed = await fetch(url(ticket.blobId), {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ticket.token}`, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new Uint8Array(600));
          controller.enqueue(new Uint8Array(600));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    assert.equal(streamed.status, 413);
    assert.equal(await errorCode(streamed), 'UPLOAD_TOO_LARGE');
    assert.equal((await head(ticket)).headers.get('upload-offset'), '0', 'nothing of a refused body is acknowledged');
  });

  test("the account's quota: QUOTA_EXCEEDED once its files and reservations would pass it", async () => {
    const other = await WireClient.connect(server.url);
    try {
      await other.register(name(), makeIdentity());
      for (let i = 0; i < 2; i++) await createUpload(4 * MIB, other);
      await createUpload(2 * MIB, other);
      const refused = errorOf(await other.request(FrameType.CREATE_UPLOAD, { size: 1n }), ErrorCode.QUOTA_EXCEEDED);
      assert.match(refused.message, /quota of 10 MiB/);
    } finally {
      await other.close();
    }
  });

  test('unknown and malformed ids: 404 BLOB_NOT_FOUND and 400 BAD_BLOB_ID, on every route', async () => {
    const unknown = new Uint8Array(randomBytes(16));
    const got = await fetch(url(unknown));
    assert.equal(got.status, 404);
    assert.equal(await errorCode(got), 'BLOB_NOT_FOUND');
    const ticket = await createUpload(10);
    const patched = await fetch(url(unknown), {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ticket.token}`, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      body: new Uint8Array(10),
    });
    assert.equal(patched.status, 404);
    assert.equal(await errorCode(patched), 'BLOB_NOT_FOUND');
    assert.equal((await fetch(url(unknown), { method: 'HEAD', headers: { authorization: `Bearer ${ticket.token}` } })).status, 404);
    for (const bad of ['xyz', hex(unknown).slice(1), `${hex(unknown)}00`, hex(unknown).toUpperCase()]) {
      const answer = await fetch(url(bad));
      assert.equal(answer.status, 400, bad);
      assert.equal(await errorCode(answer), 'BAD_BLOB_ID');
    }
  });

  test('a PATCH at the wrong offset is 409 with the offset to resume from; a bad offset header is 400', async () => {
    const ticket = await createUpload(100);
    assert.equal((await patch(ticket, 0, new Uint8Array(40))).status, 204);
    for (const offset of [0, 39, 41, 100]) {
      const answer = await patch(ticket, offset, new Uint8Array(10));
      assert.equal(answer.status, 409, `offset ${offset}`);
      assert.equal(answer.headers.get('upload-offset'), '40');
      assert.equal(await errorCode(answer), 'OFFSET_MISMATCH');
    }
    for (const offset of ['-1', '1e3', '', 'x']) {
      const answer = await patch(ticket, 0, new Uint8Array(1), { 'upload-offset': offset });
      assert.equal(answer.status, 400, JSON.stringify(offset));
      assert.equal(await errorCode(answer), 'BAD_UPLOAD_OFFSET');
    }
    const noTus = await patch(ticket, 40, new Uint8Array(1), { 'tus-resumable': '0.2.2' });
    assert.equal(noTus.status, 412);
    assert.equal(await errorCode(noTus), 'TUS_VERSION');
    assert.equal((await head(ticket)).headers.get('upload-offset'), '40');
  });

  test("a wrong, another blob's, or missing token is 401 TOKEN_INVALID", async () => {
    const mine = await createUpload(10);
    const other = await createUpload(10);
    for (const token of [other.token, `${mine.token.slice(0, -2)}AA`, 'x']) {
      const answer = await head(mine, token);
      assert.equal(answer.status, 401);
      assert.equal(answer.headers.get('www-authenticate'), 'Bearer');
      const patched = await patch({ ...mine, token }, 0, new Uint8Array(10));
      assert.equal(patched.status, 401);
      assert.equal(await errorCode(patched), 'TOKEN_INVALID');
    }
    const none = await fetch(url(mine.blobId), { method: 'PATCH', headers: { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, body: new Uint8Array(10) });
    assert.equal(none.status, 401);
    assert.equal(await errorCode(none), 'TOKEN_INVALID');
    assert.equal((await head(mine)).headers.get('upload-offset'), '0');
  });

  test('a download of an incomplete upload is 404 BLOB_NOT_FOUND', async () => {
    const ticket = await createUpload(10);
    assert.equal((await patch(ticket, 0, new Uint8Array(9))).status, 204);
    const answer = await fetch(url(ticket.blobId));
    assert.equal(answer.status, 404);
    assert.equal(await errorCode(answer), 'BLOB_NOT_FOUND');
  });

  test('a PATCH body of another content type is 415; a request from another site is 403', async () => {
    const ticket = await createUpload(10);
    const json = await patch(ticket, 0, new Uint8Array(Buffer.from('{"a":1}')), { 'content-type': 'application/json' });
    assert.equal(json.status, 415);
    assert.equal(await errorCode(json), 'UNSUPPORTED_MEDIA_TYPE');
    const data = new Uint8Array(randomBytes(10));
    const foreign = await patch(ticket, 0, data, { origin: 'https://evil.example' });
    assert.equal(foreign.status, 403);
    assert.equal(await errorCode(foreign), 'FOREIGN_ORIGIN');
    const own = await patch(ticket, 0, data, { origin: server.url });
    assert.equal(own.status, 204);
    assert.equal((await fetch(url(ticket.blobId), { headers: { origin: 'https://evil.example' } })).status, 403);
    assert.equal((await fetch(url(ticket.blobId), { headers: { origin: server.url } })).status, 200);
  });

  test('a connection dropped mid-body keeps what was made durable; HEAD then PATCH resumes from there', async () => {
    const data = new Uint8Array(randomBytes(2 * MIB));
    const ticket = await createUpload(data.byteLength);
    const file = join(dir, 'blobs', hex(ticket.blobId).slice(0, 2), hex(ticket.blobId).slice(2, 4), hex(ticket.blobId));
    const first = 700 * 1024;
    const request = httpRequest(url(ticket.blobId), {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${ticket.token}`,
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
        'content-length': String(data.byteLength),
      },
    });
    request.on('error', () => undefined);
    request.write(data.subarray(0, first));
    await until(() => existsSync(file) && statSync(file).size === first, 'the first bytes on disk');
    request.destroy();
    await until(async () => (await head(ticket)).headers.get('upload-offset') === String(first), 'the durable bytes acknowledged');
    assert.equal((await patch(ticket, first, data.subarray(first))).status, 204);
    assert.equal(sha(new Uint8Array(await (await fetch(url(ticket.blobId))).arrayBuffer())), sha(data));
  });

  test('a streaming upload may take longer than the whole-request timeout, as long as it does not stall', async () => {
    const pieces = 8;
    const piece = 1000;
    const ticket = await createUpload(pieces * piece);
    let remaining = pieces;
    const answer = await fetch(url(ticket.blobId), {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ticket.token}`, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      body: new ReadableStream({
        async pull(controller) {
          // 8 pieces 250 ms apart: 2 s in all, twice the server's 1 s request timeout here.
          await new Promise((resolve) => setTimeout(resolve, 250));
          controller.enqueue(new Uint8Array(piece).fill(7));
          if (--remaining === 0) controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    assert.equal(answer.status, 204);
    assert.equal(answer.headers.get('upload-offset'), String(pieces * piece));
  });
});

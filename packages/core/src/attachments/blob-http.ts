/**
 * @module attachments/blob-http
 * The client side of the server's file routes (PROTOCOL.md §11), over the injected `HttpPort`:
 * a resumable upload in chunks (tus 1.0 core: PATCH at `Upload-Offset`, HEAD to learn where a
 * broken upload stands) and a download that resumes with `Range`. Only ciphertext passes here;
 * what it is and what opens it never leave the MLS message.
 */
import { ClientError } from '../errors.js';
import type { HttpAnswer, HttpPort } from '../ports.js';

/** One PATCH carries at most this much: memory stays flat, and a broken chunk costs little to redo. */
export const UPLOAD_CHUNK_BYTES = 4 * 1024 * 1024;
/** Attempts per chunk (and per download) before giving up: each after a HEAD (or a Range) that resumes. */
const ATTEMPTS = 4;
const TUS = { 'Tus-Resumable': '1.0.0' } as const;

export interface UploadTarget {
  /** 32 hex digits, as the server named it in the ticket. */
  readonly blobId: string;
  readonly token: string;
}

/** The server's HTTP origin for a base URL (ws -> http, wss -> https; a secure URL never becomes plain). */
export function httpBase(serverUrl: string): string {
  const url = new URL(serverUrl);
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  if (!secure && url.protocol !== 'http:' && url.protocol !== 'ws:') {
    throw new ClientError('INVALID_INPUT', `A server address starts with https:// or http://, not ${url.protocol}//.`);
  }
  return `${secure ? 'https:' : 'http:'}//${url.host}`;
}

const blobUrl = (serverUrl: string, blobId: string) => `${httpBase(serverUrl)}/v1/blobs/${blobId}`;

/** The server's words for a refused request: its JSON error's message, else the status. */
async function refusal(answer: HttpAnswer): Promise<{ code: string; message: string }> {
  try {
    const parsed = JSON.parse(await answer.text()) as { error?: { code?: unknown; message?: unknown } };
    const code = typeof parsed.error?.code === 'string' ? parsed.error.code : `HTTP_${answer.status}`;
    const message = typeof parsed.error?.message === 'string' ? parsed.error.message : `The server answered ${answer.status}.`;
    return { code, message };
  } catch {
    return { code: `HTTP_${answer.status}`, message: `The server answered ${answer.status}.` };
  }
}

/** Statuses a retry cannot change: the request itself is refused. */
const FINAL = new Set([400, 401, 403, 404, 412, 413, 415, 416]);

function offsetOf(answer: HttpAnswer): number | undefined {
  const value = answer.header('upload-offset');
  return value !== null && /^\d{1,16}$/.test(value) ? Number(value) : undefined;
}

/** Fills `size` bytes (or what is left) from `source` into one buffer. */
async function nextChunk(source: AsyncIterator<Uint8Array>, pending: { rest: Uint8Array }, size: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  if (pending.rest.byteLength > 0) {
    const take = pending.rest.subarray(0, size);
    parts.push(take);
    length += take.byteLength;
    pending.rest = pending.rest.subarray(take.byteLength);
  }
  while (length < size) {
    const next = await source.next();
    if (next.done) break;
    const need = size - length;
    parts.push(next.value.subarray(0, need));
    length += Math.min(need, next.value.byteLength);
    if (next.value.byteLength > need) pending.rest = next.value.subarray(need);
  }
  const chunk = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    chunk.set(part, at);
    at += part.byteLength;
  }
  return chunk;
}

/** Skips the first `offset` bytes of a stream (a resumed upload re-encrypts from the start: the same key and file give the same bytes). */
async function* from(source: AsyncIterable<Uint8Array>, offset: number): AsyncIterable<Uint8Array> {
  let skip = offset;
  for await (const chunk of source) {
    if (skip >= chunk.byteLength) {
      skip -= chunk.byteLength;
      continue;
    }
    yield skip > 0 ? chunk.subarray(skip) : chunk;
    skip = 0;
  }
}

/**
 * Uploads `size` bytes of ciphertext to the ticket's blob. `body()` yields the whole ciphertext
 * from its first byte each time it is called; after a failed chunk the upload asks the server
 * (HEAD) how much it kept, and goes on from there with a fresh `body()`.
 */
export async function uploadBlob(http: HttpPort, serverUrl: string, target: UploadTarget, size: number, body: () => AsyncIterable<Uint8Array>): Promise<void> {
  const url = blobUrl(serverUrl, target.blobId);
  const auth = { ...TUS, Authorization: `Bearer ${target.token}` };
  let offset = 0;
  let failures = 0;
  while (offset < size) {
    const source = from(body(), offset)[Symbol.asyncIterator]();
    const pending = { rest: new Uint8Array(0) };
    try {
      while (offset < size) {
        const chunk = await nextChunk(source, pending, Math.min(UPLOAD_CHUNK_BYTES, size - offset));
        if (chunk.byteLength === 0) throw new ClientError('UPLOAD_FAILED', 'The file ended before its declared size; nothing more was sent.');
        const answer = await http.request('PATCH', url, { ...auth, 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' }, chunk);
        if (answer.status === 204 || answer.status === 200) {
          offset = offsetOf(answer) ?? offset + chunk.byteLength;
          failures = 0;
          continue;
        }
        const why = await refusal(answer);
        // The server stands elsewhere (an earlier PATCH landed after all): go on from where it is.
        if (answer.status === 409 && why.code === 'OFFSET_MISMATCH' && offsetOf(answer) !== undefined) {
          offset = offsetOf(answer)!;
          break;
        }
        if (FINAL.has(answer.status)) throw new ClientError('UPLOAD_FAILED', `The server refused the file: ${why.message} (${why.code})`);
        throw new Error(`PATCH answered ${answer.status}`);
      }
    } catch (error) {
      if (error instanceof ClientError) throw error;
      failures += 1;
      if (failures >= ATTEMPTS) throw new ClientError('UPLOAD_FAILED', `The upload broke off ${ATTEMPTS} times; try again later.`, { cause: error });
      offset = await standing(http, url, auth, offset);
    } finally {
      await source.return?.();
    }
  }
}

/** Where the server's copy of an upload stands (HEAD), or `known` if it cannot say. */
async function standing(http: HttpPort, url: string, auth: Readonly<Record<string, string>>, known: number): Promise<number> {
  try {
    const answer = await http.request('HEAD', url, auth);
    if (answer.status === 200 || answer.status === 204) return offsetOf(answer) ?? known;
    if (FINAL.has(answer.status)) throw new ClientError('UPLOAD_FAILED', `The server refused the file: ${(await refusal(answer)).message}`);
  } catch (error) {
    if (error instanceof ClientError) throw error;
  }
  return known;
}

/**
 * The blob's ciphertext, streamed; a connection that breaks off is resumed with `Range` where it
 * stopped. Unknown, unfinished or expired blobs are FILE_UNAVAILABLE.
 */
export async function* downloadBlob(http: HttpPort, serverUrl: string, blobId: string): AsyncIterable<Uint8Array> {
  const url = blobUrl(serverUrl, blobId);
  let received = 0;
  let failures = 0;
  for (;;) {
    let answer: HttpAnswer;
    try {
      answer = await http.request('GET', url, received > 0 ? { Range: `bytes=${received}-` } : {});
    } catch (error) {
      if (++failures >= ATTEMPTS) throw new ClientError('FILE_UNAVAILABLE', 'The server could not be reached for the file; try again later.', { cause: error });
      continue;
    }
    if (answer.status === 404) throw new ClientError('FILE_UNAVAILABLE', `The file is not on the server: ${(await refusal(answer)).message}`);
    if (!(answer.status === 200 && received === 0) && !(answer.status === 206 && received > 0)) {
      const why = await refusal(answer);
      throw new ClientError('FILE_UNAVAILABLE', `The server did not send the file: ${why.message} (${why.code})`);
    }
    try {
      for await (const chunk of answer.body) {
        received += chunk.byteLength;
        yield chunk;
      }
      return;
    } catch (error) {
      if (++failures >= ATTEMPTS) throw new ClientError('FILE_UNAVAILABLE', `The download broke off ${ATTEMPTS} times; try again later.`, { cause: error });
    }
  }
}

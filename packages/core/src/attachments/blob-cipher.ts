/**
 * @module attachments/blob-cipher
 * Streaming authenticated encryption of one attachment under its own fresh 32-byte key: the
 * payload construction of age v1 (C2SP age.md, "Payload"; the STREAM construction of Hoang,
 * Reyhanitabar, Rogaway and Vizár), with ChaCha20-Poly1305 from @noble/ciphers. Chosen because it
 * is a vetted, written-down design a second implementation can follow byte for byte; nothing here
 * is a primitive.
 *
 * - The plaintext is cut into 64 KiB chunks; each is sealed on its own, with a 16-byte tag.
 * - The 12-byte nonce is the chunk counter (11 bytes, big-endian, from 0) then a last-chunk flag
 *   (0x01 on the final chunk, else 0x00). So chunks cannot be reordered, dropped from the end or
 *   followed by more, and a file cannot be cut at a chunk boundary without the cut showing.
 * - Every chunk but the last is full; the last may be full, and is empty only when the whole
 *   file is (an empty file is one empty final chunk, 16 bytes). No associated data.
 *
 * Unlike age, the key is not derived from a file key and a nonce header: each attachment's key is
 * fresh random bytes used for exactly one file, which is what age's HKDF step provides.
 *
 * Memory stays bounded by one chunk whatever the caller's input chunking. Decrypted chunks are
 * yielded as they verify, before the end of the file is seen: the caller keeps nothing until the
 * iteration finishes without throwing (write to a temporary place, then keep it).
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ClientError } from '../errors.js';
import { equalBytes } from '../bytes.js';

export const BLOB_KEY_BYTES = 32;
/** Plaintext bytes per chunk (age: 64 KiB). */
export const BLOB_CHUNK_BYTES = 64 * 1024;
/** Poly1305 tag added to each chunk. */
export const BLOB_TAG_BYTES = 16;
const SEALED_CHUNK_BYTES = BLOB_CHUNK_BYTES + BLOB_TAG_BYTES;
const NONCE_BYTES = 12;
/** The counter must fit 11 bytes; a JavaScript number is exact to 2^53, far past any file's chunks. */
const MAX_CHUNKS = Number.MAX_SAFE_INTEGER;

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.byteLength !== BLOB_KEY_BYTES) {
    throw new ClientError('INVALID_INPUT', `An attachment key must be ${BLOB_KEY_BYTES} bytes.`);
  }
}

/** 11-byte big-endian counter, then the last-chunk flag. */
function chunkNonce(counter: number, last: boolean): Uint8Array {
  const nonce = new Uint8Array(NONCE_BYTES);
  const view = new DataView(nonce.buffer);
  view.setUint32(3, Math.floor(counter / 2 ** 32));
  view.setUint32(7, counter >>> 0);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/**
 * Collects bytes from any chunking into fixed-size blocks, holding one full block back until it
 * is known whether more follows (a full block may be the last one).
 */
async function* blocks(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<{ block: Uint8Array; last: boolean }> {
  let buffer = new Uint8Array(size);
  let filled = 0;
  for await (const piece of source) {
    if (!(piece instanceof Uint8Array)) throw new ClientError('INVALID_INPUT', 'A stream of bytes must yield Uint8Array chunks.');
    let offset = 0;
    while (offset < piece.byteLength) {
      if (filled === size) {
        // More bytes follow a full block, so that block is not the last.
        yield { block: buffer, last: false };
        buffer = new Uint8Array(size);
        filled = 0;
      }
      const take = Math.min(size - filled, piece.byteLength - offset);
      buffer.set(piece.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
    }
  }
  yield { block: buffer.subarray(0, filled), last: true };
}

/** Encrypts a file of any length; yields one sealed chunk (64 KiB + 16 bytes, the last shorter) at a time. */
export async function* encryptStream(key: Uint8Array, source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  checkKey(key);
  let counter = 0;
  for await (const { block, last } of blocks(source, BLOB_CHUNK_BYTES)) {
    if (counter >= MAX_CHUNKS) throw new ClientError('INVALID_INPUT', 'This file is too large to encrypt.');
    yield chacha20poly1305(key, chunkNonce(counter, last)).encrypt(block);
    counter++;
  }
}

const tampered = (why: string, cause?: unknown) =>
  new ClientError('FILE_TAMPERED', `This file's encrypted data was altered or is incomplete (${why}); nothing from it is kept.`, { cause });

/**
 * Decrypts what `encryptStream` made, yielding plaintext chunk by chunk. Throws a
 * `ClientError('FILE_TAMPERED')` on any change: a flipped bit, chunks reordered, the end cut off, bytes
 * after the final chunk, or an empty final chunk after full ones (which `encryptStream` never
 * writes; accepting it would give one file two encodings).
 */
export async function* decryptStream(key: Uint8Array, source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  checkKey(key);
  let counter = 0;
  for await (const { block, last } of blocks(source, SEALED_CHUNK_BYTES)) {
    if (counter >= MAX_CHUNKS) throw tampered('too many chunks');
    if (block.byteLength < BLOB_TAG_BYTES) throw tampered(counter === 0 && block.byteLength === 0 ? 'no data' : 'a chunk is cut short');
    if (last && counter > 0 && block.byteLength === BLOB_TAG_BYTES) throw tampered('an empty chunk after the data');
    let plain: Uint8Array;
    try {
      plain = chacha20poly1305(key, chunkNonce(counter, last)).decrypt(block);
    } catch (error) {
      throw tampered(last ? 'the final chunk does not verify' : `chunk ${counter} does not verify`, error);
    }
    yield plain;
    counter++;
  }
}

/** The exact ciphertext size for a plaintext size: one tag per chunk, and an empty file is one chunk. */
export function ciphertextSize(plainSize: number): number {
  if (!Number.isSafeInteger(plainSize) || plainSize < 0) throw new ClientError('INVALID_INPUT', 'A file size must be a whole number of bytes, 0 or more.');
  const chunks = Math.max(1, Math.ceil(plainSize / BLOB_CHUNK_BYTES));
  return plainSize + chunks * BLOB_TAG_BYTES;
}

/**
 * SHA-256 over the ciphertext as it streams past (`Attachment.digest`): the sender feeds what it
 * uploads, the receiver what it downloads, and `verify` refuses a blob that is not the one named.
 */
export class CiphertextDigest {
  private readonly hash = sha256.create();
  private result: Uint8Array | undefined;

  update(chunk: Uint8Array): void {
    if (this.result !== undefined) throw new ClientError('INVALID_INPUT', 'The digest is already finished.');
    this.hash.update(chunk);
  }

  /** Finishes (once) and returns the 32-byte digest. */
  digest(): Uint8Array {
    this.result ??= this.hash.digest();
    return this.result.slice();
  }

  /** Finishes and throws `ClientError('FILE_TAMPERED')` unless the digest equals `expected`. */
  verify(expected: Uint8Array): void {
    if (!equalBytes(this.digest(), expected)) {
      throw new ClientError('FILE_TAMPERED', "This file's data on the server is not the file that was sent (its digest differs); nothing from it is kept.");
    }
  }
}

/** Passes a byte stream through unchanged while feeding `digest`: e.g. `digestAlong(encryptStream(key, file), digest)`. */
export async function* digestAlong(source: AsyncIterable<Uint8Array>, digest: CiphertextDigest): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    digest.update(chunk);
    yield chunk;
  }
}

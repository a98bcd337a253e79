/**
 * @module node-hkdf
 * HKDF for MLS through OpenSSL's HMAC (futoin-hkdf over node:crypto), injected into the engine as
 * its `Hkdf`. The key schedule runs about five HKDF-SHA-512 expansions per message; in pure JS
 * (@noble/hashes, the engine's default) one took ~24 us here, through OpenSSL ~6 us, and that was
 * the largest cost of an encrypted message left after Ed25519 (profiled, bench/mls.mjs).
 */
import hkdf from 'futoin-hkdf';
import { HKDF_HASH_BYTES, type Hkdf, type HkdfHash } from '@sotto/core';

const NAMES: Record<HkdfHash, string> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

const view = (buffer: Buffer): Uint8Array => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export const nodeHkdf: Hkdf = {
  extract: (hash, salt, ikm) => view(hkdf.extract(NAMES[hash], HKDF_HASH_BYTES[hash], asBuffer(ikm), asBuffer(salt))),
  expand: (hash, prk, info, length) => view(hkdf.expand(NAMES[hash], HKDF_HASH_BYTES[hash], asBuffer(prk), length, asBuffer(info))),
};

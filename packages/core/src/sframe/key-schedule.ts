/**
 * @module sframe/key-schedule
 * Where SFrame keys come from. Section 4.4.2: each (KID, base_key) gives an AEAD key and a salt by
 * HKDF with the suite's hash. Section 5.2: with MLS, the epoch's base_key is the MLS exporter's
 * output for "SFrame 1.0 Base Key", shared by the group, and each member sends under its own KIDs
 * (context | sender index | low epoch bits), so each member's key and salt differ.
 *
 * RFC 9605 as published has no per-sender `MLS-Expand` step (drafts before September 2023 had a
 * `sender_base_key`): the KID inside the HKDF labels is what separates senders.
 */
import { expand, extract } from '@noble/hashes/hkdf.js';
import { concatBytes, utf8 } from '../bytes.js';
import { MAX_U64 } from './header.js';
import { SFrameError } from './sframe-error.js';
import type { CipherSuite } from './suites.js';

export interface SFrameKeyMaterial {
  /** sframe_key: the AEAD key (AEAD.Nk bytes). */
  readonly key: Uint8Array;
  /** sframe_salt: XORed with the CTR to make each nonce (AEAD.Nn bytes). */
  readonly salt: Uint8Array;
}

const KEY_LABEL = 'SFrame 1.0 Secret key ';
const SALT_LABEL = 'SFrame 1.0 Secret salt ';
const EMPTY = new Uint8Array(0);

function checkKid(kid: bigint): void {
  if (typeof kid !== 'bigint' || kid < 0n || kid > MAX_U64) {
    throw new SFrameError('BAD_INPUT', 'a KID must be an integer from 0 to 2^64-1.');
  }
}

/** The label's tail: KID as 8 bytes then the suite as 2 bytes, big-endian (not the header's short form). */
function kidAndSuite(kid: bigint, suite: CipherSuite): Uint8Array {
  const out = new Uint8Array(10);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, kid);
  view.setUint16(8, suite.id);
  return out;
}

export function sframeKeyLabel(suite: CipherSuite, kid: bigint): Uint8Array {
  checkKid(kid);
  return concatBytes(utf8.encode(KEY_LABEL), kidAndSuite(kid, suite));
}

export function sframeSaltLabel(suite: CipherSuite, kid: bigint): Uint8Array {
  checkKid(kid);
  return concatBytes(utf8.encode(SALT_LABEL), kidAndSuite(kid, suite));
}

/** derive_key_salt(KID, base_key) of section 4.4.2. */
export function deriveKeySalt(suite: CipherSuite, kid: bigint, baseKey: Uint8Array): SFrameKeyMaterial {
  if (!(baseKey instanceof Uint8Array) || baseKey.byteLength === 0) {
    throw new SFrameError('BAD_INPUT', 'a base key must be non-empty bytes.');
  }
  // HKDF-Extract with an empty salt: HMAC pads the empty key to HashLen zeros, as RFC 5869 asks.
  const secret = extract(suite.hash, baseKey, EMPTY);
  return {
    key: expand(suite.hash, secret, sframeKeyLabel(suite, kid), suite.keyBytes),
    salt: expand(suite.hash, secret, sframeSaltLabel(suite, kid), suite.nonceBytes),
  };
}

// ---- Section 5.2: MLS ----

/** The exporter label and context of section 5.2; the length is the suite's AEAD.Nk. */
export const MLS_EXPORTER_LABEL = 'SFrame 1.0 Base Key';
export const MLS_EXPORTER_CONTEXT: Uint8Array = EMPTY;

/**
 * The MLS group's exporter for the current epoch (MLS-Exporter of RFC 9420 section 8.5), handed in
 * by the MLS layer: with ts-mls, `(label, context, length) => mlsExporter(state.keySchedule.exporterSecret, label, context, length, cs)`.
 */
export type MlsExporter = (label: string, context: Uint8Array, length: number) => Promise<Uint8Array> | Uint8Array;

/** base_key = MLS-Exporter("SFrame 1.0 Base Key", "", AEAD.Nk): one per epoch, for every member's KIDs. */
export async function mlsEpochBaseKey(exporter: MlsExporter, suite: CipherSuite): Promise<Uint8Array> {
  const baseKey = await exporter(MLS_EXPORTER_LABEL, MLS_EXPORTER_CONTEXT, suite.keyBytes);
  if (!(baseKey instanceof Uint8Array) || baseKey.byteLength !== suite.keyBytes) {
    throw new SFrameError('BAD_INPUT', `the MLS exporter must give ${suite.keyBytes} bytes.`);
  }
  return baseKey;
}

/** How the 64 KID bits are shared out (section 5.2, figure 8), fixed by the application. */
export interface MlsKidLayout {
  /** S: bits for the member's leaf index, enough for the largest group (see senderBitsFor). */
  readonly senderBits: number;
  /** E: low bits of the epoch; 2^E epochs can be live at once (the reordering window). */
  readonly epochBits: number;
}

export interface MlsKidParts {
  /** Free for the sender (e.g. one per outgoing stream); 0 gives the shortest header. */
  readonly context: bigint;
  readonly senderIndex: number;
  /** Only the low E bits travel. */
  readonly epoch: bigint;
}

/** The smallest S with groupSize <= 2^S. */
export function senderBitsFor(groupSize: number): number {
  if (!Number.isSafeInteger(groupSize) || groupSize < 1) throw new SFrameError('BAD_INPUT', 'a group size must be a positive integer.');
  let bits = 0;
  while (2 ** bits < groupSize) bits++;
  return bits;
}

function checkLayout(layout: MlsKidLayout): void {
  const { senderBits, epochBits } = layout;
  if (!Number.isInteger(senderBits) || !Number.isInteger(epochBits) || senderBits < 0 || epochBits < 0 || senderBits + epochBits > 64) {
    throw new SFrameError('BAD_INPUT', 'a KID layout needs whole sender and epoch bit counts that add up to at most 64.');
  }
}

/** KID = (context << (S + E)) + (sender_index << E) + (epoch % 2^E). */
export function mlsKid(layout: MlsKidLayout, parts: MlsKidParts): bigint {
  checkLayout(layout);
  const senderBits = BigInt(layout.senderBits);
  const epochBits = BigInt(layout.epochBits);
  const { context, senderIndex, epoch } = parts;
  if (!Number.isSafeInteger(senderIndex) || senderIndex < 0 || BigInt(senderIndex) >= 1n << senderBits) {
    throw new SFrameError('BAD_INPUT', `a sender index must be below 2^${layout.senderBits}.`);
  }
  if (typeof context !== 'bigint' || context < 0n || context >= 1n << (64n - senderBits - epochBits)) {
    throw new SFrameError('BAD_INPUT', `a KID context must be below 2^${64 - layout.senderBits - layout.epochBits}.`);
  }
  if (typeof epoch !== 'bigint' || epoch < 0n) throw new SFrameError('BAD_INPUT', 'an epoch must be a non-negative bigint.');
  return (context << (senderBits + epochBits)) | (BigInt(senderIndex) << epochBits) | (epoch & ((1n << epochBits) - 1n));
}

/** A received KID's parts; `epoch` is only its low E bits, to match against the live epochs. */
export function parseMlsKid(layout: MlsKidLayout, kid: bigint): MlsKidParts {
  checkLayout(layout);
  checkKid(kid);
  const senderBits = BigInt(layout.senderBits);
  const epochBits = BigInt(layout.epochBits);
  return {
    context: kid >> (senderBits + epochBits),
    senderIndex: Number((kid >> epochBits) & ((1n << senderBits) - 1n)),
    epoch: kid & ((1n << epochBits) - 1n),
  };
}

/**
 * @module sframe/sframe
 * An SFrame context (RFC 9605 section 4.4): keys by KID, each for sending or for receiving, never
 * both; `encrypt` makes header || AEAD(plaintext) with AAD = header || metadata and nonce =
 * salt XOR CTR, the CTR a per-key counter that never repeats; `decrypt` undoes it and refuses
 * anything that does not verify, with an SFrameError whose `reason` says why.
 *
 * Pure: bytes in, bytes out, so the browser's encoded-transform worker and the Node client share it.
 */
import { decodeHeader, MAX_U64 } from './header.js';
import { openFrame, sealFrame } from './frame.js';
import { deriveKeySalt } from './key-schedule.js';
import { ReplayWindow } from './replay-window.js';
import { SFrameError } from './sframe-error.js';
import { cipherSuite, type CipherSuite } from './suites.js';

/**
 * Frames a receive key remembers for anti-replay. One KID may carry a sender's audio (50 frames/s
 * with 20 ms Opus) and video (up to 60 frames/s) in one CTR sequence; the two go through separate
 * jitter buffers, so one can lag the other by a second or more (video key frames, NACK resends).
 * 1024 counters is about 9 s of both together at full rate, 20 s of audio alone: far more
 * reordering than a call survives, for 1 KiB per sender.
 */
export const DEFAULT_REPLAY_WINDOW = 1024;

export interface SFrameContextOptions {
  /** The last CTR a send key may use (default 2^64-1, the header's limit); past it, encrypt refuses. */
  readonly counterLimit?: bigint;
  /** Anti-replay window per receive key, in frames (default DEFAULT_REPLAY_WINDOW). */
  readonly replayWindow?: number;
}

export interface DecryptedFrame {
  readonly kid: bigint;
  readonly ctr: bigint;
  readonly plaintext: Uint8Array;
}

interface SendKey {
  readonly use: 'send';
  readonly key: Uint8Array;
  readonly salt: Uint8Array;
  nextCtr: bigint;
}

interface ReceiveKey {
  readonly use: 'receive';
  readonly key: Uint8Array;
  readonly salt: Uint8Array;
  readonly replay: ReplayWindow;
}

const EMPTY = new Uint8Array(0);

function describeKid(kid: bigint): string {
  return `0x${kid.toString(16)}`;
}

function checkBytes(name: string, value: Uint8Array): void {
  if (!(value instanceof Uint8Array)) throw new SFrameError('BAD_INPUT', `the ${name} must be bytes.`);
}

export class SFrameContext {
  readonly suite: CipherSuite;
  readonly #keys = new Map<bigint, SendKey | ReceiveKey>();
  readonly #counterLimit: bigint;
  readonly #replayWindow: number;

  constructor(suite: CipherSuite | number, options: SFrameContextOptions = {}) {
    this.suite = typeof suite === 'number' ? cipherSuite(suite) : suite;
    const { counterLimit = MAX_U64, replayWindow = DEFAULT_REPLAY_WINDOW } = options;
    if (typeof counterLimit !== 'bigint' || counterLimit < 0n || counterLimit > MAX_U64) {
      throw new SFrameError('BAD_INPUT', 'the counter limit must be from 0 to 2^64-1.');
    }
    if (!Number.isSafeInteger(replayWindow) || replayWindow < 1) {
      throw new SFrameError('BAD_INPUT', 'the replay window must be a whole number of frames, at least 1.');
    }
    this.#counterLimit = counterLimit;
    this.#replayWindow = replayWindow;
  }

  /**
   * A key this device encrypts with; its CTR starts at 0. The base key must never have been used
   * under this KID before (with MLS, each epoch's exporter gives a new one): the counter restarts,
   * so reusing a (KID, base key) pair would reuse nonces.
   */
  addSendKey(kid: bigint, baseKey: Uint8Array): void {
    const { key, salt } = this.#derive(kid, baseKey);
    this.#keys.set(kid, { use: 'send', key, salt, nextCtr: 0n });
  }

  /** A key frames from others are decrypted with. */
  addReceiveKey(kid: bigint, baseKey: Uint8Array): void {
    const { key, salt } = this.#derive(kid, baseKey);
    this.#keys.set(kid, { use: 'receive', key, salt, replay: new ReplayWindow(this.#replayWindow) });
  }

  /** Forgets a key (e.g. the epoch it belongs to is over); false when there was none. */
  removeKey(kid: bigint): boolean {
    const entry = this.#keys.get(kid);
    if (!entry) return false;
    // The derived bytes live only here: zeroing ends them now, not at garbage collection (best effort).
    entry.key.fill(0);
    entry.salt.fill(0);
    return this.#keys.delete(kid);
  }

  hasKey(kid: bigint): boolean {
    return this.#keys.has(kid);
  }

  /** The SFrame ciphertext of one frame: header || AEAD.Encrypt(key, nonce, header || metadata, plaintext). */
  encrypt(kid: bigint, plaintext: Uint8Array, metadata: Uint8Array = EMPTY): Uint8Array {
    checkBytes('plaintext', plaintext);
    checkBytes('metadata', metadata);
    const entry = this.#keys.get(kid);
    if (!entry || entry.use !== 'send') {
      throw new SFrameError('BAD_INPUT', `there is no send key for KID ${typeof kid === 'bigint' ? describeKid(kid) : String(kid)}.`);
    }
    const ctr = entry.nextCtr;
    if (ctr > this.#counterLimit) {
      throw new SFrameError('COUNTER_EXHAUSTED', `the send key for KID ${describeKid(kid)} has used all its counters: add a new key.`);
    }
    // Advanced before sealing (section 9.1): whatever happens next, this CTR is never used again.
    entry.nextCtr = ctr + 1n;
    return sealFrame(this.suite, entry, kid, ctr, metadata, plaintext);
  }

  /** The plaintext of one SFrame ciphertext; throws an SFrameError when it cannot be trusted. */
  decrypt(ciphertext: Uint8Array, metadata: Uint8Array = EMPTY): Uint8Array {
    return this.decryptFrame(ciphertext, metadata).plaintext;
  }

  /** As decrypt, with the KID and CTR the frame was sent under (authenticated once this returns). */
  decryptFrame(ciphertext: Uint8Array, metadata: Uint8Array = EMPTY): DecryptedFrame {
    checkBytes('ciphertext', ciphertext);
    checkBytes('metadata', metadata);
    const { kid, ctr, length } = decodeHeader(ciphertext);
    const entry = this.#keys.get(kid);
    if (!entry || entry.use !== 'receive') {
      throw new SFrameError('UNKNOWN_KID', `there is no receive key for KID ${describeKid(kid)}.`);
    }
    const verdict = entry.replay.check(ctr);
    if (verdict !== 'fresh') {
      throw new SFrameError('REPLAY', verdict === 'seen' ? `CTR ${ctr} of KID ${describeKid(kid)} was already received.` : `CTR ${ctr} of KID ${describeKid(kid)} is older than the replay window.`);
    }
    const plaintext = openFrame(this.suite, entry, ciphertext.subarray(0, length), ctr, metadata, ciphertext.subarray(length));
    entry.replay.accept(ctr);
    return { kid, ctr, plaintext };
  }

  #derive(kid: bigint, baseKey: Uint8Array): { key: Uint8Array; salt: Uint8Array } {
    if (typeof kid === 'bigint' && this.#keys.has(kid)) {
      // Replacing silently would restart a send counter or drop a replay window: make it explicit.
      throw new SFrameError('BAD_INPUT', `KID ${describeKid(kid)} already has a key: remove it first.`);
    }
    return deriveKeySalt(this.suite, kid, baseKey);
  }
}

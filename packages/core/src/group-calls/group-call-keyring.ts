/**
 * @module group-calls/group-call-keyring
 * The SFrame keys of one device in one group call (RFC 9605 section 5.2, keys from MLS). Every
 * epoch of the group gives one base key from the MLS exporter; each participant sends under its
 * own KIDs (a random context of its join, its leaf index, the epoch's low bits), so no two
 * senders, and no two joins of one device, ever share a key and nonce sequence.
 *
 * A receive key is derived when a frame first names its KID, and only for a leaf that holds a
 * member (not this device) in the current epoch; a key whose first frame does not authenticate
 * is forgotten at once, so forged KIDs cost a derivation each and fill nothing. A commit (someone
 * joined or left the group) starts a new epoch: this device sends under it at once, and keys
 * already in use under the epoch before still open frames for RETIRED_EPOCH_GRACE_MS, so frames in
 * flight across a commit are not lost, while a member the commit removed can neither start anew
 * under the old epoch nor go on under it. A removed member never learns a later epoch's exporter.
 */
import { concatBytes } from '../bytes.js';
import { decodeHeader } from '../sframe/header.js';
import { mlsEpochBaseKey, mlsKid, parseMlsKid, type MlsExporter, type MlsKidLayout } from '../sframe/key-schedule.js';
import { SFrameContext } from '../sframe/sframe.js';
import { SFrameError } from '../sframe/sframe-error.js';
import { CIPHER_SUITE_IDS, cipherSuite } from '../sframe/suites.js';
import { clearPrefixLength, type GroupCallMediaKind } from './media-frame.js';

/** AES-128-GCM with a 16-byte tag: what the browser's WebCrypto also does, for the same frames. */
export const GROUP_CALL_SFRAME_SUITE = cipherSuite(CIPHER_SUITE_IDS.AES_128_GCM_SHA256_128);

/** 12 bits of leaf index (a group of 1,000 members has fewer than 4,096 leaves) and 4 of epoch. */
export const GROUP_CALL_KID_LAYOUT: MlsKidLayout = { senderBits: 12, epochBits: 4 };

/** Bits of a join's random KID context: two joins of one device in one epoch collide with p = 2^-24. */
export const GROUP_CALL_CONTEXT_BITS = 24;

/** The current epoch and the one before: frames sent just before a commit still open after it. */
const LIVE_EPOCHS = 2;

/**
 * How long after a commit the epoch before still opens frames, and then only under keys already
 * in use: a member the commit removed keeps that epoch's secret, and must not go on speaking
 * (under a new context of their choosing, or as long as nobody commits again).
 */
export const RETIRED_EPOCH_GRACE_MS = 3_000;

/** Receive keys kept at most (32 participants, two epochs, a few rejoins each); the oldest go first. */
const MAX_RECEIVE_KEYS = 256;

export interface GroupCallMember {
  readonly user: string;
  readonly device: string;
}

/** One key per device, for maps and sets of participants. */
export function memberKey(member: GroupCallMember): string {
  return `${member.user}\n${member.device}`;
}

/** One epoch of the group, as the MLS layer sees it. */
export interface GroupCallEpoch {
  readonly epoch: bigint;
  readonly exporter: MlsExporter;
  /** This device's leaf in that epoch. */
  readonly ownLeaf: number;
  /** Who is at each leaf in that epoch: only they may send. */
  readonly members: ReadonlyMap<number, GroupCallMember>;
}

/**
 * One epoch's key material, for a keyring in another realm (the browser's media worker seals and
 * opens frames with a keyring of its own): the base key is as secret as the frames it opens.
 */
export interface GroupCallEpochKeys {
  readonly epoch: bigint;
  readonly baseKey: Uint8Array;
  readonly ownLeaf: number;
  readonly members: ReadonlyMap<number, GroupCallMember>;
}

/** A frame that opened: who sent it (an authenticated member of a live epoch) and its bytes. */
export interface OpenedGroupCallFrame {
  readonly from: GroupCallMember;
  readonly plaintext: Uint8Array;
}

interface LiveEpoch {
  readonly epoch: bigint;
  readonly baseKey: Uint8Array;
  readonly ownLeaf: number;
  readonly members: ReadonlyMap<number, GroupCallMember>;
  /** When a newer epoch replaced it (by the keyring's clock); undefined while it is the newest. */
  retiredAt?: number;
}

export class GroupCallKeyring {
  readonly #sframe = new SFrameContext(GROUP_CALL_SFRAME_SUITE);
  /** Newest first. */
  #epochs: LiveEpoch[] = [];
  #sendKid: bigint | undefined;
  /** Receive KIDs in the order they were added, with the sender each stands for. */
  readonly #receivers = new Map<bigint, { readonly epoch: bigint; readonly from: GroupCallMember }>();
  readonly #listeners = new Set<() => void>();

  /**
   * `context` is this join's random KID context, below 2^GROUP_CALL_CONTEXT_BITS; `now` is the
   * clock (ms) the grace of a retired epoch is measured by.
   */
  constructor(
    private readonly context: bigint,
    private readonly now: () => number = () => 0,
  ) {
    if (typeof context !== 'bigint' || context < 0n || context >= 1n << BigInt(GROUP_CALL_CONTEXT_BITS)) {
      throw new SFrameError('BAD_INPUT', `a group call's KID context must be below 2^${GROUP_CALL_CONTEXT_BITS}.`);
    }
  }

  /** The epoch frames are sent under now, if any. */
  get epoch(): bigint | undefined {
    return this.#epochs[0]?.epoch;
  }

  /** Moves sending to a newer epoch of the group; an epoch not newer than the current one is ignored. */
  async enterEpoch(next: GroupCallEpoch): Promise<void> {
    const newest = this.#epochs[0];
    if (newest && next.epoch <= newest.epoch) return;
    const baseKey = await mlsEpochBaseKey(next.exporter, GROUP_CALL_SFRAME_SUITE);
    this.enterEpochKeys({ epoch: next.epoch, baseKey, ownLeaf: next.ownLeaf, members: next.members });
  }

  /** As enterEpoch, with the epoch's base key already derived (by another keyring's enterEpoch). */
  enterEpochKeys(next: GroupCallEpochKeys): void {
    // Checked here too: another enterEpoch may have run while its exporter was awaited.
    if (this.#epochs[0] && next.epoch <= this.#epochs[0].epoch) return;
    const baseKey = next.baseKey.slice();
    const now = this.now();
    for (const epoch of this.#epochs) epoch.retiredAt ??= now;
    this.#epochs = [{ epoch: next.epoch, baseKey, members: next.members, ownLeaf: next.ownLeaf }, ...this.#epochs].slice(0, LIVE_EPOCHS);
    const live = new Set(this.#epochs.map((e) => e.epoch));
    for (const [kid, receiver] of this.#receivers) {
      if (!live.has(receiver.epoch)) this.#forget(kid);
    }
    if (this.#sendKid !== undefined) this.#sframe.removeKey(this.#sendKid);
    this.#sendKid = mlsKid(GROUP_CALL_KID_LAYOUT, { context: this.context, senderIndex: next.ownLeaf, epoch: next.epoch });
    this.#sframe.addSendKey(this.#sendKid, baseKey);
    for (const listener of this.#listeners) listener();
  }

  /** The live epochs' key material, newest first (copies), for a keyring in another realm. */
  epochKeys(): GroupCallEpochKeys[] {
    return this.#epochs.map((e) => ({ epoch: e.epoch, baseKey: e.baseKey.slice(), ownLeaf: e.ownLeaf, members: e.members }));
  }

  /** Calls `listener` after each epoch entered; returns its unsubscribe. */
  onEpochChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * One frame of this device's, sealed under the current epoch's send key: a video frame's clear
   * bytes (media-frame.ts) ahead of the SFrame ciphertext, authenticated as its metadata.
   */
  seal(frame: Uint8Array, kind: GroupCallMediaKind = 'audio'): Uint8Array {
    if (this.#sendKid === undefined) throw new SFrameError('BAD_INPUT', 'the group call has no key yet.');
    const clear = clearPrefixLength(kind, frame);
    if (clear === 0) return this.#sframe.encrypt(this.#sendKid, frame);
    if (frame.length <= clear) throw new SFrameError('BAD_INPUT', `a ${kind} frame of ${frame.length} bytes is too short to seal.`);
    const metadata = frame.subarray(0, clear);
    return concatBytes(metadata, this.#sframe.encrypt(this.#sendKid, frame.subarray(clear), metadata));
  }

  /**
   * Opens one frame from another participant; throws an SFrameError (UNKNOWN_KID, REPLAY,
   * AUTH_FAILED, BAD_HEADER...) for anything that cannot be trusted. A video frame's clear bytes
   * come back in front of its plaintext, once they authenticated with it.
   */
  open(frame: Uint8Array, kind: GroupCallMediaKind = 'audio'): OpenedGroupCallFrame {
    const clear = clearPrefixLength(kind, frame);
    const metadata = frame.subarray(0, clear);
    const ciphertext = frame.subarray(clear);
    const withClear = (plaintext: Uint8Array) => (clear === 0 ? plaintext : concatBytes(metadata, plaintext));
    const { kid } = decodeHeader(ciphertext);
    const known = this.#receivers.get(kid);
    if (known) {
      if (this.#expired(known.epoch)) {
        this.#forget(kid);
        throw new SFrameError('UNKNOWN_KID', `KID 0x${kid.toString(16)} belongs to an epoch the group has left.`);
      }
      return { from: known.from, plaintext: withClear(this.#sframe.decrypt(ciphertext, metadata)) };
    }
    const derived = this.#deriveReceiveKey(kid);
    try {
      const plaintext = withClear(this.#sframe.decrypt(ciphertext, metadata));
      this.#receivers.set(kid, derived);
      while (this.#receivers.size > MAX_RECEIVE_KEYS) this.#forget(this.#receivers.keys().next().value as bigint);
      return { from: derived.from, plaintext };
    } catch (error) {
      // A KID whose first frame did not authenticate keeps no key.
      this.#sframe.removeKey(kid);
      throw error;
    }
  }

  /**
   * Whether a frame that did not open names the epoch after the newest one this device knows: a
   * participant got a commit first and already sends under it. Its frames are worth holding for
   * the moment this device processes the same commit, rather than dropping.
   */
  isAhead(frame: Uint8Array, kind: GroupCallMediaKind = 'audio'): boolean {
    const newest = this.#epochs[0];
    if (!newest) return false;
    let kid: bigint;
    try {
      kid = decodeHeader(frame.subarray(clearPrefixLength(kind, frame))).kid;
    } catch {
      return false;
    }
    const mask = (1n << BigInt(GROUP_CALL_KID_LAYOUT.epochBits)) - 1n;
    return parseMlsKid(GROUP_CALL_KID_LAYOUT, kid).epoch === ((newest.epoch + 1n) & mask);
  }

  /** Forgets every key (the call is over for this device). */
  close(): void {
    for (const kid of [...this.#receivers.keys()]) this.#forget(kid);
    if (this.#sendKid !== undefined) this.#sframe.removeKey(this.#sendKid);
    this.#sendKid = undefined;
    for (const epoch of this.#epochs) epoch.baseKey.fill(0);
    this.#epochs = [];
    this.#listeners.clear();
  }

  #deriveReceiveKey(kid: bigint): { readonly epoch: bigint; readonly from: GroupCallMember } {
    const parts = parseMlsKid(GROUP_CALL_KID_LAYOUT, kid);
    const mask = (1n << BigInt(GROUP_CALL_KID_LAYOUT.epochBits)) - 1n;
    const epoch = this.#epochs.find((e) => (e.epoch & mask) === parts.epoch);
    if (!epoch) throw new SFrameError('UNKNOWN_KID', `KID 0x${kid.toString(16)} names no live epoch of the group.`);
    // A retired epoch keeps only the keys already in use: no sender starts anew under it.
    if (epoch.retiredAt !== undefined) throw new SFrameError('UNKNOWN_KID', `KID 0x${kid.toString(16)} is new in an epoch the group has left.`);
    // This device's own frames (this join's or an earlier one's), sent back: never heard as another's.
    if (parts.senderIndex === epoch.ownLeaf) throw new SFrameError('UNKNOWN_KID', 'a frame of this device\'s own came back.');
    const from = epoch.members.get(parts.senderIndex);
    if (!from) throw new SFrameError('UNKNOWN_KID', `KID 0x${kid.toString(16)} names a leaf with no member in epoch ${epoch.epoch}.`);
    this.#sframe.addReceiveKey(kid, epoch.baseKey);
    return { epoch: epoch.epoch, from };
  }

  /** Whether `epoch` was retired longer than the grace ago (or is gone). */
  #expired(epoch: bigint): boolean {
    const live = this.#epochs.find((e) => e.epoch === epoch);
    return !live || (live.retiredAt !== undefined && this.now() - live.retiredAt > RETIRED_EPOCH_GRACE_MS);
  }

  #forget(kid: bigint): void {
    this.#sframe.removeKey(kid);
    this.#receivers.delete(kid);
  }
}

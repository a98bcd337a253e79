/**
 * @module services/advisories
 * Operator security advisories. The operator's tool signs each one with the operator key; the
 * server keeps the public key and the newest advisories in its settings (so every backend and
 * every node of a cluster shares them without a schema change), hands them to each device at
 * hello, and pushes new ones to connected devices. The server cannot forge an advisory: clients
 * verify the signature against the key they pinned.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { advisoryTranscript, checkAdvisory, ErrorCode, LIMITS, SignedAdvisorySchema, type SignedAdvisory } from '@sotto/protocol';
import { ServerError } from '../errors.js';
import type { Store } from '../storage/store.js';
import { verifyEd25519 } from './signature.js';

const KEY_SETTING = 'advisory_public_key';
const LIST_SETTING = 'advisories';

export interface AdvisoryBoardState {
  /** The operator's Ed25519 public key, empty when none was set. */
  readonly key: Uint8Array;
  /** Oldest first, at most `LIMITS.advisoriesKept`. */
  readonly advisories: readonly SignedAdvisory[];
}

export class AdvisoryService {
  constructor(private readonly store: Store) {}

  async current(): Promise<AdvisoryBoardState> {
    const [keyHex, list] = await Promise.all([this.store.getSetting(KEY_SETTING), this.store.getSetting(LIST_SETTING)]);
    return {
      key: keyHex ? hexToBytes(keyHex) : new Uint8Array(0),
      advisories: parseList(list).map((bytes) => fromBinary(SignedAdvisorySchema, bytes)),
    };
  }

  /** Sets the operator key. Advisories signed with an earlier key are dropped: clients would refuse them. */
  async setKey(publicKey: Uint8Array): Promise<void> {
    if (publicKey.byteLength !== 32) throw new ServerError(ErrorCode.INVALID_ARGUMENT, 'An advisory key is a 32-byte Ed25519 public key.');
    await this.store.setSetting(KEY_SETTING, bytesToHex(publicKey));
    await this.store.setSetting(LIST_SETTING, '[]');
  }

  /** Checks the signature and the fields, then keeps the advisory (the newest `advisoriesKept`). */
  async publish(signed: SignedAdvisory): Promise<void> {
    const { key, advisories } = await this.current();
    if (key.byteLength === 0) throw new ServerError(ErrorCode.INVALID_ARGUMENT, 'No advisory key is set: run "sotto admin advisory keygen" first.');
    const check = checkAdvisory(signed.advisory);
    if (!check.ok) throw new ServerError(ErrorCode.INVALID_ARGUMENT, check.reason);
    if (!verifyEd25519(key, advisoryTranscript(signed.advisory), signed.signature)) {
      throw new ServerError(ErrorCode.BAD_SIGNATURE, 'The advisory is not signed by the operator key this server holds.');
    }
    const kept = [...advisories, signed].slice(-LIMITS.advisoriesKept);
    await this.store.setSetting(LIST_SETTING, JSON.stringify(kept.map((a) => bytesToBase64(toBinary(SignedAdvisorySchema, a)))));
  }
}

export function signedAdvisory(advisory: Uint8Array, signature: Uint8Array): SignedAdvisory {
  return create(SignedAdvisorySchema, { advisory, signature });
}

function parseList(text: string | undefined): Uint8Array[] {
  if (!text) return [];
  try {
    const list = JSON.parse(text) as unknown;
    return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string').map((b64) => new Uint8Array(Buffer.from(b64, 'base64'))) : [];
  } catch {
    return [];
  }
}

const bytesToHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const hexToBytes = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));
const bytesToBase64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** How often each node looks for advisories published since (the operator's tool writes to the database). */
export const ADVISORY_POLL_MS = 5_000;

/**
 * Pushes advisories published after start-up to the devices connected to this node. Each node
 * runs one, so a cluster needs no bus message for it; devices that were offline get the list at
 * their next hello.
 */
export class AdvisoryPusher {
  private known: Set<string> | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly service: AdvisoryService,
    private readonly push: (key: Uint8Array, advisory: SignedAdvisory) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(intervalMs = ADVISORY_POLL_MS): void {
    void this.poll();
    this.timer = setInterval(() => void this.poll(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async poll(): Promise<void> {
    try {
      const { key, advisories } = await this.service.current();
      const ids = advisories.map((a) => Buffer.from(a.signature).toString('hex'));
      if (this.known) advisories.forEach((a, i) => this.known!.has(ids[i]!) || this.push(key, a));
      this.known = new Set(ids);
    } catch (error) {
      this.onError(error);
    }
  }
}

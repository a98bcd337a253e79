/**
 * @module advisories
 * Operator security advisories as a member sees them. The server hands the current ones over at
 * every hello and pushes new ones; this module believes only those signed with the operator key
 * it pinned the first time it saw one, and says plainly whether this app's version is affected.
 */
import { advisoryTranscript, checkAdvisory, compareVersions, type SignedAdvisory } from '@sotto/protocol';
import { equalBytes, fromHex, toHex } from './bytes.js';
import type { EngineContext } from './context.js';
import { Emitter, subscribeSide, type Subscribable } from './events.js';

export interface VerifiedAdvisory {
  /** Hex of the advisory's 16-byte id. */
  readonly id: string;
  readonly title: string;
  readonly text: string;
  /** Clients below this version are affected; '' when every version is. */
  readonly fixedVersion: string;
  readonly publishedAt: number;
  /** True when this app's version is below `fixedVersion` (or no fixed version is given). */
  readonly affectsThisVersion: boolean;
}

/** Why an advisory was not shown (never its content). */
export interface RefusedAdvisory {
  readonly reason: 'KEY_CHANGED' | 'BAD_SIGNATURE' | 'MALFORMED';
}

export type VerifySignature = (publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array) => Promise<boolean>;

export class Advisories {
  private readonly received = new Emitter<VerifiedAdvisory>();
  private readonly refused = new Emitter<RefusedAdvisory>();
  readonly didReceive: Subscribable<VerifiedAdvisory> = subscribeSide(this.received);
  readonly didRefuse: Subscribable<RefusedAdvisory> = subscribeSide(this.refused);
  private readonly known = new Map<string, VerifiedAdvisory>();

  constructor(
    private readonly ctx: Pick<EngineContext, 'store' | 'logger'>,
    private readonly clientVersion: string,
    private readonly verify: VerifySignature,
  ) {}

  /** Verified advisories seen on this connection, oldest first. */
  list(): VerifiedAdvisory[] {
    return [...this.known.values()].sort((a, b) => a.publishedAt - b.publishedAt);
  }

  /** The server's advisory key with the current advisories (at hello) or a new one (pushed). */
  async receiveBoard(key: Uint8Array, advisories: readonly SignedAdvisory[]): Promise<void> {
    if (key.byteLength === 0) return;
    const pinned = await this.pinnedKey(key);
    if (!pinned) return;
    for (const signed of advisories) await this.accept(pinned, signed);
  }

  private async pinnedKey(offered: Uint8Array): Promise<Uint8Array | undefined> {
    const pinnedHex = (await this.ctx.store.getSettings()).advisoryKey;
    if (pinnedHex === undefined) {
      await this.ctx.store.apply({ settings: { advisoryKey: toHex(offered) } });
      return offered;
    }
    const pinned = fromHex(pinnedHex);
    if (equalBytes(pinned, offered)) return pinned;
    // The key the operator's advisories were signed with is gone from the server: either the
    // operator replaced it, or the server is not to be trusted. Either way, nothing is shown.
    this.refuse('KEY_CHANGED');
    return undefined;
  }

  private async accept(key: Uint8Array, signed: SignedAdvisory): Promise<void> {
    const check = checkAdvisory(signed.advisory);
    if (!check.ok) return this.refuse('MALFORMED');
    if (!(await this.verify(key, advisoryTranscript(signed.advisory), signed.signature))) return this.refuse('BAD_SIGNATURE');
    const { advisory } = check;
    const id = toHex(advisory.id);
    if (this.known.has(id)) return;
    const verified: VerifiedAdvisory = {
      id,
      title: advisory.title,
      text: advisory.text,
      fixedVersion: advisory.fixedVersion,
      publishedAt: Number(advisory.publishedAt),
      affectsThisVersion: advisory.fixedVersion === '' || compareVersions(this.clientVersion, advisory.fixedVersion) < 0,
    };
    this.known.set(id, verified);
    this.received.fire(verified);
  }

  private refuse(reason: RefusedAdvisory['reason']): void {
    this.ctx.logger.warn({ reason }, 'advisory refused');
    this.refused.fire({ reason });
  }
}

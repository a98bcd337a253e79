/**
 * @module sframe/replay-window
 * Counter-based anti-replay for one receive key (RFC 9605 section 9.3 points to RFC 3711 section
 * 3.3.2): a CTR already accepted, or more than `size` below the highest accepted, is refused.
 * `check` runs before decryption and `accept` only after the tag verified, so forged frames
 * cannot move the window.
 */

export type ReplayVerdict = 'fresh' | 'seen' | 'too-old';

export class ReplayWindow {
  #highest: bigint | undefined;
  /** seen[ctr mod size] for the CTRs in (highest - size, highest]. */
  readonly #seen: Uint8Array;
  readonly #size: bigint;

  constructor(readonly size: number) {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError('a replay window needs at least one slot');
    this.#seen = new Uint8Array(size);
    this.#size = BigInt(size);
  }

  #slot(ctr: bigint): number {
    return Number(ctr % this.#size);
  }

  check(ctr: bigint): ReplayVerdict {
    if (this.#highest === undefined || ctr > this.#highest) return 'fresh';
    if (this.#highest - ctr >= this.#size) return 'too-old';
    return this.#seen[this.#slot(ctr)] === 1 ? 'seen' : 'fresh';
  }

  /** Records an authenticated CTR; call only after `check` said 'fresh'. */
  accept(ctr: bigint): void {
    if (this.#highest === undefined || ctr > this.#highest) {
      // The slots between the old highest and the new one belong to CTRs not seen yet.
      const gap = this.#highest === undefined ? this.#size : ctr - this.#highest;
      if (gap >= this.#size) this.#seen.fill(0);
      else for (let skipped = this.#highest! + 1n; skipped < ctr; skipped++) this.#seen[this.#slot(skipped)] = 0;
      this.#highest = ctr;
    }
    this.#seen[this.#slot(ctr)] = 1;
  }
}

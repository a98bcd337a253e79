/**
 * @module storage/sqlite/staged-mail
 * SqliteStore's memory beside its tables, kept in step with the group commit (StagedEffects): the
 * mailbox entries a batch wrote or deleted reach the tails only once the batch committed, in the
 * order they were written, and the store's caches are dropped when a batch rolls back (they may
 * hold rows read inside it that never were).
 */
import type { MailboxEntry } from '../types.js';
import type { StagedEffects } from './group-commit.js';
import type { MailboxTails } from './mailbox-tails.js';

type Effect =
  | { readonly pk: number; readonly entry: MailboxEntry; readonly seqs?: undefined }
  | { readonly pk: number; readonly entry?: undefined; readonly seqs: readonly bigint[] };

export class StagedMail implements StagedEffects {
  private effects: Effect[] = [];

  constructor(
    private readonly tails: MailboxTails,
    private readonly rolledBack: () => void,
  ) {}

  /** An entry written to `pk`'s mailbox in the open transaction. */
  added(pk: number, entry: MailboxEntry): void {
    this.effects.push({ pk, entry });
  }

  /** Acked entries of `pk` deleted in the open transaction: no tail may hand them out again. */
  deleted(pk: number, seqs: readonly bigint[]): void {
    this.effects.push({ pk, seqs });
  }

  mark(): number {
    return this.effects.length;
  }

  rewind(mark: number): void {
    this.effects.length = mark;
  }

  commit(): void {
    // Inserts run in seq order (one connection, AUTOINCREMENT), so the tails grow in order.
    for (const effect of this.effects) {
      if (effect.entry) this.tails.committed(effect.pk, effect.entry);
      else this.tails.deleted(effect.pk, effect.seqs);
    }
    this.effects = [];
  }

  discard(): void {
    this.effects = [];
    // The tails need nothing: a rolled-back entry never reached them, and its seq is handed out again.
    this.rolledBack();
  }
}

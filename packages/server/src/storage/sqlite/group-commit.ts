/**
 * @module storage/sqlite/group-commit
 * Group commit: the writes requested during one turn of the event loop run in one SQLite
 * transaction, so they share one commit and, with `synchronous=FULL`, one fsync. The fsync was most
 * of a write's cost: a relay profile at 1,000 msg/s spent about half the server's CPU committing
 * one message per transaction, and a node peaked near 1,600 durable messages/s.
 *
 * Each write keeps its own outcome: it runs inside a savepoint, so one that throws is rolled back
 * alone and rejects alone, while the others commit. Nothing resolves before the shared COMMIT
 * returned, so an acknowledgement still follows a durable write. A failed COMMIT rejects them all.
 *
 * Measured and not kept: committing at `synchronous=NORMAL` and syncing the WAL on libuv's thread
 * pool, so the event loop goes on during the fsync. With the server pinned to one core the sync
 * thread competes with the event loop for it, and on this kind of virtual machine an fsync costs
 * CPU, not only waiting: the throughput knee fell from 5,000 to 3,000-4,000 msg/s.
 */
import type Database from 'better-sqlite3';

/**
 * What a store keeps in memory beside its tables (caches of what it wrote): made true only if the
 * write that staged it commits. Each write runs between a `mark()` and either nothing (it stays
 * staged) or `rewind(mark)` (its savepoint was rolled back); the batch then ends in `commit()` or
 * `discard()`.
 */
export interface StagedEffects {
  mark(): number;
  rewind(mark: number): void;
  commit(): void;
  discard(): void;
}

const NOTHING_STAGED: StagedEffects = { mark: () => 0, rewind: () => {}, commit: () => {}, discard: () => {} };

interface PendingWrite {
  readonly write: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

interface Settlement {
  readonly pending: PendingWrite;
  readonly ok: boolean;
  readonly value: unknown;
}

/** Writes per transaction at most: bounds how long one commit holds the event loop. */
const MAX_BATCH = 512;

export class GroupCommit {
  private queue: PendingWrite[] = [];
  private scheduled = false;
  private readonly statements: Record<'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo', Database.Statement>;

  constructor(
    private readonly db: Database.Database,
    /** Maps what a failed write or commit threw to what its caller is told. */
    private readonly failure: (error: unknown) => unknown,
    private readonly staged: StagedEffects = NOTHING_STAGED,
  ) {
    this.statements = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
      savepoint: db.prepare('SAVEPOINT write'),
      release: db.prepare('RELEASE write'),
      rollbackTo: db.prepare('ROLLBACK TO write'),
    };
  }

  /** Runs `write` in the next group transaction; resolves once that transaction committed. */
  run<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ write, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // After the poll phase: every request read from the sockets in this turn joins the batch.
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits what is queued now (also on close, so nothing queued is dropped). */
  flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) this.commitBatch(this.queue.splice(0, MAX_BATCH));
  }

  private commitBatch(batch: readonly PendingWrite[]): void {
    const s = this.statements;
    let settlements: Settlement[];
    let began = false;
    try {
      s.begin.run();
      began = true;
      settlements = batch.map((pending) => this.runOne(pending));
      s.commit.run();
    } catch (error) {
      // Only our own transaction is rolled back (a failed COMMIT may leave it open).
      if (began && this.db.inTransaction) s.rollback.run();
      this.staged.discard();
      const reason = this.failure(error);
      for (const pending of batch) pending.reject(reason);
      return;
    }
    this.staged.commit();
    for (const { pending, ok, value } of settlements) {
      if (ok) pending.resolve(value);
      else pending.reject(this.failure(value));
    }
  }

  private runOne(pending: PendingWrite): Settlement {
    const s = this.statements;
    s.savepoint.run();
    const mark = this.staged.mark();
    try {
      const value = pending.write();
      s.release.run();
      return { pending, ok: true, value };
    } catch (error) {
      s.rollbackTo.run();
      this.staged.rewind(mark);
      s.release.run();
      return { pending, ok: false, value: error };
    }
  }
}

/**
 * @module storage/postgres/send-batcher
 * Group commit for PostgreSQL's sends, as SQLite has one (sqlite/group-commit.ts): the sends asked
 * for while a batch commits wait, and then go together, in the order they were asked, in the next
 * batch, with one commit flush for all of them. A batch of up to FUNCTION_BATCH_MAX sends is one
 * call of the server-side function sotto_send_batch, one round trip (group-writes.ts's
 * sendBatchByFunction); a larger one is five set-based statements in a transaction, seven round
 * trips but planned for its size (send-batch-statements.ts). One send at a time cost about nine round trips and a flush of its
 * own, which held one connection near 290 sends/s (docs/BENCHMARKS.md).
 *
 * One batch is in flight at a time, so a send takes effect after every send asked for before it
 * on this node: a connection may start its next send before the last one is durable and its
 * messages still reach every mailbox in order (Store.writesInCallOrder). Each send keeps its own
 * outcome; nothing resolves before the batch's COMMIT returned, so an acknowledgement still follows
 * a durable write, and a batch that fails rejects every send in it (each is safe to retry).
 */
import type pg from 'pg';
import type { MailItem, StoredMail } from '../types.js';
import { sendBatchByFunction, type BatchedSend, type SendOutcome } from './group-writes.js';
import { sendBatchByStatements } from './send-batch-statements.js';
import { inTransaction, retriedStatement } from './transaction.js';

/** Sends per transaction at most: bounds the statements' size and how long the group locks are held. */
export const MAX_SENDS_PER_BATCH = 256;
/**
 * Batches up to this size go through the function: one round trip. Larger ones go as statements,
 * seven round trips but planned for the batch's size. `node bench/pg-batch.mjs` (ms per batch,
 * function against statements, median of 5 rounds, with migration 12's function; docs/BENCHMARKS.md):
 * 1 send 0.63 against 0.86, 32: 3.21 / 5.42, 128: 9.28 / 10.01, 256: 17.07 / 18.39, and in another
 * run 256: 15.00 / 12.85, so above 128 neither way leads. Before migration 11 the function's kept
 * plans scanned tables whole, and it led only up to about 4 sends.
 */
export const FUNCTION_BATCH_MAX = 128;

interface PendingSend extends BatchedSend {
  readonly resolve: (mail: StoredMail) => void;
  readonly reject: (error: unknown) => void;
}

export class SendBatcher {
  private queue: PendingSend[] = [];
  private draining: Promise<void> | undefined;

  constructor(private readonly pool: pg.Pool) {}

  send(item: MailItem, now: number): Promise<StoredMail> {
    return new Promise<StoredMail>((resolve, reject) => {
      this.queue.push({ item, now, resolve, reject });
      this.draining ??= this.drain();
    });
  }

  /** Resolves once every send asked for so far has settled (the store waits for it on close). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    // After the poll phase: every send read from the sockets in this turn joins the first batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.queue.length > 0) await this.commit(this.queue.splice(0, MAX_SENDS_PER_BATCH));
    this.draining = undefined;
  }

  /** A small batch is one statement, so one transaction of its own; a large one a transaction of five. */
  private store(batch: readonly PendingSend[]): Promise<SendOutcome[]> {
    if (batch.length > FUNCTION_BATCH_MAX) return inTransaction(this.pool, (sql) => sendBatchByStatements(sql, batch));
    return retriedStatement(() => sendBatchByFunction(this.pool, batch));
  }

  private async commit(batch: readonly PendingSend[]): Promise<void> {
    let outcomes;
    try {
      outcomes = await this.store(batch);
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    batch.forEach((pending, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) pending.resolve(outcome.mail);
      else pending.reject(outcome.error);
    });
  }
}

/**
 * @module storage/sqlite/mailbox-tails
 * The newest entries of the mailboxes being read, kept in memory so that the read each new message
 * triggers (the recipient's pump asking for what follows its cursor) needs no query. Reading a
 * row back cost more than storing it: better-sqlite3 makes a Buffer for each of its three BLOB
 * columns, and the query was ~10% of a relay profile. A tail is a window of one device's mailbox:
 *
 *   every committed entry of the device with seq > `from` is in `entries`, in seq order,
 *
 * and nothing else: acked entries leave the tail when their deletion commits. So it can answer any
 * read that starts at or after `from`; an earlier one goes to the table. A tail starts when a read
 * from the table reached the end of the mailbox (the device is caught up) and grows as writes
 * commit. Reads trim what they have passed (a reader that starts again earlier goes to the table,
 * where the entries stay until acked), so a reading device's tail stays short. A
 * device that stops reading loses its tail at TAIL_ENTRIES, and the store clears every tail when
 * anything it did not write itself could have changed a mailbox: another process's commit (SQLite's
 * data_version), or expiry.
 */
import { LRUCache } from 'lru-cache';
import type { MailboxEntry } from '../types.js';

/** Entries a tail holds at most: past this its device is not reading, and the table serves it later. */
export const TAIL_ENTRIES = 256;
/** Devices with a tail at most: about the devices online on a busy node. */
const TAILED_DEVICES = 20_000;

interface Tail {
  from: bigint;
  entries: MailboxEntry[];
}

export class MailboxTails {
  private readonly tails = new LRUCache<number, Tail>({ max: TAILED_DEVICES });

  /** A read from the table found every committed entry of `pk` after `position`: nothing follows it yet. */
  caughtUp(pk: number, position: bigint): void {
    this.tails.set(pk, { from: position, entries: [] });
  }

  /** An entry of `pk` was committed (called in seq order, after COMMIT). */
  committed(pk: number, entry: MailboxEntry): void {
    const tail = this.tails.peek(pk);
    if (!tail) return;
    if (tail.entries.length >= TAIL_ENTRIES) this.tails.delete(pk);
    else tail.entries.push(entry);
  }

  /** Entries of `pk` were deleted (acked) by a committed write. */
  deleted(pk: number, seqs: readonly bigint[]): void {
    const tail = this.tails.peek(pk);
    if (!tail || tail.entries.length === 0) return;
    const gone = new Set(seqs);
    tail.entries = tail.entries.filter((entry) => !gone.has(entry.seq));
  }

  /** Up to `limit` entries of `pk` after `afterSeq`, or undefined when the tail cannot say (read the table). */
  read(pk: number, afterSeq: bigint, limit: number): MailboxEntry[] | undefined {
    const tail = this.tails.get(pk);
    if (!tail || afterSeq < tail.from) return undefined;
    // Whatever a reader has passed is not asked for again from memory: reads before it go to the table.
    let passed = 0;
    while (passed < tail.entries.length && tail.entries[passed]!.seq <= afterSeq) passed++;
    if (passed > 0) tail.entries.splice(0, passed);
    tail.from = afterSeq;
    return tail.entries.slice(0, limit);
  }

  clear(): void {
    this.tails.clear();
  }
}

/**
 * @module storage/postgres/ack-batcher
 * Acknowledgements for PostgreSQL, gathered across devices as the sends are (send-batcher.ts): the
 * acks asked for while a batch is written wait, and then go together, every device's, in one
 * statement, so one round trip and one commit flush serve them all. Each device's pump already
 * gathers its own acks for 10 ms (gateway/mailbox-pump.ts), but with every device writing its own,
 * each in a transaction (BEGIN, DELETE, COMMIT), a knee step of 5,000 msg/s to ten recipients
 * made about a thousand of those a second: sampled, PostgreSQL's connections spent most of their
 * time in them, idle in a transaction waiting for the node's next statement or waiting to flush
 * the commit (docs/BENCHMARKS.md, "One PostgreSQL node's knee").
 *
 * One batch is in flight at a time, so a device's acks reach the store in the order asked, as the
 * pump needs (it waits for each write before the next anyway). Each caller learns how many of its
 * own entries were deleted. One device's request must not fail the others': a seq no mailbox can
 * hold is dropped before it reaches the statement (the gateway refuses it too), and when PostgreSQL
 * refuses a batch of several requests for something in it (a deadlock is retried whole; an
 * unreachable database fails them all), each request is tried again alone, so only the requests
 * that fail by themselves are rejected. The pump does not ask again: it logs, and the entries it
 * could not delete are delivered again after a reconnect, which the client drops by their seq.
 */
import { MAILBOX_SEQ_MAX, type DeviceAddress } from '../types.js';
import { pgCode, retriedStatement, type Sql } from './transaction.js';

/** Acked entries per statement at most: bounds the statement's arrays (one pump's write is about a thousand or two). */
export const MAX_ACKS_PER_BATCH = 4096;

/**
 * Every pair (device, seq) asked for, each with the place of its request, deleted in one statement;
 * answers the place of each row deleted. A device unknown, or a seq not (or no longer) in that
 * device's mailbox, deletes nothing: a device cannot ack another's entry.
 */
const DELETE_ACKED = `DELETE FROM mailbox m
  USING (
    SELECT d.pk, s.seq, s.request
    FROM unnest($1::text[], $2::text[], $3::bigint[], $4::int[]) AS s(username, device_id, seq, request)
    JOIN accounts a ON a.username = s.username
    JOIN devices d ON d.account_id = a.id AND d.device_id = s.device_id
  ) acked
  WHERE m.device_pk = acked.pk AND m.seq = acked.seq
  RETURNING acked.request`;

/**
 * Whether PostgreSQL itself refused the statement for something in it (an error message from the
 * server, with a severity and a SQLSTATE), rather than being out of reach (a socket's error, such
 * as EPIPE) or shutting down or short of resources (classes 08, 53, 57): there, trying each request
 * alone would only fail once per request, each after the connection's timeout.
 */
function aboutTheData(error: unknown): boolean {
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  const state = pgCode(cause);
  const fromServer = typeof (cause as { severity?: unknown } | null)?.severity === 'string';
  return fromServer && state !== undefined && !['08', '53', '57'].includes(state.slice(0, 2));
}

interface PendingAck {
  readonly device: DeviceAddress;
  readonly seqs: readonly bigint[];
  readonly resolve: (deleted: number) => void;
  readonly reject: (error: unknown) => void;
}

export class AckBatcher {
  private queue: PendingAck[] = [];
  private draining: Promise<void> | undefined;

  constructor(private readonly sql: Sql) {}

  /** Deletes `device`'s entries `seqs`; resolves with how many were there. */
  ack(device: DeviceAddress, seqs: readonly bigint[]): Promise<number> {
    // Out of BIGINT's range, a seq would fail the whole statement; it names no entry anyway.
    if (seqs.some((seq) => seq < 1n || seq > MAILBOX_SEQ_MAX)) seqs = seqs.filter((seq) => seq >= 1n && seq <= MAILBOX_SEQ_MAX);
    if (seqs.length === 0) return Promise.resolve(0);
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ device, seqs, resolve, reject });
      this.draining ??= this.drain();
    });
  }

  /** Resolves once every ack asked for so far has settled (the store waits for it on close). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    // After the poll phase: every ack read from the sockets in this turn joins the first batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.queue.length > 0) await this.write(this.takeBatch());
    this.draining = undefined;
  }

  /** Whole requests from the front of the queue, up to MAX_ACKS_PER_BATCH seqs (always at least one request). */
  private takeBatch(): PendingAck[] {
    let count = 0;
    let taken = 0;
    while (taken < this.queue.length && (taken === 0 || count + this.queue[taken]!.seqs.length <= MAX_ACKS_PER_BATCH)) count += this.queue[taken++]!.seqs.length;
    return this.queue.splice(0, taken);
  }

  private async write(batch: readonly PendingAck[]): Promise<void> {
    let deleted: number[];
    try {
      deleted = await this.deleteAll(batch);
    } catch (error) {
      if (batch.length === 1 || !aboutTheData(error)) {
        for (const pending of batch) pending.reject(error);
        return;
      }
      // Each request alone, so whatever in one of them failed the batch fails only that one.
      for (const pending of batch) await this.write([pending]);
      return;
    }
    batch.forEach((pending, request) => pending.resolve(deleted[request]!));
  }

  /** Deletes every request's entries in one statement; answers how many each one's were. */
  private async deleteAll(batch: readonly PendingAck[]): Promise<number[]> {
    const usernames: string[] = [];
    const deviceIds: string[] = [];
    const seqs: bigint[] = [];
    const requests: number[] = [];
    batch.forEach((pending, request) => {
      for (const seq of pending.seqs) {
        usernames.push(pending.device.username);
        deviceIds.push(pending.device.deviceId);
        seqs.push(seq);
        requests.push(request);
      }
    });
    // One statement: a transaction of its own, retried whole on a deadlock with another node's.
    // Unnamed, so planned for each batch's size and the mailbox as it is now: a kept generic plan
    // is made once, for arrays of 10 and a table of whatever size it had then.
    const { rows } = await retriedStatement(() => this.sql.query<{ request: number }>(DELETE_ACKED, [usernames, deviceIds, seqs, requests]));
    const deleted = new Array<number>(batch.length).fill(0);
    for (const row of rows) deleted[row.request]!++;
    return deleted;
  }
}

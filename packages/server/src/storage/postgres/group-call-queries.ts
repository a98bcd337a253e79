/**
 * @module storage/postgres/group-call-queries
 * PostgresStore's group call records. A change holds a transaction-scoped advisory lock on its
 * group for as long as it runs (it talks to the SFU in between), so every node of a cluster
 * changes one group's record one at a time; a node also queues its own changes per group, so at
 * most one of its connections waits on a lock. At most a quarter of the pool is held by changes
 * at once: a change reads the store on other connections while it holds its own, and a full
 * pool of changes each waiting for one more connection would wait for ever.
 */
import type pg from 'pg';
import type { GroupCallChange, GroupCallRecordEntry } from '../domains/group-calls.js';
import { checkGroupCallRecord, groupCallKey } from '../group-call-rules.js';
import { KeyedQueue } from '../keyed-queue.js';
import { StorageUnavailableError } from '../store.js';
import { bytes } from './queries.js';
import { toStoreError, type Sql } from './transaction.js';

/** The longest a change waits for its group's lock before it fails as "storage unavailable", by default. */
export const GROUP_CALL_LOCK_TIMEOUT_MS = 10_000;

export async function listGroupCalls(sql: Sql): Promise<GroupCallRecordEntry[]> {
  const found = await sql.query<{ group_id: Buffer; record: string }>('SELECT group_id, record FROM group_calls ORDER BY group_id');
  return found.rows.map((row) => ({ groupId: bytes(row.group_id), record: row.record }));
}

export class PostgresGroupCalls {
  private readonly queue = new KeyedQueue();
  private readonly slots: Slots;

  constructor(
    private readonly pool: pg.Pool,
    /** Part of each lock's key: stores in other schemas of the same database never wait on this one's locks. */
    private readonly schema: string,
    maxConnections: number,
    private readonly lockTimeoutMs = GROUP_CALL_LOCK_TIMEOUT_MS,
  ) {
    this.slots = new Slots(Math.max(1, Math.floor(maxConnections / 4)));
  }

  change<T>(groupId: Uint8Array, change: (record: string | undefined) => Promise<GroupCallChange<T>>): Promise<T> {
    return this.queue.run(groupCallKey(groupId), async () => {
      const release = await this.slots.take();
      try {
        return await this.locked(groupId, change);
      } finally {
        release();
      }
    });
  }

  /** Not retried on a deadlock as other transactions are: `change` may have acted at the SFU. */
  private async locked<T>(groupId: Uint8Array, change: (record: string | undefined) => Promise<GroupCallChange<T>>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw new StorageUnavailableError(error);
    }
    let failed = false;
    try {
      await client.query('BEGIN');
      // A node that holds a group's lock and stalls (cut off, half-open) must not hold every
      // other node's changes of that group, or their slots, for longer than this.
      await client.query(`SET LOCAL lock_timeout = '${Math.round(this.lockTimeoutMs)}ms'`);
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`sotto-group-call:${this.schema}:${groupCallKey(groupId)}`]);
      const found = await client.query<{ record: string }>('SELECT record FROM group_calls WHERE group_id = $1', [groupId]);
      let changed: GroupCallChange<T>;
      try {
        changed = await change(found.rows[0]?.record);
      } catch (error) {
        throw new ChangeFailed(error);
      }
      const { record, result } = changed;
      checkGroupCallRecord(record);
      if (record === undefined) await client.query('DELETE FROM group_calls WHERE group_id = $1', [groupId]);
      else {
        await client.query(
          `INSERT INTO group_calls (group_id, record, updated_at) VALUES ($1, $2, $3)
           ON CONFLICT (group_id) DO UPDATE SET record = excluded.record, updated_at = excluded.updated_at`,
          [groupId, record, Date.now()],
        );
      }
      await client.query('COMMIT');
      return result;
    } catch (error) {
      failed = true;
      let broken: Error | undefined;
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      client.release(broken);
      // The change's own error reaches the caller as it was; a failure of the database is "unavailable".
      throw error instanceof ChangeFailed ? error.reason : toStoreError(error);
    } finally {
      if (!failed) client.release();
    }
  }
}

class ChangeFailed {
  constructor(readonly reason: unknown) {}
}

/** At most `n` holders at once; the others wait in turn. */
class Slots {
  private readonly waiting: (() => void)[] = [];

  constructor(private free: number) {}

  async take(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}

/**
 * @module storage/postgres/transaction
 * One contract method = one transaction: BEGIN, the body, COMMIT; ROLLBACK on
 * any error; retried when PostgreSQL reports a deadlock or serialization
 * failure (the body is then re-run from scratch, which is safe because
 * nothing of the failed attempt was kept).
 */
import type pg from 'pg';
import { ServerError, StorageUnavailableError } from '../store.js';

/** What queries run against: a pooled client inside a transaction, or the pool for single statements. */
export interface Sql {
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  query<R extends pg.QueryResultRow>(statement: pg.QueryConfig): Promise<pg.QueryResult<R>>;
}

/**
 * A statement each connection parses and plans once (a named prepared statement), for the hot
 * path: an unnamed one is parsed and planned at every execution, which made each of a send's
 * statements cost 0.3-0.6 ms against a 0.13 ms round trip. `name` must always go with `text`.
 */
export function prepared(name: string, text: string, values: unknown[]): pg.QueryConfig {
  return { name, text, values };
}

export const MAX_ATTEMPTS = 3;
const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected

/** A deadlock or serialization failure: nothing was kept, and running the same work again is safe. */
export function isRetryable(error: unknown): boolean {
  return RETRYABLE.has(pgCode(error) ?? '');
}

export function pgCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** ServerErrors pass through; anything else (connection lost, server down, a bug) is storage being unavailable. */
export function toStoreError(error: unknown): Error {
  if (error instanceof ServerError) return error;
  return new StorageUnavailableError(error);
}

/**
 * One statement that is a transaction of its own, run again from scratch after a deadlock or
 * serialization failure (nothing of it was kept); any other failure mapped as in transactions.
 */
export async function retriedStatement<T>(statement: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await statement();
    } catch (error) {
      if (attempt < MAX_ATTEMPTS && isRetryable(error)) continue;
      throw toStoreError(error);
    }
  }
}

export async function inTransaction<T>(pool: pg.Pool, body: (sql: Sql) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw new StorageUnavailableError(error);
    }
    try {
      await client.query('BEGIN');
      const result = await body(client);
      // If the connection drops during COMMIT the outcome is unknown and the caller is told
      // "unavailable"; its retry is safe because sends, commits and group creation are idempotent.
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (error) {
      let broken: Error | undefined;
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      // A connection that cannot roll back is destroyed rather than returned to the pool mid-transaction.
      client.release(broken);
      if (attempt < MAX_ATTEMPTS && isRetryable(error)) continue;
      throw toStoreError(error);
    }
  }
}

/**
 * A Sql that runs each statement on its own (atomic by itself) with errors
 * mapped as in transactions: for reads, where BEGIN/COMMIT would only add round trips.
 */
export function autocommit(pool: pg.Pool): Sql {
  return {
    async query<R extends pg.QueryResultRow>(statement: string | pg.QueryConfig, values?: unknown[]): Promise<pg.QueryResult<R>> {
      try {
        return await (typeof statement === 'string' ? pool.query<R>(statement, values) : pool.query<R>(statement));
      } catch (error) {
        throw toStoreError(error);
      }
    },
  };
}

/**
 * @module storage/postgres/connection
 * Turns a `postgres://` URL into a pg pool, and connection failures into
 * errors an operator can act on ("cannot reach PostgreSQL at host:port: ...").
 */
import pg from 'pg';
import { ConfigError, StorageUnavailableError } from '../store.js';
import { isPostgresUrl } from './postgres-url.js';

export interface PostgresTarget {
  /** The URL as pg takes it (without Sotto's own `schema` parameter). */
  readonly connectionString: string;
  /** From `?schema=`, the convention Prisma and others use; undefined when absent. */
  readonly schema: string | undefined;
  /** `host:port` for messages: never the user name or password. */
  readonly where: string;
}

export { isPostgresUrl } from './postgres-url.js';

export function parsePostgresUrl(url: string): PostgresTarget {
  if (!isPostgresUrl(url)) throw new ConfigError('A PostgreSQL database URL starts with postgres:// or postgresql://.');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('The PostgreSQL database URL cannot be parsed; expected postgres://user@host:port/database.');
  }
  const schema = parsed.searchParams.get('schema') ?? undefined;
  parsed.searchParams.delete('schema');
  // libpq lets ?host= and ?port= override the authority (Unix sockets use this).
  const host = parsed.searchParams.get('host') ?? (decodeURIComponent(parsed.hostname) || 'localhost');
  const port = parsed.searchParams.get('port') ?? (parsed.port || '5432');
  return { connectionString: parsed.toString(), schema, where: `${host}:${port}` };
}

/** A StorageUnavailableError whose message says what failed and where, for start-up. */
export class PostgresUnavailableError extends StorageUnavailableError {
  constructor(message: string, cause: unknown) {
    super(cause);
    this.message = message;
  }
}

/** The most useful one-line reason in a pg or socket error. */
export function reasonOf(error: unknown): string {
  // Node's happy-eyeballs connect reports an AggregateError with an empty message.
  if (error instanceof AggregateError && error.errors.length > 0) return reasonOf(error.errors[0]);
  if (error instanceof Error) return error.message || (error as { code?: string }).code || error.name;
  return String(error);
}

export interface PoolOptions {
  readonly schema: string;
  readonly maxConnections: number;
  readonly connectTimeoutMs: number;
  readonly onIdleError: (error: Error) => void;
}

export function createPool(target: PostgresTarget, options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: target.connectionString,
    max: options.maxConnections,
    // Without a timeout a black-holed host makes every request hang instead of failing.
    connectionTimeoutMillis: options.connectTimeoutMs,
    application_name: 'sotto-server',
    // Every connection works in the store's schema; the name was checked to be a bare identifier.
    options: `-c search_path=${options.schema}`,
  });
  // An idle connection dropped by the server is emitted here; without a listener it would crash the process.
  pool.on('error', options.onIdleError);
  return pool;
}

/** @module config The server's settings, their defaults, and the checks that refuse bad values at start-up rather than at first use. */
import { isPlainText, OPERATOR_CONTACT_MAX_CHARS } from '@sotto/protocol';
import { ConfigError } from './errors.js';
import { isPostgresUrl } from './storage/postgres/connection.js';

/** The SQLite database file inside the data directory. */
export const DATABASE_FILE = 'sotto.db';

export type SyncMode = 'FULL' | 'NORMAL';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ServerConfig {
  /** Interface to listen on. Loopback by default: exposing a server is a deliberate act. */
  readonly host: string;
  /** TCP port; 0 picks a free one (tests, several servers on one machine). */
  readonly port: number;
  /** Directory holding `sotto.db`; created when missing. */
  readonly dataDir: string;
  /**
   * A postgres:// (or postgresql://) URL: store everything in PostgreSQL, so
   * several nodes can share it (`?schema=name` picks a schema, default public).
   * Absent: SQLite in `dataDir`.
   */
  readonly db?: string;
  /**
   * A nats:// URL (several, comma-separated, for a NATS cluster): route between
   * nodes over NATS. Absent: the in-process bus (one node).
   */
  readonly bus?: string;
  /** Registration needs an invite code. The `invite_only` setting can also turn this on at run time. */
  readonly inviteOnly: boolean;
  /** Undelivered mailbox entries older than this are deleted. */
  readonly retentionDays: number;
  readonly logLevel: LogLevel;
  /** SQLite fsync policy: FULL survives power loss, NORMAL only a process crash. */
  readonly syncMode: SyncMode;
  /** Rings (and strangers' call requests) each account may place per minute. */
  readonly ringsPerMinute: number;
  /** Apply the rate limits of rate-limits/rate-policy.ts; off only for benchmarks or a limiting proxy in front. */
  readonly rateLimits: boolean;
  /** Believe X-Forwarded-For from a reverse proxy on this machine, so address limits see clients, not the proxy. */
  readonly trustProxy: boolean;
  /** How members reach the operator (an email address, a URL), shown in threat notifications; plain text, at most 200 characters. */
  readonly operatorContact: string;
  /** Accounts younger than this count as fresh for the fresh-account-burst rule. */
  readonly freshAccountHours: number;
  /** TURN server URLs handed to clients for calls; empty: no TURN (direct connections only). */
  readonly turnUrls: readonly string[];
  /** Secret shared with the TURN server (coturn `static-auth-secret`); required with turnUrls. */
  readonly turnSecret?: string;
  /** Lifetime of the TURN credentials the server hands out. */
  readonly turnTtlSeconds: number;
  /** A directory holding the built web app (index.html), served at `/`; absent: no web app. */
  readonly webRoot?: string;
}

/** What callers must give; everything else has a default. */
export type ServerConfigInput = Partial<ServerConfig> & Pick<ServerConfig, 'dataDir'>;

export const DEFAULT_CONFIG: Omit<ServerConfig, 'dataDir'> = {
  host: '127.0.0.1',
  port: 8080,
  inviteOnly: false,
  retentionDays: 30,
  logLevel: 'info',
  syncMode: 'FULL',
  ringsPerMinute: 6,
  rateLimits: true,
  trustProxy: false,
  operatorContact: '',
  freshAccountHours: 48,
  turnUrls: [],
  turnTtlSeconds: 3600,
};

/** Fills in defaults and validates, so a typo fails at start-up with a message naming the setting. */
export function resolveConfig(input: ServerConfigInput): ServerConfig {
  const config: ServerConfig = { ...DEFAULT_CONFIG, ...definedOnly(input) } as ServerConfig;
  if (typeof config.dataDir !== 'string' || config.dataDir.length === 0) {
    throw new ConfigError('dataDir is required: the directory that holds the database.');
  }
  // The URL is never echoed: it may carry a password.
  if (config.db !== undefined && (typeof config.db !== 'string' || !isPostgresUrl(config.db))) {
    throw new ConfigError('db must be a postgres:// or postgresql:// URL; leave it out to use SQLite in dataDir.');
  }
  if (config.bus !== undefined && (typeof config.bus !== 'string' || !config.bus.split(',').every((u) => /^(nats|tls):\/\//.test(u.trim())))) {
    throw new ConfigError('bus must be a nats:// URL (or several, comma-separated); leave it out for a single node.');
  }
  if (typeof config.host !== 'string' || config.host.length === 0) throw new ConfigError('host must be a non-empty string.');
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65_535) {
    throw new ConfigError(`port must be an integer from 0 to 65535, not ${String(config.port)}.`);
  }
  if (typeof config.inviteOnly !== 'boolean') throw new ConfigError('inviteOnly must be true or false.');
  if (!Number.isFinite(config.retentionDays) || config.retentionDays <= 0) {
    throw new ConfigError(`retentionDays must be a positive number of days, not ${String(config.retentionDays)}.`);
  }
  if (!(LOG_LEVELS as readonly string[]).includes(config.logLevel)) {
    throw new ConfigError(`logLevel must be one of ${LOG_LEVELS.join(', ')}, not ${String(config.logLevel)}.`);
  }
  if (config.syncMode !== 'FULL' && config.syncMode !== 'NORMAL') {
    throw new ConfigError(`syncMode must be FULL or NORMAL, not ${String(config.syncMode)}.`);
  }
  if (!Number.isInteger(config.ringsPerMinute) || config.ringsPerMinute < 1) {
    throw new ConfigError(`ringsPerMinute must be a positive integer, not ${String(config.ringsPerMinute)}.`);
  }
  if (typeof config.rateLimits !== 'boolean') throw new ConfigError('rateLimits must be true or false.');
  if (typeof config.trustProxy !== 'boolean') throw new ConfigError('trustProxy must be true or false.');
  if (typeof config.operatorContact !== 'string' || !isPlainText(config.operatorContact, OPERATOR_CONTACT_MAX_CHARS)) {
    throw new ConfigError(`operatorContact must be plain text of at most ${OPERATOR_CONTACT_MAX_CHARS} characters.`);
  }
  if (!Number.isFinite(config.freshAccountHours) || config.freshAccountHours < 0) {
    throw new ConfigError(`freshAccountHours must be a number of hours, not ${String(config.freshAccountHours)}.`);
  }
  if (!Array.isArray(config.turnUrls) || !config.turnUrls.every((u) => typeof u === 'string' && /^turns?:[^\s]+$/.test(u))) {
    throw new ConfigError('turnUrls must be turn: or turns: URLs.');
  }
  if (config.turnUrls.length > 0 && (typeof config.turnSecret !== 'string' || config.turnSecret.length < 16)) {
    // The secret is never echoed.
    throw new ConfigError('turnSecret (at least 16 characters, shared with the TURN server) is required with turnUrls.');
  }
  if (!Number.isInteger(config.turnTtlSeconds) || config.turnTtlSeconds < 60 || config.turnTtlSeconds > 86_400) {
    throw new ConfigError(`turnTtlSeconds must be 60 to 86400, not ${String(config.turnTtlSeconds)}.`);
  }
  if (config.webRoot !== undefined && (typeof config.webRoot !== 'string' || config.webRoot.length === 0)) {
    throw new ConfigError('webRoot must be the directory of the built web app; leave it out to serve no web app.');
  }
  return config;
}

/** Drops keys whose value is undefined so they do not hide the defaults. */
function definedOnly<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as Partial<T>;
}

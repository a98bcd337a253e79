/** @module config The server's settings, their defaults, and the checks that refuse bad values at start-up rather than at first use. */
import { isPlainText, OPERATOR_CONTACT_MAX_CHARS } from '@sotto/protocol';
import { ConfigError } from './errors.js';

// The CLI reads this module alone (`@sotto/server/config`) to check its flags before it loads the server.
export { ConfigError };
import { DEFAULT_MAX_CONNECTIONS_PER_ADDRESS } from './gateway/connection-caps.js';
import { isPostgresUrl } from './storage/postgres/postgres-url.js';
import { DEFAULT_PUSH_HOSTS, isHostPattern } from './push/endpoint-rules.js';

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
  /**
   * Mail notifications on the bus carry the stored entry (small mail to few devices), so the
   * recipient's node need not read it back. Off while a cluster still runs nodes of a version
   * before this one, which refuse such notifications (docs/OPERATIONS.md, Upgrades).
   */
  readonly busEntries: boolean;
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
  /**
   * ws:// (or wss://) URL of the SFU's WebSocket API (Janus, VideoRoom plugin) for group calls, or
   * several, comma-separated (each group's room is placed on one of them); absent: no SFU, so
   * group calls are refused and 1:1 calls work as before.
   */
  readonly sfuUrl?: string;
  /** Secret shared with the SFU (Janus `api_secret`, `token_auth_secret`, VideoRoom `admin_key`); required with sfuUrl. */
  readonly sfuSecret?: string;
  /**
   * The wss:// URL members reach the SFU's WebSocket API at (usually through the operator's TLS
   * proxy), handed to them with each group-call ticket; with several SFUs, one per SFU in the same
   * order, comma-separated; absent: sfuUrl itself.
   */
  readonly sfuPublicUrl?: string;
  /** A directory holding the built web app (index.html), served at `/`; absent: no web app. */
  readonly webRoot?: string;
  /**
   * Connections one client address (IPv4 address, IPv6 /64; behind trustProxy the forwarded one)
   * may hold at once. Loopback peers are not limited by address, as for the rate limits.
   */
  readonly maxConnectionsPerAddress: number;
  /** Connections the server holds at once; absent: just under the process's open-file limit. */
  readonly maxConnections?: number;
  /** The most one file's ciphertext may be, in bytes (1 MiB to 4 GiB). */
  readonly maxFileBytes: number;
  /** The most one account may store and reserve in files at once, in bytes. */
  readonly fileQuotaBytes: number;
  /**
   * Web Push for devices that are not connected (an installed web app that is closed). On by
   * default, but it needs a VAPID subject (pushSubject, or an operatorContact that is an email
   * address or a mailto:/https: URL); without one the server runs with push off and says so.
   */
  readonly push: boolean;
  /** The VAPID `sub` (RFC 8292): a mailto: or https: URL where push services can reach the operator. */
  readonly pushSubject?: string;
  /** Hosts pushes may go to: names, or `*.`-prefixed wildcards (push/endpoint-rules.ts). */
  readonly pushEndpoints: readonly string[];
  /** Accept push endpoints on 127.0.0.1/localhost too (http: or https:): for tests with a local receiver only. */
  readonly pushAllowLoopback: boolean;
}

/** What callers must give; everything else has a default. */
export type ServerConfigInput = Partial<ServerConfig> & Pick<ServerConfig, 'dataDir'>;

const MIB = 1024 * 1024;

export const DEFAULT_CONFIG: Omit<ServerConfig, 'dataDir'> = {
  host: '127.0.0.1',
  port: 8080,
  inviteOnly: false,
  retentionDays: 30,
  logLevel: 'info',
  syncMode: 'FULL',
  ringsPerMinute: 6,
  rateLimits: true,
  busEntries: true,
  trustProxy: false,
  operatorContact: '',
  freshAccountHours: 48,
  turnUrls: [],
  turnTtlSeconds: 3600,
  maxConnectionsPerAddress: DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  maxFileBytes: 100 * MIB,
  fileQuotaBytes: 1024 * MIB,
  push: true,
  pushEndpoints: DEFAULT_PUSH_HOSTS,
  pushAllowLoopback: false,
};

/** How a caller spells each setting (a flag, an environment variable); messages use the config key otherwise. */
export type SettingNames = { readonly [K in keyof ServerConfig]?: string };

/**
 * The whole-number settings' ranges. Whole numbers because text such as `1e3` or `0x1f90`
 * must never become a setting by accident; bounded so a typo cannot overflow a timer.
 */
export const WHOLE_NUMBER_RANGES = {
  port: { min: 0, max: 65_535, unit: '' },
  retentionDays: { min: 1, max: 36_500, unit: 'of days ' },
  ringsPerMinute: { min: 1, max: 1_000_000, unit: '' },
  freshAccountHours: { min: 0, max: 87_600, unit: 'of hours ' },
  turnTtlSeconds: { min: 60, max: 86_400, unit: 'of seconds ' },
  maxFileBytes: { min: MIB, max: 4096 * MIB, unit: 'of bytes ' },
  fileQuotaBytes: { min: MIB, max: 1024 * 1024 * MIB, unit: 'of bytes ' },
} as const;

/**
 * Fills in defaults and validates, so a typo fails at start-up with a message naming the
 * setting as the caller spells it (`names`: the CLI passes its flags).
 */
export function resolveConfig(input: ServerConfigInput, names: SettingNames = {}): ServerConfig {
  const config: ServerConfig = { ...DEFAULT_CONFIG, ...definedOnly(input) } as ServerConfig;
  const name = (key: keyof ServerConfig): string => names[key] ?? key;
  if (typeof config.dataDir !== 'string' || config.dataDir.length === 0) {
    throw new ConfigError(`${name('dataDir')} is required: the directory that holds the database.`);
  }
  // The URL is never echoed: it may carry a password.
  if (config.db !== undefined && (typeof config.db !== 'string' || !isPostgresUrl(config.db))) {
    throw new ConfigError(`${name('db')} must be a postgres:// or postgresql:// URL; leave it out to use SQLite in ${name('dataDir')}.`);
  }
  if (config.bus !== undefined && (typeof config.bus !== 'string' || !config.bus.split(',').every((u) => /^(nats|tls):\/\//.test(u.trim())))) {
    throw new ConfigError(`${name('bus')} must be a nats:// URL (or several, comma-separated); leave it out for a single node.`);
  }
  if (typeof config.host !== 'string' || config.host.length === 0) throw new ConfigError(`${name('host')} must be a non-empty string.`);
  for (const key of Object.keys(WHOLE_NUMBER_RANGES) as (keyof typeof WHOLE_NUMBER_RANGES)[]) {
    const range = WHOLE_NUMBER_RANGES[key];
    const value: unknown = config[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < range.min || value > range.max) {
      throw new ConfigError(`${name(key)} must be a whole number ${range.unit}from ${range.min} to ${range.max}, not ${shown(value)}.`);
    }
  }
  if (typeof config.inviteOnly !== 'boolean') throw new ConfigError(`${name('inviteOnly')} must be true or false.`);
  if (!(LOG_LEVELS as readonly string[]).includes(config.logLevel)) {
    throw new ConfigError(`${name('logLevel')} must be one of ${LOG_LEVELS.join(', ')}, not ${shown(config.logLevel)}.`);
  }
  if (config.syncMode !== 'FULL' && config.syncMode !== 'NORMAL') {
    throw new ConfigError(`${name('syncMode')} must be FULL or NORMAL, not ${shown(config.syncMode)}.`);
  }
  if (typeof config.rateLimits !== 'boolean') throw new ConfigError(`${name('rateLimits')} must be true or false.`);
  if (typeof config.busEntries !== 'boolean') throw new ConfigError(`${name('busEntries')} must be true or false.`);
  if (typeof config.trustProxy !== 'boolean') throw new ConfigError(`${name('trustProxy')} must be true or false.`);
  if (typeof config.operatorContact !== 'string' || !isPlainText(config.operatorContact, OPERATOR_CONTACT_MAX_CHARS)) {
    throw new ConfigError(`${name('operatorContact')} must be plain text of at most ${OPERATOR_CONTACT_MAX_CHARS} characters.`);
  }
  if (!Array.isArray(config.turnUrls) || !config.turnUrls.every((u) => typeof u === 'string' && /^turns?:[^\s]+$/.test(u))) {
    throw new ConfigError(`${name('turnUrls')} must be turn: or turns: URLs.`);
  }
  if (config.turnUrls.length > 0 && (typeof config.turnSecret !== 'string' || config.turnSecret.length < 16)) {
    // The secret is never echoed.
    throw new ConfigError(`${name('turnSecret')} is required with ${name('turnUrls')}: the secret shared with the TURN server, at least 16 characters.`);
  }
  // The URL is never echoed: a mistyped one may hold the secret.
  if (config.sfuUrl !== undefined && (typeof config.sfuUrl !== 'string' || !listOf(config.sfuUrl).every((url) => SFU_URL.test(url)))) {
    throw new ConfigError(`${name('sfuUrl')} must be the ws:// or wss:// URL of the SFU's WebSocket API (Janus), e.g. ws://127.0.0.1:8188, or several, comma-separated; leave it out for no group calls.`);
  }
  if (typeof config.sfuUrl === 'string' && listOf(config.sfuUrl).length > MAX_SFUS) {
    throw new ConfigError(`${name('sfuUrl')} names more than ${MAX_SFUS} SFUs.`);
  }
  if (typeof config.sfuUrl === 'string' && new Set(listOf(config.sfuUrl)).size !== listOf(config.sfuUrl).length) {
    throw new ConfigError(`${name('sfuUrl')} names the same SFU twice.`);
  }
  if (config.sfuUrl !== undefined && (typeof config.sfuSecret !== 'string' || config.sfuSecret.length < 16)) {
    // The secret is never echoed.
    throw new ConfigError(`${name('sfuSecret')} is required with ${name('sfuUrl')}: the secret shared with the SFU (Janus api_secret), at least 16 characters.`);
  }
  if (config.sfuPublicUrl !== undefined && (config.sfuUrl === undefined || typeof config.sfuPublicUrl !== 'string' || !listOf(config.sfuPublicUrl).every((url) => SFU_URL.test(url)))) {
    throw new ConfigError(`${name('sfuPublicUrl')} must be the ws:// or wss:// URL members reach the SFU at (with ${name('sfuUrl')}), e.g. wss://chat.example.org/janus.`);
  }
  if (typeof config.sfuPublicUrl === 'string' && typeof config.sfuUrl === 'string' && listOf(config.sfuPublicUrl).length !== listOf(config.sfuUrl).length) {
    throw new ConfigError(`${name('sfuPublicUrl')} must name one public URL for each SFU in ${name('sfuUrl')}, in the same order.`);
  }
  if (config.sfuSecret !== undefined && config.sfuUrl === undefined) {
    throw new ConfigError(`${name('sfuSecret')} was given without ${name('sfuUrl')}: say where the SFU is, or leave out its secret.`);
  }
  if (config.webRoot !== undefined && (typeof config.webRoot !== 'string' || config.webRoot.length === 0)) {
    throw new ConfigError(`${name('webRoot')} must be the directory of the built web app; leave it out to serve no web app.`);
  }
  if (!Number.isInteger(config.maxConnectionsPerAddress) || config.maxConnectionsPerAddress < 1) {
    throw new ConfigError(`${name('maxConnectionsPerAddress')} must be a positive integer, not ${shown(config.maxConnectionsPerAddress)}.`);
  }
  if (config.maxConnections !== undefined && (!Number.isInteger(config.maxConnections) || config.maxConnections < 1)) {
    throw new ConfigError(`${name('maxConnections')} must be a positive integer, not ${shown(config.maxConnections)}; leave it out to stay under the open-file limit.`);
  }
  if (typeof config.push !== 'boolean') throw new ConfigError(`${name('push')} must be true or false.`);
  if (typeof config.pushAllowLoopback !== 'boolean') throw new ConfigError(`${name('pushAllowLoopback')} must be true or false.`);
  if (config.pushSubject !== undefined && (typeof config.pushSubject !== 'string' || !isPushSubject(config.pushSubject))) {
    throw new ConfigError(`${name('pushSubject')} must be a mailto: or https: URL where push services can reach the operator, e.g. mailto:admin@example.org, not ${shown(config.pushSubject)}.`);
  }
  if (!Array.isArray(config.pushEndpoints) || config.pushEndpoints.length === 0 || !config.pushEndpoints.every((h) => typeof h === 'string' && isHostPattern(h))) {
    throw new ConfigError(`${name('pushEndpoints')} must be host names of push services, lower case, comma-separated, each optionally starting with "*." (e.g. fcm.googleapis.com,*.push.services.mozilla.com).`);
  }
  return config;
}

/** A VAPID subject web-push and the push services accept: a mailto: address or an https: URL. */
export function isPushSubject(value: string): boolean {
  if (!/^(mailto:[^\s@]+@[^\s@]+|https:\/\/[^\s]+)$/.test(value)) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * The VAPID subject push uses: pushSubject, else the operator contact when it is (or names) one:
 * an email address becomes mailto:. Undefined: push cannot run (the push services want a way to
 * reach the sender of pushes, and web-push refuses to sign without one).
 */
export function pushSubjectOf(config: Pick<ServerConfig, 'pushSubject' | 'operatorContact'>): string | undefined {
  if (config.pushSubject !== undefined) return config.pushSubject;
  const contact = config.operatorContact.trim();
  if (isPushSubject(contact)) return contact;
  if (/^[^\s@:/]+@[^\s@/]+\.[^\s@/]+$/.test(contact) && isPushSubject(`mailto:${contact}`)) return `mailto:${contact}`;
  return undefined;
}

/**
 * A setting written as text (a flag, an environment variable) read as a whole number: decimal
 * digits only, else undefined. Number() would read '' as 0, '0x1f90' as 8080, '1e3' as 1000
 * and ' 80' as 80, so a typo would silently become a different setting.
 */
export function parseDecimalDigits(text: string): number | undefined {
  return /^[0-9]+$/.test(text) ? Number(text) : undefined;
}

/** A bad value as the message shows it: strings quoted, so an empty one is visible. */
function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** Drops keys whose value is undefined so they do not hide the defaults. */
function definedOnly<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** The SFUs a server may place group calls on at most. */
export const MAX_SFUS = 8;
const SFU_URL = /^wss?:\/\/[^\s/?#,]+(\/[^\s,]*)?$/;
const listOf = (value: string): string[] => value.split(',').map((part) => part.trim());

/** One SFU as the server drives it (`url`) and as members reach it (`publicUrl`). */
export interface SfuEndpoint {
  readonly url: string;
  readonly publicUrl: string;
}

/** The SFUs of a validated config, in the order given (none without `sfuUrl`). */
export function sfuEndpoints(config: Pick<ServerConfig, 'sfuUrl' | 'sfuPublicUrl'>): SfuEndpoint[] {
  if (config.sfuUrl === undefined) return [];
  const urls = listOf(config.sfuUrl);
  const publicUrls = config.sfuPublicUrl === undefined ? urls : listOf(config.sfuPublicUrl);
  return urls.map((url, i) => ({ url, publicUrl: publicUrls[i] ?? url }));
}

/**
 * @module commands/serve-settings
 * Turns `sotto serve`'s options (text from the command line or the environment) into the
 * server's settings. Numbers are read strictly; every bad value is a usage error (exit 2)
 * naming the flag, or the environment variable when the value came from one, never the
 * config key. Problems with what a value points at (a secret file that cannot be read) are
 * BAD_CONFIG (exit 1).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ClientError } from '@sotto/core';
import { ConfigError, resolveConfig, type ServerConfig, type SettingNames } from '@sotto/server/config';
import { environment, mebibytes, wholeNumber } from '../option-values.js';

export interface ServeOptions {
  host: string;
  port: string;
  data: string;
  inviteOnly: boolean;
  retentionDays: string;
  logLevel: string;
  sync: string;
  rateLimit: string;
  db?: string;
  bus?: string;
  /** False with --no-bus-entries; absent counts as true. */
  busEntries?: boolean;
  ringsPerMinute: string;
  rateLimits: boolean;
  trustProxy: boolean;
  operatorContact?: string;
  freshAccountHours: string;
  turnUrl?: string[];
  turnSecretFile?: string;
  turnTtl: string;
  sfu?: string;
  sfuSecretFile?: string;
  sfuPublicUrl?: string;
  maxConnectionsPerAddress: string;
  web?: string | boolean;
  /** Absent: the server's default (100 MiB). */
  maxFileMb?: string;
  /** Absent: the server's default (1024 MiB). */
  fileQuotaMb?: string;
  /** False with --no-push; absent counts as true. */
  push?: boolean;
  pushSubject?: string;
  /** Comma-separated hosts; absent: the server's default list of the browser vendors' push services. */
  pushEndpoints?: string;
  pushAllowLoopback?: boolean;
}

/** Each setting's flag (commander's attribute name, as typed) and the environment variable that can give its default. */
const FLAGS = {
  host: { option: 'host', flag: '--host', env: 'SOTTO_HOST' },
  port: { option: 'port', flag: '--port', env: 'SOTTO_PORT' },
  dataDir: { option: 'data', flag: '--data', env: 'SOTTO_DATA' },
  db: { option: 'db', flag: '--db', env: 'SOTTO_DB' },
  bus: { option: 'bus', flag: '--bus', env: 'SOTTO_BUS' },
  busEntries: { option: 'busEntries', flag: '--no-bus-entries' },
  inviteOnly: { option: 'inviteOnly', flag: '--invite-only' },
  retentionDays: { option: 'retentionDays', flag: '--retention-days' },
  logLevel: { option: 'logLevel', flag: '--log-level' },
  syncMode: { option: 'sync', flag: '--sync' },
  ringsPerMinute: { option: 'ringsPerMinute', flag: '--rings-per-minute' },
  rateLimits: { option: 'rateLimits', flag: '--no-rate-limits' },
  trustProxy: { option: 'trustProxy', flag: '--trust-proxy' },
  operatorContact: { option: 'operatorContact', flag: '--operator-contact', env: 'SOTTO_OPERATOR_CONTACT' },
  freshAccountHours: { option: 'freshAccountHours', flag: '--fresh-account-hours' },
  turnUrls: { option: 'turnUrl', flag: '--turn-url', env: 'SOTTO_TURN_URL' },
  turnTtlSeconds: { option: 'turnTtl', flag: '--turn-ttl' },
  sfuUrl: { option: 'sfu', flag: '--sfu', env: 'SOTTO_SFU' },
  sfuPublicUrl: { option: 'sfuPublicUrl', flag: '--sfu-public-url', env: 'SOTTO_SFU_PUBLIC_URL' },
  webRoot: { option: 'web', flag: '--web' },
  maxConnectionsPerAddress: { option: 'maxConnectionsPerAddress', flag: '--max-connections-per-address' },
  maxFileBytes: { option: 'maxFileMb', flag: '--max-file-mb' },
  fileQuotaBytes: { option: 'fileQuotaMb', flag: '--file-quota-mb' },
  push: { option: 'push', flag: '--no-push' },
  pushSubject: { option: 'pushSubject', flag: '--push-subject', env: 'SOTTO_PUSH_SUBJECT' },
  pushEndpoints: { option: 'pushEndpoints', flag: '--push-endpoints', env: 'SOTTO_PUSH_ENDPOINTS' },
  pushAllowLoopback: { option: 'pushAllowLoopback', flag: '--push-allow-loopback' },
} as const satisfies { [K in keyof ServerConfig]?: { option: string; flag: string; env?: string } };

/** The file limits in mebibytes, as the flags take them (the server's own ranges, in bytes, are the same). */
const MAX_FILE_MB = { min: 1, max: 4096 } as const;
const FILE_QUOTA_MB = { min: 1, max: 1024 * 1024 } as const;

/** Frames per second a connection may send: not a ServerConfig setting, so its range lives here. */
const RATE_LIMIT = { option: 'rateLimit', flag: '--rate-limit', range: { min: 1, max: 10_000_000 } } as const;

/** The flag, or the environment variable when the value came from it (not given on the command line). */
function nameOf(command: Command, spec: { option: string; flag: string; env?: string }): string {
  const fromEnvironment = spec.env !== undefined && command.getOptionValueSource(spec.option) === 'default' && environment(spec.env) !== undefined;
  return fromEnvironment ? spec.env! : spec.flag;
}

export function settingNames(command: Command): SettingNames {
  const names: Record<string, string> = {};
  for (const [key, spec] of Object.entries(FLAGS)) names[key] = nameOf(command, spec);
  // The secret comes from a file or the environment; a message about it points at both.
  names.turnSecret = '--turn-secret-file (or SOTTO_TURN_SECRET)';
  names.sfuSecret = '--sfu-secret-file (or SOTTO_SFU_SECRET)';
  return names as SettingNames;
}

/**
 * The settings `sotto serve` was given, checked: a ClientError (INVALID_INPUT) for a bad
 * value, a ConfigError (BAD_CONFIG) when the TURN or SFU secret file cannot be read.
 */
export function serveSettings(opts: ServeOptions, command: Command, webRoot: { webRoot?: string }): { config: ServerConfig; framesPerSecond: number } {
  const names = settingNames(command);
  const number = (key: 'port' | 'retentionDays' | 'ringsPerMinute' | 'freshAccountHours' | 'turnTtlSeconds', text: string): number => wholeNumber(text, names[key]!);
  const framesPerSecond = wholeNumber(opts.rateLimit, nameOf(command, RATE_LIMIT), RATE_LIMIT.range);
  const maxConnectionsPerAddress = wholeNumber(opts.maxConnectionsPerAddress, names.maxConnectionsPerAddress!, { min: 1, max: 1_000_000 });
  const input = {
    host: opts.host,
    port: number('port', opts.port),
    dataDir: opts.data,
    inviteOnly: opts.inviteOnly,
    retentionDays: number('retentionDays', opts.retentionDays),
    logLevel: opts.logLevel as ServerConfig['logLevel'],
    syncMode: opts.sync as ServerConfig['syncMode'],
    ...(opts.db !== undefined ? { db: opts.db } : {}),
    ...(opts.bus !== undefined ? { bus: opts.bus } : {}),
    busEntries: opts.busEntries ?? true,
    ringsPerMinute: number('ringsPerMinute', opts.ringsPerMinute),
    rateLimits: opts.rateLimits,
    trustProxy: opts.trustProxy,
    freshAccountHours: number('freshAccountHours', opts.freshAccountHours),
    ...(opts.operatorContact !== undefined ? { operatorContact: opts.operatorContact } : {}),
    turnUrls: opts.turnUrl ?? [],
    turnTtlSeconds: number('turnTtlSeconds', opts.turnTtl),
    maxConnectionsPerAddress,
    ...(opts.maxFileMb !== undefined ? { maxFileBytes: mebibytes(opts.maxFileMb, names.maxFileBytes!, MAX_FILE_MB) } : {}),
    ...(opts.fileQuotaMb !== undefined ? { fileQuotaBytes: mebibytes(opts.fileQuotaMb, names.fileQuotaBytes!, FILE_QUOTA_MB) } : {}),
    ...(opts.sfu !== undefined ? { sfuUrl: opts.sfu } : {}),
    ...(opts.sfuPublicUrl !== undefined ? { sfuPublicUrl: opts.sfuPublicUrl } : {}),
    push: opts.push ?? true,
    pushAllowLoopback: opts.pushAllowLoopback ?? false,
    ...(opts.pushSubject !== undefined ? { pushSubject: opts.pushSubject } : {}),
    ...(opts.pushEndpoints !== undefined ? { pushEndpoints: opts.pushEndpoints.split(',').map((host) => host.trim().toLowerCase()) } : {}),
    ...secretFrom(opts.turnSecretFile, '--turn-secret-file', 'SOTTO_TURN_SECRET', 'turnSecret'),
    ...secretFrom(opts.sfuSecretFile, '--sfu-secret-file', 'SOTTO_SFU_SECRET', 'sfuSecret'),
    ...webRoot,
  };
  try {
    return { config: resolveConfig(input, names), framesPerSecond };
  } catch (error) {
    // Every check resolveConfig makes is on a value typed or set in the environment: a usage error.
    if (error instanceof ConfigError) throw new ClientError('INVALID_INPUT', error.message);
    throw error;
  }
}

/** A secret (TURN's, the SFU's) comes from a file or the environment, never the command line (ps shows it). */
function secretFrom<K extends 'turnSecret' | 'sfuSecret'>(file: string | undefined, flag: string, variable: string, key: K): { [P in K]?: string } {
  if (file === undefined) {
    const secret = environment(variable);
    return (secret ? { [key]: secret } : {}) as { [P in K]?: string };
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const why = code === 'ENOENT' ? 'there is no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : String(code ?? error);
    throw new ConfigError(`Cannot read ${flag} ${file}: ${why}.`);
  }
  const secret = text.trim();
  return (secret ? { [key]: secret } : {}) as { [P in K]?: string };
}

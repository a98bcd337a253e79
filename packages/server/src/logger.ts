/** @module logger Scoped, privacy-aware JSON logging: no usernames, device ids, keys, invite codes or content ever reach a log line. */
import { createHash } from 'node:crypto';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';
import { deviceKey } from './storage/types.js';

export type { Logger };

export interface LoggerOptions {
  readonly level?: LogLevel;
  /** Where JSON lines go; stderr when absent, so stdout stays free for command output. */
  readonly destination?: DestinationStream;
  /** Make the new logger a sibling scope of `parent` (same level and destination). */
  readonly parent?: Logger;
}

/**
 * A safety net only: code must not pass these fields at all. If one slips
 * through anyway (say an error object carrying a request), it is censored.
 */
const SENSITIVE = ['username', 'deviceId', 'identityKey', 'payload', 'text', 'inviteCode', 'signature', 'nonce', 'keyPackage', 'welcome', 'commit'];
const REDACT_PATHS = [...SENSITIVE, ...SENSITIVE.map((key) => `*.${key}`)];

// Each scoped logger remembers its root, so nested scopes replace the scope instead of repeating the key.
const roots = new WeakMap<Logger, Logger>();

export function createLogger(scope: string, options: LoggerOptions = {}): Logger {
  const root =
    (options.parent && (roots.get(options.parent) ?? options.parent)) ??
    pino(
      {
        level: options.level ?? 'info',
        base: undefined,
        redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      },
      // Synchronous so the last lines before a crash are not lost; logging is sparse by design.
      options.destination ?? pino.destination({ fd: 2, sync: true }),
    );
  const logger = root.child({ scope });
  roots.set(logger, root);
  return logger;
}

/**
 * A short, stable stand-in for an identifier (username, device, group id):
 * the first 8 hex digits of its SHA-256, enough to follow one party through
 * the logs without naming it.
 */
export function shortId(value: string | Uint8Array): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 8);
}

/** `shortId` of a device address: one token per device. */
export function shortDevice(device: { readonly username: string; readonly deviceId: string }): string {
  return shortId(deviceKey(device));
}

/** Class, message and stack of an error for a log line; never the data attached to it. */
export function errorSummary(error: unknown): { type: string; message: string; stack?: string } {
  if (error instanceof Error) return { type: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) };
  return { type: typeof error, message: 'non-Error value thrown' };
}

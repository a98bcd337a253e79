/**
 * @module node-ports
 * Clock, randomness and a structured stderr logger for Node.
 */
import { randomBytes } from 'node:crypto';
import type { Clock, LogFields, Logger, Random } from '@sotto/core';

export const nodeClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export const nodeRandom: Random = {
  bytes: (n) => new Uint8Array(randomBytes(n)),
};

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** JSON lines on stderr, scoped, taking pino's (fields, message); callers pass no content, keys or names. */
export function createStderrLogger(scope: string, level: LogLevel = 'warn'): Logger {
  const log = (at: Exclude<LogLevel, 'silent'>) => (fields: LogFields, message: string) => {
    if (ORDER[at] < ORDER[level]) return;
    process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level: at, scope, message, ...fields }) + '\n');
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

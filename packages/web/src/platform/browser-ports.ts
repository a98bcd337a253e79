/**
 * @module platform/browser-ports
 * Clock, randomness and a scoped console logger for the browser.
 */
import type { Clock, LogFields, Logger, Random } from '@sotto/core';

export const browserClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

/** getRandomValues fills at most 65,536 bytes per call. */
const RANDOM_CHUNK = 65_536;

export const browserRandom: Random = {
  bytes(n) {
    const out = new Uint8Array(n);
    for (let offset = 0; offset < n; offset += RANDOM_CHUNK) {
      crypto.getRandomValues(out.subarray(offset, Math.min(n, offset + RANDOM_CHUNK)));
    }
    return out;
  },
};

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Structured lines on the console, taking pino's (fields, message); the engine passes no content, keys or names. */
export function createConsoleLogger(scope: string, level: LogLevel = 'warn'): Logger {
  const log = (at: Exclude<LogLevel, 'silent'>) => (fields: LogFields, message: string) => {
    if (ORDER[at] < ORDER[level]) return;
    console[at](`[${scope}] ${message}`, fields);
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

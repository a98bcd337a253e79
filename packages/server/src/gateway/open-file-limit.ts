/**
 * @module gateway/open-file-limit
 * The process's soft limit on open files (`ulimit -n`), read from /proc/self/limits: Node has no
 * call for it. Undefined where there is no /proc (not Linux) or no limit.
 */
import { readFileSync } from 'node:fs';

export function openFileLimit(limits = '/proc/self/limits'): number | undefined {
  try {
    const match = /^Max open files\s+(\d+|unlimited)\s/m.exec(readFileSync(limits, 'utf8'));
    return match && match[1] !== 'unlimited' ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

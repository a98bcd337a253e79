/**
 * @module test/support/paths
 * Where the built CLI lives, and scratch directories for scenarios.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(REPO_ROOT, 'packages/cli/dist/bin.js');

export function scratchDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `sotto-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

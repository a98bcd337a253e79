/**
 * @module storage/sqlite/settings-queries
 * SqliteStore's settings statements, read through the store's memory of them: operators change
 * settings from another process, so the store drops that memory when another connection commits
 * (SqliteStore.noticeOtherWriters) and a write here drops the key it wrote.
 */
import type { Statements } from './statements.js';

/** Settings by key (undefined: no such setting), owned by the store, which clears it. */
export type SettingsMemory = Map<string, string | undefined>;

/** Setting keys remembered at most. */
const MAX_CACHED_SETTINGS = 64;

/** The setting's value; the caller has checked for other writers first. */
export function getSetting(sql: Statements, memory: SettingsMemory, key: string): string | undefined {
  if (memory.has(key)) return memory.get(key);
  const row = sql.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
  // Few keys exist (the services' constants); the bound guards against a caller that makes them up.
  if (memory.size >= MAX_CACHED_SETTINGS) memory.clear();
  memory.set(key, row?.value);
  return row?.value;
}

export function setSetting(sql: Statements, memory: SettingsMemory, key: string, value: string): void {
  sql.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  // Dropped when written, after any read queued before it; read again after the commit.
  memory.delete(key);
}

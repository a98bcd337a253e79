/**
 * @module storage/postgres/settings-queries
 * PostgresStore's settings statements: the operator's key-value settings, read
 * on every call (another node, or the operator's command, may have changed
 * them) and written with an upsert.
 */
import type { Sql } from './transaction.js';

export async function getSetting(sql: Sql, key: string): Promise<string | undefined> {
  return (await sql.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key])).rows[0]?.value;
}

export async function setSetting(sql: Sql, key: string, value: string): Promise<void> {
  await sql.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
}

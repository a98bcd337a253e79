/** @module commands/admin-handle How every `sotto admin` command opens the server's database, and whom the audit log names. */
import { userInfo } from 'node:os';
import type { Admin, AdminOptions } from '@sotto/server';

/** The operator acting: SOTTO_OPERATOR, else the OS user running the command. */
export function operatorName(): string {
  const fromEnv = process.env.SOTTO_OPERATOR?.trim();
  if (fromEnv) return fromEnv.slice(0, 64);
  try {
    return userInfo().username;
  } catch {
    return 'operator';
  }
}

export function adminOptions(opts: { db?: string }): AdminOptions {
  return { actor: operatorName(), ...(opts.db ? { db: opts.db } : {}) };
}

/**
 * Opens the server's database for an admin command. The server package is loaded here, when a
 * command runs, not when the CLI starts: member commands never need it.
 */
export async function openAdminHandle(opts: { data: string; db?: string }): Promise<Admin> {
  const { openAdmin } = await import('@sotto/server');
  return openAdmin(opts.data, adminOptions(opts));
}

/**
 * @module profile
 * Where a member's client state lives: --profile DIR, else $SOTTO_PROFILE,
 * else ~/.sotto. Opening a profile connects and waits for the mailbox drain.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { SottoClient } from '@sotto/client-node';
import type { CallsConfig, GroupCallsConfig } from '@sotto/core';
import { createOutput } from './output.js';
import { attachSendNotices } from './printer.js';

export interface GlobalOptions {
  readonly profile?: string;
  readonly json?: boolean;
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
}

export function profileDir(options: GlobalOptions): string {
  return options.profile ?? process.env.SOTTO_PROFILE ?? join(homedir(), '.sotto');
}

/** Opens the profile's client, connects, and processes what is waiting. */
export async function withClient<T>(
  options: GlobalOptions,
  run: (client: SottoClient) => Promise<T>,
  opts: { reconnect?: boolean; before?: (client: SottoClient) => void; calls?: CallsConfig; groupCalls?: GroupCallsConfig } = {},
): Promise<T> {
  // Loaded when a member command runs: `serve` and `admin` never need the client's dependencies.
  const { openNodeClient } = await import('@sotto/client-node');
  const client = await openNodeClient({
    profileDir: profileDir(options),
    logLevel: options.logLevel ?? 'warn',
    reconnect: opts.reconnect ?? false,
    ...(opts.calls ? { calls: opts.calls } : {}),
    ...(opts.groupCalls ? { groupCalls: opts.groupCalls } : {}),
  });
  // Every connection resends what the outbox holds: say on stderr if the server cannot store it.
  attachSendNotices(client, createOutput(options.json ?? false));
  opts.before?.(client);
  try {
    await client.connect();
    await client.sync();
    const result = await run(client);
    await client.idle();
    return result;
  } finally {
    await client.close();
  }
}

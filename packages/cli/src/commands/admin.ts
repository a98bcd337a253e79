/**
 * @module commands/admin
 * `sotto admin`: operator commands that work on the server's database directly.
 */
import type { Command } from 'commander';
import { parseVersion } from '@sotto/protocol';
import { ClientError } from '@sotto/core';
import { createOutput } from '../output.js';
import { environment, wholeNumber } from '../option-values.js';
import { registerAdminAdvisory } from './advisories.js';
import { openAdminHandle } from './admin-handle.js';
import { registerAdminIncidents } from './incidents.js';

/** How long an invite may stay valid: ten years is already longer than any sensible plan. */
const INVITE_DAYS = { min: 1, max: 3650 } as const;

export function registerAdmin(program: Command, json: () => boolean): void {
  const admin = program.command('admin').description('operator commands (run on the server machine)');
  const dataOption = ['--data <dir>', 'the server data directory (SQLite)', environment('SOTTO_DATA') ?? './sotto-data'] as const;
  const dbOption = ['--db <url>', 'the server\'s PostgreSQL URL, when it uses one', environment('SOTTO_DB')] as const;
  registerAdminAdvisory(admin, json, { data: dataOption, db: dbOption });
  registerAdminIncidents(admin, json, { data: dataOption, db: dbOption });

  admin
    .command('invite')
    .description('make a one-time invite code for registration')
    .option(...dataOption)
    .option(...dbOption)
    .option('--days <days>', `days until the code expires (1-${INVITE_DAYS.max})`, '7')
    .action(async (opts: { data: string; days: string; db?: string }) => {
      const days = wholeNumber(opts.days, '--days', INVITE_DAYS);
      const handle = await openAdminHandle(opts);
      try {
        const code = await handle.createInvite(days);
        createOutput(json()).print(code, { invite: code, expiresInDays: days });
      } finally {
        await handle.close();
      }
    });

  admin
    .command('min-version')
    .description('show or set the oldest client version the server accepts')
    .argument('[version]', 'MAJOR.MINOR.PATCH')
    .option(...dataOption)
    .option(...dbOption)
    .action(async (version: string | undefined, opts: { data: string; db?: string }) => {
      if (version !== undefined && !parseVersion(version)) throw new ClientError('INVALID_INPUT', 'Versions look like 1.2.3.');
      const handle = await openAdminHandle(opts);
      try {
        if (version !== undefined) await handle.setMinVersion(version);
        const current = await handle.getMinVersion();
        createOutput(json()).print(current ?? '(none)', { minVersion: current ?? null });
      } finally {
        await handle.close();
      }
    });

  admin
    .command('users')
    .description('list accounts')
    .option(...dataOption)
    .option(...dbOption)
    .action(async (opts: { data: string; db?: string }) => {
      const handle = await openAdminHandle(opts);
      try {
        const out = createOutput(json());
        for (const user of await handle.listUsers()) {
          out.print(`${user.username}\t${user.devices} device(s)\t${new Date(user.createdAt).toISOString()}`, { ...user });
        }
      } finally {
        await handle.close();
      }
    });
}

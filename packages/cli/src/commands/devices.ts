/**
 * @module commands/devices
 * `sotto devices`: this account's devices. `add` shows a one-time code and waits for the new
 * device; `join` (on the new device's empty profile) uses it; `list` and `remove` work from the
 * account's signed device list.
 */
import type { Command } from 'commander';
import { ClientError } from '@sotto/core';
import { createOutput, type Output } from '../output.js';
import { serverUrl } from '../option-values.js';
import { profileDir, withClient, type GlobalOptions } from '../profile.js';

export function registerDeviceCommands(program: Command, globals: () => GlobalOptions): void {
  const out = (): Output => createOutput(globals().json ?? false);
  const devices = program.command('devices').description("this account's devices: link a new one, list them, remove one");

  devices
    .command('add')
    .description('show a one-time code for a new device, and wait (a few minutes) until it has joined')
    .option('--history', "also pass on each conversation's recent messages (sealed to the new device)")
    .action(async (opts: { history?: boolean }) => {
      const output = out();
      await withClient(globals(), async (client) => {
        const link = await client.devices.link({ history: opts.history ?? false });
        const minutes = Math.max(1, Math.round((link.expiresAt - Date.now()) / 60_000));
        output.print(
          `On the new device, run:\n  sotto --profile <dir> devices join ${link.code} --server ${client.identity.serverUrl}\nThe code works once, for ${minutes} minutes.`,
          { type: 'device-link', code: link.code, expiresAt: link.expiresAt, server: client.identity.serverUrl },
        );
        const linked = await link.linked;
        output.print(`linked device ${linked.deviceId}; added to ${linked.conversations} conversation(s)`, { type: 'device-linked', deviceId: linked.deviceId, conversations: linked.conversations });
      }, { reconnect: true });
    });

  devices
    .command('join')
    .description("make this (empty) profile a new device of an existing account, with the code `devices add` shows there")
    .argument('<code>', 'the one-time code (dashes optional)')
    .requiredOption('--server <url>', 'the account\'s server URL')
    .option('--timeout <seconds>', 'how long to wait for the other device', '120')
    .action(async (code: string, opts: { server: string; timeout: string }) => {
      const g = globals();
      const seconds = Number(opts.timeout);
      if (!Number.isFinite(seconds) || seconds <= 0) throw new ClientError('INVALID_INPUT', '--timeout is a number of seconds, more than 0.');
      const { linkNodeClient } = await import('@sotto/client-node');
      const client = await linkNodeClient({ profileDir: profileDir(g), logLevel: g.logLevel ?? 'warn', reconnect: false }, serverUrl(opts.server), code, seconds * 1000);
      try {
        await client.idle();
      } finally {
        await client.close();
      }
      out().print(`linked as ${client.identity.username} (device ${client.identity.deviceId})`, { type: 'device-joined', username: client.identity.username, deviceId: client.identity.deviceId });
    });

  devices
    .command('list')
    .description("this account's devices, from its signed device list")
    .action(async () => {
      const list = await withClient(globals(), (client) => client.devices.list());
      const output = out();
      for (const device of list) output.print(`${device.deviceId}${device.thisDevice ? '  (this device)' : ''}`, { type: 'device', ...device });
    });

  devices
    .command('remove')
    .description('remove another device of this account: it leaves every conversation and can read nothing new')
    .argument('<device>', 'the device id, as `devices list` shows it')
    .action(async (deviceId: string) => {
      const conversations = await withClient(globals(), (client) => client.devices.remove(deviceId));
      out().print(`removed device ${deviceId} from the account and from ${conversations} conversation(s)`, { type: 'device-removed', deviceId, conversations });
    });
}

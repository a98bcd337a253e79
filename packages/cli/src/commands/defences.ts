/**
 * @module commands/defences
 * The member's defences: `sotto lockdown [on|off]`, `sotto link` (a single-use contact link, the
 * only way in while in lockdown), and `sotto security` (threat notifications from the server).
 */
import type { Command } from 'commander';
import { ClientError } from '@sotto/core';
import { createOutput, type Output } from '../output.js';
import { printThreatNotice } from '../printer.js';
import { withClient, type GlobalOptions } from '../profile.js';

export function registerDefenceCommands(program: Command, globals: () => GlobalOptions): void {
  const out = (): Output => createOutput(globals().json ?? false);

  program
    .command('lockdown')
    .description('lockdown mode: contact requests only through your contact link, every call relay-only, strangers shown only as a count')
    .argument('[state]', 'on or off; leave out to see the current state')
    .action(async (state: string | undefined) => {
      if (state !== undefined && state !== 'on' && state !== 'off') throw new ClientError('INVALID_INPUT', 'Say "on" or "off".');
      const view = await withClient(globals(), (c) => (state === undefined ? c.lockdown.state() : c.lockdown.set(state === 'on')));
      const human = view.enabled
        ? `lockdown mode is on: ${view.refused} request(s) without your link refused; share "sotto link" with people you want to hear from`
        : 'lockdown mode is off';
      out().print(human, { type: 'lockdown', ...view });
    });

  program
    .command('link')
    .description('make a single-use contact link to give someone (in lockdown mode, the only way they can ask for contact)')
    .option('--hours <n>', 'how long the link works (1-720)', '168')
    .action(async (opts: { hours: string }) => {
      const hours = Number(opts.hours);
      if (!Number.isInteger(hours) || hours < 1 || hours > 720) throw new ClientError('INVALID_INPUT', '--hours is a whole number from 1 to 720.');
      const link = await withClient(globals(), (c) => c.lockdown.createLink(hours));
      out().print(link.link, { type: 'contact-link', link: link.link, username: link.username, expiresAt: new Date(link.expiresAt).toISOString() });
    });

  program
    .command('security')
    .description('threat notifications from your server: warnings that your account is being targeted')
    .option('--dismiss <incident>', 'mark a notification as read')
    .action(async (opts: { dismiss?: string }) => {
      const notices = await withClient(globals(), async (c) => {
        if (opts.dismiss) await c.threats.dismiss(opts.dismiss);
        return c.threats.list();
      });
      if (notices.length === 0 && !out().json) out().print('no threat notifications', {});
      for (const n of notices) {
        if (n.dismissed) out().print(`(read) ${n.incidentId} ${new Date(n.openedAt).toISOString()}`, { type: 'threat-notice', ...n });
        else printThreatNotice(out(), n);
      }
    });
}

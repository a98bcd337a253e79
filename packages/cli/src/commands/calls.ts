/**
 * @module commands/calls
 * `sotto call`, `sotto calls` (the call log) and `sotto settings`. `sotto listen` answers
 * calls only with an explicit `--accept-calls` (see listen in member.ts and call-printer.ts).
 */
import type { Command } from 'commander';
import { ClientError, type CallsConfig, type CallState, type SottoClient } from '@sotto/core';
import { createOutput, type Output } from '../output.js';
import { withClient, type GlobalOptions } from '../profile.js';
import { attachCallPrinter, callEndRecord, describeEnd } from '../call-printer.js';

export interface CallMediaFlags {
  readonly play?: string;
  readonly record?: string;
  readonly relayOnly?: boolean;
  readonly allowLoopbackCandidates?: boolean;
}

/**
 * The media and candidate policy a call command asked for. The RTC stack (werift, Opus) is
 * loaded here, by the commands that carry calls, not by every start of the CLI.
 */
export async function callsConfig(flags: CallMediaFlags): Promise<CallsConfig> {
  const { WeriftCallMedia } = await import('@sotto/client-node/calls');
  return {
    media: new WeriftCallMedia({ ...(flags.play ? { play: flags.play } : {}), ...(flags.record ? { record: flags.record } : {}) }),
    allowLoopback: flags.allowLoopbackCandidates === true,
  };
}

export function addMediaOptions(command: Command): Command {
  return command
    .option('--play <file.wav>', 'play this WAV file as your microphone (for bots and tests)')
    .option('--record <file.wav>', "record the other side's audio to this WAV file")
    .option('--relay-only', 'send media only through the TURN relay, so the peer never learns your IP')
    .option('--allow-loopback-candidates', 'accept 127.0.0.1 candidates: only for tests with both ends on one machine');
}

export function parseSeconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new ClientError('INVALID_INPUT', `${flag} is a positive number of seconds.`);
  return seconds;
}

export function registerCallCommands(program: Command, globals: () => GlobalOptions): void {
  const out = (): Output => createOutput(globals().json ?? false);

  addMediaOptions(
    program
      .command('call')
      .description("call a contact (a non-contact gets only a call request, shown to them as a missed call request)")
      .argument('<username>')
      .option('--seconds <n>', 'hang up after this many seconds of conversation'),
  ).action(async (username: string, opts: CallMediaFlags & { seconds?: string }) => {
    const seconds = parseSeconds(opts.seconds, '--seconds');
    const output = out();
    const ended = await withClient(globals(), (c) => placeCall(c, username, opts, seconds, output), { reconnect: true, calls: await callsConfig(opts) });
    // Exit 0 only for a call that was answered (it has a duration). Exit explicitly: werift 0.24
    // leaves a TURN refresh timer pending for minutes after a relayed connection closed.
    const code = ended.kind !== 'ended' || ended.durationMs === undefined ? 1 : 0;
    process.stdout.write('', () => process.exit(code));
  });

  program
    .command('calls')
    .description('show the call log: answered, missed, declined, missed call requests')
    .option('--limit <n>', 'most recent entries to show', '50')
    .action(async (opts: { limit: string }) => {
      const log = await withClient(globals(), (c) => c.listCallLog(Number(opts.limit)));
      for (const e of log) {
        const when = new Date(e.endedAt).toISOString();
        const duration = e.outcome === 'answered' ? ` ${(e.durationMs / 1000).toFixed(1)} s` : '';
        out().print(`${when} ${e.direction === 'outgoing' ? 'to' : 'from'} ${e.peer}: ${e.outcome}${duration}`, { type: 'call', ...e });
      }
    });

  program
    .command('settings')
    .description("show or change this profile's settings")
    .option('--relay-only-calls <on|off>', 'make every call relay-only (your IP stays hidden from peers)')
    .option('--read-receipts <on|off>', 'tell contacts what you read (off: you do not see what they read either)')
    .option('--typing <on|off>', 'tell chats when you are typing (off: you do not see others typing either)')
    .action(async (opts: { relayOnlyCalls?: string; readReceipts?: string; typing?: string }) => {
      const onOff = (value: string, flag: string) => {
        if (value !== 'on' && value !== 'off') throw new ClientError('INVALID_INPUT', `${flag} is on or off.`);
        return value === 'on';
      };
      const settings = await withClient(globals(), async (c) => {
        const change = {
          ...(opts.relayOnlyCalls !== undefined ? { relayOnlyCalls: onOff(opts.relayOnlyCalls, '--relay-only-calls') } : {}),
          ...(opts.readReceipts !== undefined ? { readReceipts: onOff(opts.readReceipts, '--read-receipts') } : {}),
          ...(opts.typing !== undefined ? { typingIndicators: onOff(opts.typing, '--typing') } : {}),
        };
        // Changed settings follow the account's other devices.
        if (Object.keys(change).length > 0) await c.updateSettings(change);
        return c.getSettings();
      });
      const shown = { relayOnlyCalls: settings.relayOnlyCalls, readReceipts: settings.readReceipts !== false, typingIndicators: settings.typingIndicators !== false, lockdown: settings.lockdown };
      const onOrOff = (value: boolean) => (value ? 'on' : 'off');
      out().print(`relay-only calls: ${onOrOff(shown.relayOnlyCalls)}\nread receipts: ${onOrOff(shown.readReceipts)}\ntyping indicators: ${onOrOff(shown.typingIndicators)}`, { type: 'settings', ...shown });
    });
}

/** Places the call and follows it to its end; resolves with the final state. */
async function placeCall(client: SottoClient, username: string, flags: CallMediaFlags, seconds: number | undefined, out: Output): Promise<CallState> {
  const ended = new Promise<CallState>((resolve) => {
    client.calls.events.didChangeCall.event((state) => {
      if (state.kind === 'ended') resolve(state);
    });
  });
  const printer = attachCallPrinter(client, out, { hangUpAfterSeconds: seconds });
  const stop = () => void client.calls.hangup().catch(() => undefined);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const placed = await client.calls.place(username, flags.relayOnly === undefined ? {} : { relayOnly: flags.relayOnly });
  if (placed.kind === 'requested') {
    throw new ClientError(
      'NOT_A_CONTACT',
      `${username} is not your contact: no call was placed. They were sent a call request, which they see as a missed call request.`,
    );
  }
  out.print(`calling ${username}…`, { type: 'call', state: 'ringing', callId: placed.callId, peer: username });
  const final = await ended;
  await client.calls.idle();
  await printer.flush();
  out.print(describeEnd(final), callEndRecord(final));
  return final;
}

/**
 * @module commands/group-calls
 * `sotto group call <group>`: joins the group's call through the server's SFU, audio only, and
 * leaves after `--seconds` or on Ctrl-C. Joining is the member's act: nothing of a call reaches
 * this device before. Every frame is sealed end to end (SFrame, keys from the group's MLS).
 */
import type { Command } from 'commander';
import type { GroupCallsConfig, GroupCallState, SottoClient } from '@sotto/core';
import { resolveGroup } from '../conversation-names.js';
import { createOutput, type Output } from '../output.js';
import { withClient, type GlobalOptions } from '../profile.js';
import { addMediaOptions, parseSeconds, type CallMediaFlags } from './calls.js';

/** Loaded by the commands that carry group calls only: werift and Opus are not every command's. */
async function groupCallsConfig(flags: CallMediaFlags): Promise<GroupCallsConfig> {
  const { JanusGroupCallMedia } = await import('@sotto/client-node/calls');
  return {
    media: new JanusGroupCallMedia({ ...(flags.play ? { play: flags.play } : {}), ...(flags.record ? { record: flags.record } : {}) }),
    allowLoopback: flags.allowLoopbackCandidates === true,
  };
}

export function registerGroupCallCommand(group: Command, globals: () => GlobalOptions): void {
  addMediaOptions(
    group
      .command('call')
      .argument('<name>')
      .description("join the group's call (starting it if nobody is in it), audio only")
      .option('--seconds <n>', 'leave after this many seconds in the call'),
  ).action(async (name: string, opts: CallMediaFlags & { seconds?: string }) => {
    const seconds = parseSeconds(opts.seconds, '--seconds');
    const out = createOutput(globals().json ?? false);
    const final = await withClient(globals(), (c) => joinAndStay(c, name, opts, seconds, out), { reconnect: true, groupCalls: await groupCallsConfig(opts) });
    // Exit explicitly: werift may leave timers behind for a while after its connections closed.
    process.stdout.write('', () => process.exit(final.kind === 'ended' && final.reason === 'left' ? 0 : 1));
  });
}

async function joinAndStay(client: SottoClient, name: string, flags: CallMediaFlags, seconds: number | undefined, out: Output): Promise<GroupCallState> {
  const groupId = await resolveGroup(client, name);
  const calls = client.groupCalls;
  const ended = new Promise<GroupCallState>((resolve) => {
    let heard = new Set<string>();
    let connected = false;
    let epoch: bigint | undefined;
    calls.events.didChangeGroupCall.event((state) => {
      if (state.kind === 'joined') {
        if (state.connected && !connected) {
          connected = true;
          out.print(`in the call of ${name}`, { type: 'group-call', state: 'joined', group: name });
        }
        const now = new Set(state.heard.map((m) => m.user));
        for (const user of now) if (!heard.has(user)) out.print(`hearing ${user}`, { type: 'group-call', state: 'hearing', group: name, user });
        for (const user of heard) if (!now.has(user)) out.print(`${user} left the call`, { type: 'group-call', state: 'left', group: name, user });
        heard = now;
        // New keys: someone joined or left the group, or left the call.
        if (epoch !== undefined && state.epoch !== epoch) out.print(`new keys for the call (epoch ${state.epoch})`, { type: 'group-call', state: 'rekeyed', group: name, epoch: Number(state.epoch) });
        epoch = state.epoch;
      }
      if (state.kind === 'ended') resolve(state);
    });
  });
  calls.events.didRefuseFrame.event(({ reason, message }) => out.notice(message, { type: 'group-call-frame-refused', reason }));
  const leave = () => void calls.leave().catch(() => undefined);
  process.once('SIGINT', leave);
  process.once('SIGTERM', leave);
  out.print(`joining the call of ${name}…`, { type: 'group-call', state: 'joining', group: name });
  await calls.join(groupId, flags.relayOnly === undefined ? {} : { relayOnly: flags.relayOnly });
  const timer = seconds !== undefined ? setTimeout(leave, seconds * 1000) : undefined;
  const final = await ended;
  clearTimeout(timer);
  const refused = calls.refusedFrames;
  const why = final.kind === 'ended' ? final.reason : 'left';
  out.print(`left the call of ${name}${final.kind === 'ended' && final.message ? `: ${final.message}` : ''}`, { type: 'group-call', state: 'ended', group: name, reason: why, refusedFrames: refused });
  return final;
}

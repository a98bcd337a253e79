/**
 * @module commands/group-calls
 * `sotto group call <group>`: joins the group's call through the server's SFU, audio only, and
 * leaves after `--seconds` or on Ctrl-C. Joining is the member's act: nothing of a call reaches
 * this device before. Every frame is sealed end to end (SFrame, keys from the group's MLS).
 */
import type { Command } from 'commander';
import type { GroupCallsConfig, GroupCallState, SottoClient } from '@sotto/core';
import { resolveGroup } from '../conversation-names.js';
import { attachGroupCallPrinter } from '../group-call-printer.js';
import { createOutput, type Output } from '../output.js';
import { withClient, type GlobalOptions } from '../profile.js';
import { addMediaOptions, parseSeconds, type CallMediaFlags } from './calls.js';

/** Loaded by the commands that carry group calls only: werift and Opus are not every command's. */
export async function groupCallsConfig(flags: CallMediaFlags): Promise<GroupCallsConfig> {
  const { JanusGroupCallMedia } = await import('@sotto/client-node/calls');
  const { createStderrLogger } = await import('@sotto/client-node');
  return {
    // Its warnings (a subscription that failed, and at which step) go to stderr: content-free.
    media: new JanusGroupCallMedia({ ...(flags.play ? { play: flags.play } : {}), ...(flags.record ? { record: flags.record } : {}), logger: createStderrLogger('group-call') }),
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
  attachGroupCallPrinter(client, out, () => name);
  const ended = new Promise<GroupCallState>((resolve) => {
    calls.events.didChangeGroupCall.event((state) => {
      if (state.kind === 'ended') resolve(state);
    });
  });
  const leave = () => void calls.leave().catch(() => undefined);
  process.once('SIGINT', leave);
  process.once('SIGTERM', leave);
  await calls.join(groupId, flags.relayOnly === undefined ? {} : { relayOnly: flags.relayOnly });
  const timer = seconds !== undefined ? setTimeout(leave, seconds * 1000) : undefined;
  const final = await ended;
  clearTimeout(timer);
  return final;
}

/** How recent a member's join must be for a bot to follow it into the call. */
const FRESH_JOIN_MS = 2 * 60_000;

/**
 * `sotto listen --join-calls`: when a member of one of this device's groups joins its call and
 * this device is in none, it joins too; it leaves once everyone it heard has left (or after
 * `seconds`). Bots only, by the member's explicit flag: nothing joins a call by default.
 */
export async function joinGroupCallsWhenStarted(client: SottoClient, out: Output, flags: CallMediaFlags, seconds: number | undefined): Promise<void> {
  const names = new Map<string, string>();
  const nameOf = (groupId: string) => names.get(groupId) ?? groupId.slice(0, 16);
  attachGroupCallPrinter(client, out, nameOf);
  const calls = client.groupCalls;
  let leaveTimer: ReturnType<typeof setTimeout> | undefined;
  let heardSomeone = false;
  client.events.didReceiveMessage.event((message) => {
    if (message.notice !== 'call-joined' || message.outgoing) return;
    // A join from long ago (read back while catching up) is no call to join now.
    if (Date.now() - message.sentAt > FRESH_JOIN_MS) return;
    const state = calls.current;
    if (state.kind === 'joining' || state.kind === 'joined') return;
    void (async () => {
      const inCall = await calls.inProgress(message.groupId);
      if (!inCall.some((p) => p.user === message.sender && p.device === message.senderDevice)) return;
      for (const conversation of await client.listConversations()) names.set(conversation.groupId, conversation.name);
      heardSomeone = false;
      await calls.join(message.groupId, flags.relayOnly === undefined ? {} : { relayOnly: flags.relayOnly });
      if (seconds !== undefined) leaveTimer = setTimeout(() => void calls.leave().catch(() => undefined), seconds * 1000);
    })().catch((error: unknown) => out.notice(`could not join the call: ${error instanceof Error ? error.message : String(error)}`, { type: 'group-call-error' }));
  });
  calls.events.didChangeGroupCall.event((state) => {
    if (state.kind === 'ended') clearTimeout(leaveTimer);
    if (state.kind !== 'joined') return;
    if (state.heard.length > 0) heardSomeone = true;
    // Everyone it heard has gone: a bot does not stay alone in a call.
    else if (heardSomeone) void calls.leave().catch(() => undefined);
  });
}

/**
 * @module group-call-printer
 * What the CLI says about a group call it is in, for `sotto group call` and `sotto listen
 * --join-calls`: joined, who is heard and who left, each change of keys, the first frame
 * refused for each reason, and the end with the frames refused. Names only, never content.
 */
import type { GroupCallState, SottoClient } from '@sotto/core';
import type { Output } from './output.js';

/** Prints every change of the device's group call; `nameOf` names a group for people. */
export function attachGroupCallPrinter(client: SottoClient, out: Output, nameOf: (groupId: string) => string): void {
  const calls = client.groupCalls;
  let heard = new Set<string>();
  let connected = false;
  let epoch: bigint | undefined;
  calls.events.didChangeGroupCall.event((state: GroupCallState) => {
    if (state.kind === 'idle') return;
    const group = nameOf(state.groupId);
    if (state.kind === 'joining') {
      heard = new Set();
      connected = false;
      epoch = undefined;
      out.print(`joining the call of ${group}…`, { type: 'group-call', state: 'joining', group });
    } else if (state.kind === 'joined') {
      if (state.connected && !connected) {
        connected = true;
        out.print(`in the call of ${group}`, { type: 'group-call', state: 'joined', group });
      }
      const now = new Set(state.heard.map((m) => m.user));
      for (const user of now) if (!heard.has(user)) out.print(`hearing ${user}`, { type: 'group-call', state: 'hearing', group, user });
      for (const user of heard) if (!now.has(user)) out.print(`${user} left the call`, { type: 'group-call', state: 'left', group, user });
      heard = now;
      // New keys: someone joined or left the group, or left the call.
      if (epoch !== undefined && state.epoch !== epoch) out.print(`new keys for the call (epoch ${state.epoch})`, { type: 'group-call', state: 'rekeyed', group, epoch: Number(state.epoch) });
      epoch = state.epoch;
    } else {
      out.print(`left the call of ${group}${state.message ? `: ${state.message}` : ''}`, { type: 'group-call', state: 'ended', group, reason: state.reason, refusedFrames: calls.refusedFrames });
    }
  });
  calls.events.didSendCandidates.event(({ types }) => out.print(`announced ${types.length} candidate(s) to the SFU: ${[...new Set(types)].join(', ') || 'none'}`, { type: 'group-call-candidates', types }));
  calls.events.didRefuseFrame.event(({ reason, message }) => out.notice(message, { type: 'group-call-frame-refused', reason }));
}

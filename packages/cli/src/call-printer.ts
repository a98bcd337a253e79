/**
 * @module call-printer
 * Prints a client's call events as they happen (ringing, connected, first audio, refused
 * input, the end) and, with `hangUpAfterSeconds`, hangs up that long after media connected.
 */
import type { CallState, SottoClient } from '@sotto/core';
import type { Output } from './output.js';

export interface CallPrinterOptions {
  readonly hangUpAfterSeconds?: number | undefined;
}

export function attachCallPrinter(client: SottoClient, out: Output, options: CallPrinterOptions = {}): { flush(): Promise<void> } {
  let chain: Promise<void> = Promise.resolve();
  const later = (job: () => void) => {
    chain = chain.then(job).catch(() => undefined);
  };
  let hangupTimer: NodeJS.Timeout | undefined;
  const events = client.calls.events;
  events.didChangeCall.event((state) => {
    if (state.kind === 'active') {
      later(() => out.print(`connected with ${state.peer}`, { type: 'call', state: 'active', callId: state.callId, peer: state.peer }));
      if (options.hangUpAfterSeconds !== undefined) {
        clearTimeout(hangupTimer);
        hangupTimer = setTimeout(() => void client.calls.hangup().catch(() => undefined), options.hangUpAfterSeconds * 1000);
      }
    }
    if (state.kind === 'ended') clearTimeout(hangupTimer);
  });
  events.didReceiveFirstAudio.event(({ callId }) => later(() => out.print('audio is flowing', { type: 'call', state: 'audio', callId })));
  events.didRefuseInput.event((r) => later(() => out.print(`refused call input: ${r.message} (${r.code})`, { type: 'call-refused', code: r.code, message: r.message })));
  // Candidate types only (never addresses), and only for scripts: they prove a call stayed relay-only.
  if (out.json) {
    events.didExchangeCandidate.event((c) => later(() => out.print('', { type: 'call-candidate', direction: c.direction, candidateType: c.candidateType })));
  }
  events.didLogCall.event((e) =>
    later(() => {
      if (e.outcome === 'missed-request') out.print(`missed call request from ${e.peer}`, { type: 'call-log', ...e });
    }),
  );
  return { flush: () => chain };
}

/** The JSON record of a call's end, printed by both `call` and `listen`. */
export function callEndRecord(state: CallState): Record<string, unknown> {
  if (state.kind !== 'ended') return { type: 'call', state: state.kind };
  return { type: 'call', state: 'ended', callId: state.callId, peer: state.peer, reason: state.reason, durationMs: state.durationMs ?? null };
}

export function describeEnd(state: CallState): string {
  if (state.kind !== 'ended') return 'call not finished';
  const duration = state.durationMs === undefined ? '' : ` after ${(state.durationMs / 1000).toFixed(1)} s`;
  const why: Record<typeof state.reason, string> = {
    'hangup-local': 'you hung up',
    'hangup-remote': `${state.peer} hung up`,
    'declined-local': 'you declined',
    'declined-remote': `${state.peer} declined`,
    busy: `${state.peer} is busy`,
    timeout: 'no answer',
    failed: 'the connection failed',
    missed: 'missed',
    'missed-request': 'missed call request',
    'stale-ring': 'the ring arrived too late',
    'members-changed': 'the conversation gained or lost a member',
    'answered-elsewhere': 'answered on another device',
    'declined-elsewhere': 'declined on another device',
    'busy-elsewhere': 'busy on another device',
  };
  return `call ended: ${why[state.reason]}${duration}`;
}

/**
 * @module components/CallEndedToast
 * How a call ended, for a few seconds at the bottom of the screen ("They hung up · 2:31"), or,
 * when the member's own Accept could not go ahead, why (until they dismiss it).
 */
import { useEffect, useState } from 'react';
import type { CallState, EndReason } from '@sotto/core';
import { formatDuration } from '../app/format.js';

const END_TEXT: Record<EndReason, string> = {
  'hangup-local': 'Call ended',
  'hangup-remote': 'They hung up',
  'declined-local': 'Call declined',
  'declined-remote': 'They declined the call',
  busy: 'They are on another call',
  timeout: 'No answer',
  failed: 'The call could not connect',
  missed: 'Missed call',
  'missed-request': 'Missed call request',
  'stale-ring': 'Missed call',
  // Someone joined or left the chat during the call: a call is only ever between its two people.
  'members-changed': 'Call ended: the chat’s members changed',
  // Another of the member's own linked devices took the call, declined it, or was on a call.
  'answered-elsewhere': 'Answered on another device',
  'declined-elsewhere': 'Declined on another device',
  'busy-elsewhere': 'On a call on another device',
};

/** How long the "call ended" card stays. */
const ENDED_VISIBLE_MS = 3000;

export function CallEndedToast({ state, problem }: { state: CallState; problem: string | undefined }) {
  const [visible, setVisible] = useState(false);
  const [problemShown, setProblemShown] = useState<string | undefined>();

  useEffect(() => {
    if (state.kind !== 'ended') return;
    setVisible(true);
    const timer = setTimeout(() => setVisible(false), ENDED_VISIBLE_MS);
    return () => clearTimeout(timer);
  }, [state]);
  useEffect(() => setProblemShown(problem), [problem]);

  if (problemShown) {
    return (
      <div className="call-toast problem" role="alert">
        <p>{problemShown}</p>
        <button type="button" className="secondary" onClick={() => setProblemShown(undefined)}>Dismiss</button>
      </div>
    );
  }
  if (state.kind !== 'ended' || !visible || state.reason === 'missed-request' || state.reason === 'stale-ring') return null;
  return (
    <div className="call-toast" role="status" aria-live="polite">
      <p><strong>{state.peer}</strong> · {END_TEXT[state.reason]}{state.durationMs ? ` · ${formatDuration(state.durationMs / 1000)}` : ''}</p>
    </div>
  );
}

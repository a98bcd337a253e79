/**
 * @module screens/CallLog
 * Answered, missed and declined calls and missed call requests, newest first, each with an icon
 * for how it went and a button to call back (not for a stranger's call request: calling a
 * stranger back would be a contact request, which the Contacts screen is for).
 */
import { useState } from 'react';
import { isLive, type StoredCallLogEntry } from '@sotto/core';
import { useCallState, useEngine, useLoaded, useRevision } from '../app/hooks.js';
import { describeCall, formatTime } from '../app/format.js';
import { errorText } from '../app/error-text.js';
import type { Navigate } from '../app/view.js';
import { PaneHeader } from '../components/PaneHeader.js';
import { CallArrowIcon, PhoneIcon, PhoneMissedIcon } from '../components/icons.js';

export function CallLog({ navigate }: { navigate: Navigate }) {
  const { client } = useEngine();
  const revision = useRevision();
  const entries = useLoaded(async () => (await client.listCallLog(100)).reverse(), [revision]);
  const inCall = isLive(useCallState());
  const [error, setError] = useState<string | undefined>();

  const callBack = (peer: string) => {
    setError(undefined);
    client.calls.place(peer).catch((e: unknown) => setError(errorText(e)));
  };

  return (
    <section className="page" aria-labelledby="calls-title">
      <PaneHeader titleId="calls-title" back={{ label: 'Back to chats', onClick: () => navigate({ kind: 'chats' }) }}>Calls</PaneHeader>
      {error && (
        <div className="error dismissable" role="alert">
          <p>{error}</p>
          <button type="button" className="secondary" onClick={() => setError(undefined)}>Dismiss</button>
        </div>
      )}
      {entries?.length === 0 && <p className="muted">No calls yet. Call a contact from your chat with them.</p>}
      <ul className="plain-list" aria-label="Call log">
        {entries?.map((e) => (
          <li key={`${e.callId}:${e.direction}`} className={`contact-row call-row call-${e.outcome}`} data-outcome={e.outcome}>
            <span className={`call-icon ${outcomeTone(e)}`} aria-hidden="true">
              {outcomeTone(e) === 'bad' ? <PhoneMissedIcon /> : <CallArrowIcon direction={e.direction} />}
            </span>
            <span className="grow">
              <strong>{e.peer}</strong>
              <span className="muted block">{describeCall(e)}</span>
            </span>
            <time className="muted" dateTime={new Date(e.endedAt).toISOString()}>{formatTime(e.endedAt)}</time>
            {e.outcome !== 'missed-request' && (
              <button type="button" className="icon-button" onClick={() => callBack(e.peer)} disabled={inCall}
                aria-label={`Call ${e.peer} back`} title="Call back"><PhoneIcon /></button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Red for calls the member did not get to have (missed, declined, failed); the rest plain. */
function outcomeTone(entry: StoredCallLogEntry): 'bad' | 'ok' {
  const missedByMe = entry.direction === 'incoming' && (entry.outcome === 'missed' || entry.outcome === 'missed-request');
  return missedByMe || entry.outcome === 'declined' || entry.outcome === 'failed' || entry.outcome === 'busy' ? 'bad' : 'ok';
}

/** @module screens/CallLog: answered, missed, declined calls and missed call requests, newest first. */
import { useEngine, useLoaded, useRevision } from '../app/hooks.js';
import { describeCall, formatTime } from '../app/format.js';
import type { Navigate } from '../app/view.js';
import { PaneHeader } from '../components/PaneHeader.js';

export function CallLog({ navigate }: { navigate: Navigate }) {
  const { client } = useEngine();
  const revision = useRevision();
  const entries = useLoaded(async () => (await client.listCallLog(100)).reverse(), [revision]);

  return (
    <section className="page" aria-labelledby="calls-title">
      <PaneHeader titleId="calls-title" back={{ label: 'Back to chats', onClick: () => navigate({ kind: 'chats' }) }}>Calls</PaneHeader>
      {entries?.length === 0 && <p className="muted">No calls yet. Call a contact from your chat with them.</p>}
      <ul className="plain-list" aria-label="Call log">
        {entries?.map((e) => (
          <li key={`${e.callId}:${e.direction}`} className={`contact-row call-${e.outcome}`} data-outcome={e.outcome}>
            <span className="avatar" aria-hidden="true">{e.direction === 'incoming' ? '↙' : '↗'}</span>
            <span className="grow">
              <strong>{e.peer}</strong>
              <span className="muted block">{describeCall(e)}</span>
            </span>
            <time className="muted" dateTime={new Date(e.endedAt).toISOString()}>{formatTime(e.endedAt)}</time>
          </li>
        ))}
      </ul>
    </section>
  );
}

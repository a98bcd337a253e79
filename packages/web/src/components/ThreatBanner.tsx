/**
 * @module components/ThreatBanner
 * The server's warning that this member is being targeted: what it saw, what to do (in the app's
 * own words, not the server's), and how to reach the operator. Stays until dismissed.
 */
import { useState } from 'react';
import { THREAT_ADVICE, type ThreatNoticeRecord } from '@sotto/core';
import { useEngine, useLoaded, useRevision } from '../app/hooks.js';

export function ThreatBanner({ onOpenSettings }: { onOpenSettings: () => void }) {
  const { client } = useEngine();
  const revision = useRevision();
  const [dismissed, setDismissed] = useState(0);
  const notices = useLoaded(() => client.threats.list(), [revision, dismissed]) ?? [];
  const active = notices.filter((n) => !n.dismissed);
  if (active.length === 0) return null;
  const dismiss = (n: ThreatNoticeRecord) => void client.threats.dismiss(n.incidentId).then(() => setDismissed((d) => d + 1));
  return (
    <div className="banner threat" role="alert" aria-label="Security notice">
      {active.map((n) => (
        <div key={n.incidentId}>
          <strong>Your account appears to be targeted.</strong>{' '}
          {n.senders} account{n.senders === 1 ? '' : 's'} sent you input this device refused ({n.kinds.join(', ')}); your server has restricted {n.senders === 1 ? 'it' : 'them'} pending review.
          <ul>
            {THREAT_ADVICE.map((a) => <li key={a}>{a}</li>)}
          </ul>
          {n.operatorContact && <p>Your operator: <strong>{n.operatorContact}</strong></p>}
          <div className="row">
            <button type="button" className="primary" onClick={onOpenSettings}>Turn on lockdown mode</button>
            <button type="button" className="secondary" onClick={() => dismiss(n)} aria-label={`Dismiss security notice ${n.incidentId}`}>Dismiss</button>
          </div>
        </div>
      ))}
    </div>
  );
}

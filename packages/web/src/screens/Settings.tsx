/** @module screens/Settings: relay-only calls, this device, and the app's version. */
import { useState } from 'react';
import { SOFTWARE_VERSION } from '@sotto/protocol';
import { useAction, useEngine, useLoaded } from '../app/hooks.js';
import { PaneHeader } from '../components/PaneHeader.js';

export function Settings() {
  const { client } = useEngine();
  const settings = useLoaded(() => client.getSettings(), [client]);
  /** The switch follows a click at once; the stored value follows a moment later. */
  const [relayOnly, setRelayOnlyShown] = useState<boolean | undefined>();
  const [run, error] = useAction();
  const shown = relayOnly ?? settings?.relayOnlyCalls;

  const setRelayOnly = (relayOnlyCalls: boolean) => {
    setRelayOnlyShown(relayOnlyCalls);
    void run(() => client.updateSettings({ relayOnlyCalls })).then((ok) => {
      if (!ok) setRelayOnlyShown(!relayOnlyCalls);
    });
  };

  return (
    <section className="page" aria-labelledby="settings-title">
      <PaneHeader titleId="settings-title">Settings</PaneHeader>
      <div className="card form">
        <label className="switch">
          <input type="checkbox" role="switch" checked={shown ?? false} disabled={shown === undefined} onChange={(e) => setRelayOnly(e.target.checked)} aria-describedby="relay-help" />
          Relay-only calls
        </label>
        <p id="relay-help" className="help">
          Calls go through your server’s relay, so the people you call never learn your IP address (and so your
          location). Calls may sound slightly later.
        </p>
        {error && <p className="error" role="alert">{error}</p>}
      </div>
      <div className="card">
        <h3>This device</h3>
        <dl className="facts">
          <dt>Username</dt><dd>{client.identity.username}</dd>
          <dt>Device</dt><dd><code>{client.identity.deviceId}</code></dd>
          <dt>App version</dt><dd>{SOFTWARE_VERSION}</dd>
        </dl>
        <p className="help">Your keys live only in this browser. Clearing this site’s data deletes them, and with them this device’s access to your account.</p>
      </div>
    </section>
  );
}

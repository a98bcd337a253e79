/**
 * @module screens/Devices
 * Settings → Devices: the account's devices as its signed list names them, linking a new one
 * (a one-time code as a QR code and as text), and removing one, after a confirmation.
 */
import { useState } from 'react';
import QRCode from 'qrcode';
import { LINK_FRAGMENT, type LinkedDevice } from '@sotto/core';
import { useAction, useEngine, useLoaded, useRevision } from '../app/hooks.js';
import { linkErrorText } from '../app/error-text.js';

export function DevicesCard() {
  const { client } = useEngine();
  const revision = useRevision();
  const [changed, setChanged] = useState(0);
  const devices = useLoaded(() => client.devices.list(), [revision, changed]);
  const [confirming, setConfirming] = useState<string | undefined>();
  const [removed, setRemoved] = useState<string | undefined>();
  const [run, error, busy] = useAction();

  const remove = (deviceId: string) =>
    void run(async () => {
      const conversations = await client.devices.remove(deviceId);
      setRemoved(`Removed device ${deviceId}. It left ${conversations} conversation${conversations === 1 ? '' : 's'} and can read nothing new.`);
    }).then(() => {
      setConfirming(undefined);
      setChanged((n) => n + 1);
    });

  return (
    <section className="card" aria-labelledby="devices-title">
      <h3 id="devices-title">Devices</h3>
      <p className="help">
        The devices that can read your messages, as your account’s signed device list names them. Only your devices can
        change it: the server cannot add one.
      </p>
      {!devices && <p className="muted" role="status">Loading your devices…</p>}
      {devices && (
        <ul className="device-list" aria-label="Your devices">
          {devices.map((d) => (
            <li key={d.deviceId} className="device-row">
              <div className="grow">
                <code>{d.deviceId}</code>
                {d.thisDevice && <span className="tag">this device</span>}
              </div>
              {!d.thisDevice && confirming !== d.deviceId && (
                <button type="button" className="danger" onClick={() => { setConfirming(d.deviceId); setRemoved(undefined); }} aria-label={`Remove device ${d.deviceId}`}>
                  Remove
                </button>
              )}
              {confirming === d.deviceId && (
                <div className="confirm" role="group" aria-label={`Confirm removing device ${d.deviceId}`}>
                  <p>Remove this device? It leaves every conversation and can read nothing sent after.</p>
                  <div className="row">
                    <button type="button" className="danger" onClick={() => remove(d.deviceId)} disabled={busy} autoFocus>{busy ? 'Removing…' : 'Remove device'}</button>
                    <button type="button" className="secondary" onClick={() => setConfirming(undefined)} disabled={busy}>Cancel</button>
                  </div>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      {removed && <p className="ok" role="status">{removed}</p>}
      {error && <p className="error" role="alert">{error}</p>}
      <LinkDevice onLinked={() => setChanged((n) => n + 1)} />
    </section>
  );
}

type LinkState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'waiting'; readonly code: string; readonly address: string; readonly qr: string; readonly expiresAt: number }
  | { readonly kind: 'linked'; readonly device: LinkedDevice }
  | { readonly kind: 'failed'; readonly message: string };

/** The address the QR code holds: this app, which reads the code from the fragment (never sent to the server). */
function linkAddress(code: string): string {
  return `${location.origin}/#${LINK_FRAGMENT}${code}`;
}

function LinkDevice({ onLinked }: { onLinked: () => void }) {
  const { client } = useEngine();
  const [state, setState] = useState<LinkState>({ kind: 'idle' });
  const [copied, setCopied] = useState(false);
  const [run, error, busy] = useAction();

  const start = () =>
    void run(async () => {
      const link = await client.devices.link();
      const address = linkAddress(link.code);
      const qr = await QRCode.toDataURL(address, { errorCorrectionLevel: 'M', margin: 1, width: 240 });
      setCopied(false);
      setState({ kind: 'waiting', code: link.code, address, qr, expiresAt: link.expiresAt });
      link.linked.then(
        (device) => {
          setState({ kind: 'linked', device });
          onLinked();
        },
        (e: unknown) => setState({ kind: 'failed', message: linkErrorText(e, 'linking-device') }),
      );
    });
  const copy = (code: string) => void navigator.clipboard?.writeText(code).then(() => setCopied(true), () => undefined);

  return (
    <div className="link-device">
      {state.kind !== 'waiting' && (
        <button type="button" className="primary" onClick={start} disabled={busy}>{busy ? 'Making a code…' : 'Link a new device'}</button>
      )}
      {error && <p className="error" role="alert">{error}</p>}
      {state.kind === 'waiting' && (
        <div className="link-code-box" role="group" aria-label="Link a new device">
          <p>
            On the new device, open <strong>{location.host}</strong> and choose “Link this browser to an existing account”, then
            scan this code or type it. It works once, for {minutesLeft(state.expiresAt)} minutes.
          </p>
          <img className="qr" src={state.qr} width={240} height={240} alt="QR code of the link code" />
          <label htmlFor="device-link-code">Link code</label>
          <div className="row">
            <output id="device-link-code" className="link-code">{state.code}</output>
            <button type="button" className="secondary" onClick={() => copy(state.code)}>{copied ? 'Copied' : 'Copy'}</button>
          </div>
          <p className="help">For the command line: <code>sotto devices join {state.code} --server {location.origin}</code></p>
          <p className="muted" role="status" aria-live="polite">Waiting for the new device…</p>
        </div>
      )}
      {state.kind === 'linked' && (
        <p className="ok" role="status">
          Linked. The new device is in {state.device.conversations} conversation{state.device.conversations === 1 ? '' : 's'}.
        </p>
      )}
      {state.kind === 'failed' && <p className="error" role="alert">{state.message}</p>}
    </div>
  );
}

function minutesLeft(expiresAt: number): number {
  return Math.max(1, Math.round((expiresAt - Date.now()) / 60_000));
}

/**
 * @module screens/Verify
 * The safety number of this member and a contact: the same 60 digits on both phones when no
 * one sits in the middle. Compare the digits aloud, or scan the other phone's QR code, then mark
 * the contact verified. The number compared is kept, so when it changes later (they linked a
 * device, or a key changed) this screen warns at the top until it is compared again.
 */
import QRCode from 'qrcode';
import { useAction, useEngine, useLoaded, useRevision } from '../app/hooks.js';
import { safetyNumberBlocks } from '../app/format.js';
import type { Navigate } from '../app/view.js';
import { PaneHeader } from '../components/PaneHeader.js';
import '../components/profiles.css';

export function Verify({ peer, navigate }: { peer: string; navigate: Navigate }) {
  const { client } = useEngine();
  // A linked or removed device changes the number (didChangeDevices), a mark changes the state (didChangeSettings).
  const revision = useRevision();
  const verified = useLoaded(async () => {
    const digits = await client.safetyNumber(peer);
    const qr = await QRCode.toDataURL(`sotto-safety:${digits}`, { errorCorrectionLevel: 'M', margin: 1, width: 240 });
    return { digits, qr, state: await client.verification(peer) };
  }, [peer, revision]);
  const [run, error, busy] = useAction();
  const mark = (verify: boolean) => void run(() => client.markVerified(peer, verify));

  return (
    <section className="page" aria-labelledby="verify-title">
      <PaneHeader titleId="verify-title" back={{ label: `Back to the chat with ${peer}`, onClick: () => navigate({ kind: 'chat', chat: { kind: 'direct', peer } }) }}>Verify {peer}</PaneHeader>
      {verified?.state === 'changed' && (
        <p className="safety-warning" role="alert">
          Your safety number with {peer} changed since you verified it. Compare it again.
        </p>
      )}
      <p>
        If these 60 digits are the same on {peer}’s device, your messages and calls with {peer} reach only {peer}’s
        device. Compare them in person or on a call you trust.
      </p>
      {!verified && <p className="muted" role="status">Computing the safety number…</p>}
      {verified && (
        <>
          <div className="verify">
            <ol className="safety-number" aria-label="Safety number" data-digits={verified.digits}>
              {safetyNumberBlocks(verified.digits).map((block, i) => <li key={i}>{block}</li>)}
            </ol>
            <img className="qr" src={verified.qr} width={240} height={240} alt={`QR code of the safety number with ${peer}`} />
          </div>
          <div className="verify-status">
            {verified.state === 'verified' ? (
              <>
                <span className="verified-text" role="status">Verified ✓</span>
                <button type="button" className="secondary" disabled={busy} onClick={() => mark(false)}>Unmark</button>
              </>
            ) : (
              <>
                <button type="button" className="primary" disabled={busy} onClick={() => mark(true)}>Mark as verified</button>
                {verified.state === 'changed' && <button type="button" className="secondary" disabled={busy} onClick={() => mark(false)}>Unmark</button>}
              </>
            )}
          </div>
          <p className="help">Mark {peer} as verified only once the digits are the same on both devices.</p>
          {error && <p className="error" role="alert">{error}</p>}
        </>
      )}
    </section>
  );
}

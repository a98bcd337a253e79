/**
 * @module screens/Verify
 * The safety number of this member and a contact: the same 60 digits on both phones when no
 * one sits in the middle. Compare the digits aloud, or scan the other phone's QR code.
 */
import QRCode from 'qrcode';
import { useEngine, useLoaded } from '../app/hooks.js';
import { safetyNumberBlocks } from '../app/format.js';
import type { Navigate } from '../app/view.js';
import { PaneHeader } from '../components/PaneHeader.js';

export function Verify({ peer, navigate }: { peer: string; navigate: Navigate }) {
  const { client } = useEngine();
  const verified = useLoaded(async () => {
    const digits = await client.safetyNumber(peer);
    const qr = await QRCode.toDataURL(`sotto-safety:${digits}`, { errorCorrectionLevel: 'M', margin: 1, width: 240 });
    return { digits, qr };
  }, [peer]);

  return (
    <section className="page" aria-labelledby="verify-title">
      <PaneHeader titleId="verify-title" back={{ label: `Back to the chat with ${peer}`, onClick: () => navigate({ kind: 'chat', chat: { kind: 'direct', peer } }) }}>Verify {peer}</PaneHeader>
      <p>
        If these 60 digits are the same on {peer}’s device, your messages and calls with {peer} reach only {peer}’s
        device. Compare them in person or on a call you trust.
      </p>
      {!verified && <p className="muted" role="status">Computing the safety number…</p>}
      {verified && (
        <div className="verify">
          <ol className="safety-number" aria-label="Safety number" data-digits={verified.digits}>
            {safetyNumberBlocks(verified.digits).map((block, i) => <li key={i}>{block}</li>)}
          </ol>
          <img className="qr" src={verified.qr} width={240} height={240} alt={`QR code of the safety number with ${peer}`} />
        </div>
      )}
    </section>
  );
}

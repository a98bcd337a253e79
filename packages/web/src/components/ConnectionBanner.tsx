/** @module components/ConnectionBanner: says plainly when messages cannot go out or come in. */
import { useConnectionState } from '../app/hooks.js';

export function ConnectionBanner() {
  const state = useConnectionState();
  if (state === 'ready') return null;
  const text = state === 'reconnecting' || state === 'connecting'
    ? 'Connection lost. Reconnecting… Messages you send now go out as soon as it is back.'
    : 'Not connected to the server.';
  return <div className="banner offline" role="status" aria-live="polite">{text}</div>;
}

/**
 * @module components/DeviceNotices
 * Keeps what the engine said about this account's own devices and every refused list while the
 * app is open (they are events, not stored), and shows them as a banner that stays until
 * dismissed. A contact's linked or removed devices are not kept here: the engine writes those
 * into the contact's chat as stored notices, shown once there.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useEngine } from '../app/hooks.js';
import { noticeForWarning, noticesForChange, type DeviceNotice, type NewNotice } from '../app/device-notices.js';

/** Enough for any honest session; a flood of changes cannot grow the page without end. */
const KEPT = 50;

interface Notices {
  readonly notices: readonly DeviceNotice[];
  dismiss(id: number): void;
}

const DeviceNoticesContext = createContext<Notices>({ notices: [], dismiss: () => undefined });

export function DeviceNoticesProvider({ children }: { children: ReactNode }) {
  const { client } = useEngine();
  const [notices, setNotices] = useState<readonly DeviceNotice[]>([]);
  const nextId = useRef(1);
  /** Keys already shown (or dismissed): a change reported again is not news. */
  const seen = useRef(new Set<string>());

  useEffect(() => {
    const me = client.identity.username;
    const add = (items: readonly NewNotice[]) => {
      const fresh = items.filter((n) => !seen.current.has(n.key) && bannerWorthy(n));
      if (fresh.length === 0) return;
      fresh.forEach((n) => seen.current.add(n.key));
      const stamped = fresh.map((n) => ({ ...n, id: nextId.current++, at: Date.now() }));
      setNotices((list) => [...list, ...stamped].slice(-KEPT));
    };
    const offChange = client.events.didChangeDevices.event((change) => add(noticesForChange(change, me)));
    const offWarn = client.events.didWarnDevices.event((warning) => add([noticeForWarning(warning, me)]));
    return () => {
      offChange();
      offWarn();
    };
  }, [client]);

  const dismiss = useCallback((id: number) => setNotices((list) => list.filter((n) => n.id !== id)), []);
  const value = useMemo(() => ({ notices, dismiss }), [notices, dismiss]);
  return <DeviceNoticesContext.Provider value={value}>{children}</DeviceNoticesContext.Provider>;
}

/** The banner's notices: this account's own changes, and warnings about anyone's. */
function bannerWorthy(notice: Pick<DeviceNotice, 'about' | 'tone'>): boolean {
  return notice.about === 'own' || notice.tone === 'warning';
}

export function DeviceBanner() {
  const { notices, dismiss } = useContext(DeviceNoticesContext);
  const shown = notices.filter(bannerWorthy);
  if (shown.length === 0) return null;
  return (
    <div className="banner devices" role="region" aria-label="Device notices">
      {shown.map((n) => (
        <div key={n.id} className={`device-notice ${n.tone}`} role={n.tone === 'warning' ? 'alert' : 'status'}>
          <p>
            {n.tone === 'warning' && <strong>{n.about === 'own' ? 'Your devices: ' : `${n.username}’s devices: `}</strong>}
            {n.text}
          </p>
          <button type="button" className="secondary" onClick={() => dismiss(n.id)} aria-label={`Dismiss: ${n.text}`}>Dismiss</button>
        </div>
      ))}
    </div>
  );
}

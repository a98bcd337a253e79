/**
 * @module components/NotificationsCard
 * Settings → Notifications: one switch. The browser is asked for permission only when the member
 * turns it on (never when the app loads); then, if the server sends pushes and the browser can
 * receive them, this browser subscribes, so a closed app still learns that something waits.
 * Turning it off forgets the subscription on both sides.
 */
import { useState } from 'react';
import { useEngine } from '../app/hooks.js';
import { notificationPermission, notificationsOn, setNotificationsWanted } from '../app/notifications.js';
import { pushOutcomeText, turnPushOff, turnPushOn } from '../app/web-push.js';

type Note = { readonly text: string; readonly tone: 'status' | 'error' };

const REFUSED = 'Your browser blocked notifications for Sotto. Allow them in the browser’s site settings (the icon left of the address), then turn this on again.';
const UNSUPPORTED = 'This browser cannot show notifications.';

export function NotificationsCard() {
  const { client } = useEngine();
  const [on, setOn] = useState(notificationsOn);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<Note | undefined>(() => (notificationPermission() === 'denied' ? { text: REFUSED, tone: 'error' } : undefined));

  const turnOn = async () => {
    if (notificationPermission() === 'unsupported') return setNote({ text: UNSUPPORTED, tone: 'error' });
    const permission = await Notification.requestPermission();
    if (permission !== 'granted') return setNote({ text: REFUSED, tone: 'error' });
    setNotificationsWanted(true);
    setOn(true);
    setNote({ text: 'Setting up…', tone: 'status' });
    const outcome = await turnPushOn(client);
    setNote({ text: pushOutcomeText(outcome), tone: outcome.kind === 'on' || outcome.kind === 'server-off' ? 'status' : 'error' });
  };

  const turnOff = async () => {
    setNotificationsWanted(false);
    setOn(false);
    setNote(undefined);
    await turnPushOff(client);
  };

  const toggle = (wanted: boolean) => {
    setBusy(true);
    void (wanted ? turnOn() : turnOff()).finally(() => setBusy(false));
  };

  return (
    <div className="card form" role="group" aria-labelledby="notifications-title">
      <h3 id="notifications-title">Notifications</h3>
      <label className="switch">
        <input type="checkbox" role="switch" checked={on} disabled={busy} onChange={(e) => toggle(e.target.checked)} aria-describedby="notifications-help" />
        Notifications
      </label>
      <p id="notifications-help" className="help">
        A notification when a message or a call arrives while Sotto is in the background. It names who wrote or is
        calling, never what they wrote; while Sotto is closed it says only “New message”. The tab’s title always shows how
        many messages are unread.
      </p>
      {note && <p className={note.tone === 'error' ? 'error' : 'help'} role={note.tone === 'error' ? 'alert' : 'status'}>{note.text}</p>}
    </div>
  );
}

/** @module screens/Settings: the member's profile, lockdown mode and contact links, privacy (read receipts, relay-only calls), notifications, automatic downloads, the account's devices, this device, and the app's version. */
import { useEffect, useState } from 'react';
import type { ContactLink } from '@sotto/core';
import { SOFTWARE_VERSION } from '@sotto/protocol';
import { useAction, useEngine, useLoaded, useRevision } from '../app/hooks.js';
import { PaneHeader } from '../components/PaneHeader.js';
import { DevicesCard } from './Devices.js';
import { ProfileCard } from './ProfileCard.js';
import { NotificationsCard } from '../components/NotificationsCard.js';
import { AUTO_DOWNLOAD_CHOICES, autoDownloadLimit, setAutoDownloadLimit } from '../app/file-settings.js';

export function Settings() {
  const { client } = useEngine();
  return (
    <section className="page" aria-labelledby="settings-title">
      <PaneHeader titleId="settings-title">Settings</PaneHeader>
      <ProfileCard />
      <LockdownCard />
      <PrivacyCard />
      <NotificationsCard />
      <FilesCard />
      <DevicesCard />
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

/** Privacy: read receipts and relay-only calls. Each switch follows a click at once; the stored value follows a moment later. */
function PrivacyCard() {
  const { client } = useEngine();
  const revision = useRevision();
  const settings = useLoaded(() => client.getSettings(), [client, revision]);
  const [shown, setShown] = useState<{ relayOnlyCalls?: boolean; readReceipts?: boolean; typingIndicators?: boolean }>({});
  const [run, error] = useAction();
  // A shown value the store has caught up with is dropped: from then on the store is the truth (another device may change it too).
  useEffect(() => {
    if (!settings) return;
    setShown((s) => ({
      ...(s.relayOnlyCalls !== undefined && s.relayOnlyCalls !== settings.relayOnlyCalls ? { relayOnlyCalls: s.relayOnlyCalls } : {}),
      ...(s.readReceipts !== undefined && s.readReceipts !== (settings.readReceipts !== false) ? { readReceipts: s.readReceipts } : {}),
      ...(s.typingIndicators !== undefined && s.typingIndicators !== (settings.typingIndicators !== false) ? { typingIndicators: s.typingIndicators } : {}),
    }));
  }, [settings]);
  const relayOnly = shown.relayOnlyCalls ?? settings?.relayOnlyCalls;
  const readReceipts = shown.readReceipts ?? (settings ? settings.readReceipts !== false : undefined);
  const typingIndicators = shown.typingIndicators ?? (settings ? settings.typingIndicators !== false : undefined);

  const change = (setting: 'relayOnlyCalls' | 'readReceipts' | 'typingIndicators', value: boolean) => {
    setShown((s) => ({ ...s, [setting]: value }));
    void run(() => client.updateSettings({ [setting]: value })).then((ok) => {
      if (!ok) setShown(({ [setting]: _failed, ...rest }) => rest);
    });
  };

  return (
    <div className="card form privacy-card" role="group" aria-labelledby="privacy-title">
      <h3 id="privacy-title">Privacy</h3>
      <label className="switch">
        <input type="checkbox" role="switch" checked={readReceipts ?? false} disabled={readReceipts === undefined} onChange={(e) => change('readReceipts', e.target.checked)} aria-describedby="receipts-help" />
        Read receipts
      </label>
      <p id="receipts-help" className="help">
        When on, your contacts see when you have read their messages, and you see when they have read yours. When
        off, neither is shown. This applies on all your devices.
      </p>
      <label className="switch">
        <input type="checkbox" role="switch" checked={typingIndicators ?? false} disabled={typingIndicators === undefined} onChange={(e) => change('typingIndicators', e.target.checked)} aria-describedby="typing-help" />
        Typing indicators
      </label>
      <p id="typing-help" className="help">
        When on, the people in a chat see when you are typing, and you see when they are. When off, neither is
        shown. This applies on all your devices.
      </p>
      <label className="switch">
        <input type="checkbox" role="switch" checked={relayOnly ?? false} disabled={relayOnly === undefined} onChange={(e) => change('relayOnlyCalls', e.target.checked)} aria-describedby="relay-help" />
        Relay-only calls
      </label>
      <p id="relay-help" className="help">
        Calls go through your server’s relay, so the people you call never learn your IP address (and so your
        location). Calls may sound slightly later.
      </p>
      {relayOnly && <NoRelayWarning />}
      {error && <p className="error" role="alert">{error}</p>}
    </div>
  );
}

/**
 * Relay-only calls and lockdown mode send every call through the server's relay: on a server
 * without one, no call can connect, which the member should learn when turning them on, not
 * when a call fails.
 */
function NoRelayWarning() {
  const { client } = useEngine();
  const available = useLoaded(() => client.calls.relayAvailable().catch(() => undefined), [client]);
  if (available !== false) return null;
  return (
    <p className="warning-line" role="alert">
      Your server has no relay (TURN), so calls cannot connect while this is on. Ask the people who run your
      server to add one, or turn this off to make calls.
    </p>
  );
}

/** Lockdown mode, as Apple's: fewer ways in, for members who may be targeted. */
function LockdownCard() {
  const { client } = useEngine();
  const revision = useRevision();
  const [changed, setChanged] = useState(0);
  const state = useLoaded(() => client.lockdown.state(), [revision, changed]);
  /** The switch follows a click at once; the server's answer follows a moment later. */
  const [shown, setShown] = useState<boolean | undefined>();
  const [link, setLink] = useState<ContactLink | undefined>();
  const [copied, setCopied] = useState(false);
  const [run, error, busy] = useAction();

  const toggle = (enabled: boolean) => {
    setShown(enabled);
    void run(() => client.lockdown.set(enabled)).then((ok) => {
      if (!ok) setShown(!enabled);
      setChanged((n) => n + 1);
    });
  };
  // Once the stored state has been read again it is the truth (another device may change it too).
  useEffect(() => setShown(undefined), [state]);
  const enabled = shown ?? state?.enabled;
  const makeLink = () =>
    void run(async () => {
      setLink(await client.lockdown.createLink());
      setCopied(false);
    });
  const copy = () => void navigator.clipboard?.writeText(link?.link ?? '').then(() => setCopied(true), () => undefined);

  return (
    <div className="card form">
      <label className="switch">
        <input type="checkbox" role="switch" checked={enabled ?? false} disabled={enabled === undefined} onChange={(e) => toggle(e.target.checked)} aria-describedby="lockdown-help" />
        Lockdown mode
      </label>
      <p id="lockdown-help" className="help">
        For when you may be targeted. Only people you give a contact link can ask to contact you; every call goes
        through your server’s relay; requests from anyone else are shown only as a number.
      </p>
      {enabled && <NoRelayWarning />}
      {enabled && state?.enabled && <p className="muted" role="status">{state.refused} request{state.refused === 1 ? '' : 's'} without your link refused so far.</p>}
      <button type="button" className="secondary" onClick={makeLink} disabled={busy}>Create a contact link</button>
      {link && (
        <div className="link-box">
          <label htmlFor="contact-link">Give this link to one person; it works once, until {new Date(link.expiresAt).toLocaleDateString()}.</label>
          <div className="row">
            <input id="contact-link" readOnly value={link.link} onFocus={(e) => e.target.select()} />
            <button type="button" className="secondary" onClick={copy}>{copied ? 'Copied' : 'Copy'}</button>
          </div>
        </div>
      )}
      {error && <p className="error" role="alert">{error}</p>}
    </div>
  );
}

/** "Download files automatically": off by default; a contact's files up to the size chosen are fetched and checked, never opened. */
function FilesCard() {
  const [limit, setLimit] = useState(autoDownloadLimit);
  const choose = (bytes: number) => {
    setAutoDownloadLimit(bytes);
    setLimit(bytes);
  };
  return (
    <div className="card form">
      <label htmlFor="auto-download">Download files automatically</label>
      <select id="auto-download" value={limit} onChange={(e) => choose(Number(e.target.value))} aria-describedby="auto-download-help">
        {AUTO_DOWNLOAD_CHOICES.map((c) => <option key={c.bytes} value={c.bytes}>{c.label}</option>)}
      </select>
      <p id="auto-download-help" className="help">
        Files from your contacts, up to this size, are fetched and checked as they arrive, so they open at once. Nothing is
        opened, shown or played until you tap it, and nothing downloads from people who are not your contacts.
      </p>
    </div>
  );
}

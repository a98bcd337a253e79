/**
 * @module screens/Home
 * The messenger's frame: the navigation, the chat list and the main pane side by side on a
 * wide screen; one at a time on a phone. Calls show over everything.
 */
import { useLayoutEffect, useRef, useState } from 'react';
import { ContactState } from '@sotto/protocol';
import { useEngine, useLoaded, useRevision } from '../app/hooks.js';
import type { View } from '../app/view.js';
import { ConnectionBanner } from '../components/ConnectionBanner.js';
import { AdvisoryBanner } from '../components/AdvisoryBanner.js';
import { ThreatBanner } from '../components/ThreatBanner.js';
import { CallOverlay } from '../components/CallOverlay.js';
import { DeviceBanner, DeviceNoticesProvider } from '../components/DeviceNotices.js';
import { ChatList } from './ChatList.js';
import { ChatView } from './ChatView.js';
import { Contacts } from './Contacts.js';
import { CallLog } from './CallLog.js';
import { Settings } from './Settings.js';
import { NewGroup } from './NewGroup.js';
import { GroupInfo } from './GroupInfo.js';
import { Verify } from './Verify.js';

const TABS = [
  { kind: 'chats', label: 'Chats' },
  { kind: 'contacts', label: 'Contacts' },
  { kind: 'calls', label: 'Calls' },
  { kind: 'settings', label: 'Settings' },
] as const;

type Tab = (typeof TABS)[number]['kind'];

function tabOf(view: View): Tab {
  switch (view.kind) {
    case 'contacts': case 'calls': case 'settings': return view.kind;
    case 'verify': return 'contacts';
    default: return 'chats';
  }
}

export function Home() {
  const { client } = useEngine();
  const revision = useRevision();
  // A contact link opened in the browser lands on Contacts, its form filled in.
  const [view, setView] = useState<View>(() => (location.hash.startsWith('#add=') ? { kind: 'contacts' } : { kind: 'chats' }));
  const pendingRequests = useLoaded(async () => (await client.listContacts()).filter((c) => c.state === ContactState.PENDING).length, [revision]) ?? 0;
  const tab = tabOf(view);
  // One pane shows every screen in turn, so it would keep the last screen's scroll position:
  // each screen starts at its top instead (before it is painted, so it never flashes mid-page).
  const mainPane = useRef<HTMLElement>(null);
  useLayoutEffect(() => {
    if (mainPane.current) mainPane.current.scrollTop = 0;
  }, [view]);

  return (
    <DeviceNoticesProvider>
      <div className={`home ${view.kind === 'chats' ? 'show-list' : 'show-main'}`}>
        <div className="banners">
          <ConnectionBanner />
          <AdvisoryBanner />
          <ThreatBanner onOpenSettings={() => setView({ kind: 'settings' })} />
          <DeviceBanner />
        </div>
        <header className="topbar">
          <span className="brand"><span className="logo small" aria-hidden="true">S</span> Sotto</span>
          <span className="me" aria-label={`Signed in as ${client.identity.username}`}>{client.identity.username}</span>
        </header>
        <nav className="tabs" aria-label="Sections">
          {TABS.map((t) => (
            <button
              key={t.kind} type="button" className={tab === t.kind ? 'tab active' : 'tab'} aria-current={tab === t.kind ? 'page' : undefined}
              onClick={() => setView({ kind: t.kind })}
            >
              {t.label}
              {t.kind === 'contacts' && pendingRequests > 0 && <span className="badge" aria-label={`${pendingRequests} contact requests`}>{pendingRequests}</span>}
            </button>
          ))}
        </nav>
        <aside className="list-pane" aria-label="Chats">
          <ChatList selected={view.kind === 'chat' ? view.chat : undefined} navigate={setView} />
        </aside>
        <main className="main-pane" ref={mainPane}>
          <MainPane view={view} navigate={setView} />
        </main>
        <CallOverlay />
      </div>
    </DeviceNoticesProvider>
  );
}

function MainPane({ view, navigate }: { view: View; navigate: (view: View) => void }) {
  switch (view.kind) {
    case 'chats':
      return (
        <div className="empty-pane">
          <p>Choose a chat, or add a contact to start one.</p>
        </div>
      );
    case 'chat': return <ChatView key={view.chat.kind === 'direct' ? view.chat.peer : view.chat.groupId} chat={view.chat} navigate={navigate} />;
    case 'group-info': return <GroupInfo groupId={view.groupId} name={view.name} navigate={navigate} />;
    case 'verify': return <Verify peer={view.peer} navigate={navigate} />;
    case 'new-group': return <NewGroup navigate={navigate} />;
    case 'contacts': return <Contacts navigate={navigate} />;
    case 'calls': return <CallLog navigate={navigate} />;
    case 'settings': return <Settings />;
  }
}

/**
 * @module screens/Home
 * The messenger's frame: the navigation, the chat list and the main pane side by side on a
 * wide screen; one at a time on a phone. Calls show over everything. The open screen lives in
 * the browser's history (app/navigation), so Back, Forward and a reload keep their place.
 */
import { useLayoutEffect, useRef } from 'react';
import { ContactState } from '@sotto/protocol';
import { useEngine, useLoaded, useRevision } from '../app/hooks.js';
import type { ChatRef, Navigate, View } from '../app/view.js';
import { useNavigation } from '../app/navigation.js';
import { useWideLayout } from '../app/wide-layout.js';
import '../app/wide-layout.css';
import { ConnectionBanner } from '../components/ConnectionBanner.js';
import { AdvisoryBanner } from '../components/AdvisoryBanner.js';
import { ThreatBanner } from '../components/ThreatBanner.js';
import { CallBar } from '../components/CallBar.js';
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
  const { view, navigate, notice, linkArrival } = useNavigation(client);
  const wide = useWideLayout();
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
          <CallBar onOpenChat={(peer) => navigate({ kind: 'chat', chat: { kind: 'direct', peer } })} />
          <ConnectionBanner />
          <AdvisoryBanner />
          <ThreatBanner onOpenSettings={() => navigate({ kind: 'settings' })} />
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
              onClick={() => navigate({ kind: t.kind })}
            >
              {t.label}
              {t.kind === 'contacts' && pendingRequests > 0 && <span className="badge" aria-label={`${pendingRequests} contact requests`}>{pendingRequests}</span>}
            </button>
          ))}
        </nav>
        <aside className="list-pane" aria-label="Chats">
          {notice && <p className="route-notice" role="status">{notice}</p>}
          <ChatList selected={selectedChat(view)} navigate={navigate} />
        </aside>
        <main className="main-pane" ref={mainPane}>
          <MainPane key={linkArrival} view={view} navigate={navigate} wide={wide} />
        </main>
      </div>
    </DeviceNoticesProvider>
  );
}

/** The chat the list highlights: the open one, or the group whose info is open. */
function selectedChat(view: View) {
  if (view.kind === 'chat') return view.chat;
  if (view.kind === 'group-info') return { kind: 'group' as const, groupId: view.groupId, name: view.name };
  return undefined;
}

/** A chat, with its group's info beside it when asked; the same tree either way, so opening the info keeps the chat as it was. */
function ChatFrame({ chat, navigate, info = false }: { chat: ChatRef; navigate: Navigate; info?: boolean }) {
  return (
    <div className={info ? 'chat-frame with-info' : 'chat-frame'}>
      <ChatView key={chat.kind === 'direct' ? `d:${chat.peer}` : `g:${chat.groupId}`} chat={chat} navigate={navigate} />
      {info && chat.kind === 'group' && (
        <aside className="info-pane" aria-label="Group info">
          <button type="button" className="secondary close-info" onClick={() => navigate({ kind: 'chat', chat })}>Close group info</button>
          <GroupInfo groupId={chat.groupId} name={chat.name} navigate={navigate} />
        </aside>
      )}
    </div>
  );
}

function MainPane({ view, navigate, wide }: { view: View; navigate: Navigate; wide: boolean }) {
  switch (view.kind) {
    case 'chats':
      return (
        <div className="empty-pane">
          <p>Choose a chat, or add a contact to start one.</p>
        </div>
      );
    case 'chat': return <ChatFrame chat={view.chat} navigate={navigate} />;
    case 'group-info':
      // From 1,400 px the group's chat stays open beside its info (a third pane) instead of being replaced.
      if (wide) return <ChatFrame chat={{ kind: 'group', groupId: view.groupId, name: view.name }} navigate={navigate} info />;
      return <GroupInfo groupId={view.groupId} name={view.name} navigate={navigate} />;
    case 'verify': return <Verify peer={view.peer} navigate={navigate} />;
    case 'new-group': return <NewGroup navigate={navigate} />;
    case 'contacts': return <Contacts navigate={navigate} />;
    case 'calls': return <CallLog navigate={navigate} />;
    case 'settings': return <Settings />;
  }
}

/**
 * @module app/navigation
 * The open screen, kept in the browser's history: `navigate` adds an entry with the screen's
 * address, so Back and Forward (and a phone's Back gesture) move between screens, and a reload
 * shows the same screen. A chat opened straight from its address gets the chat list put under
 * it, so Back from it goes to the list rather than out of the app. The contact-link entry point
 * (`#add=`) still opens Contacts, whose form takes the link from the address itself.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { ContactState } from '@sotto/protocol';
import type { SottoClient } from '@sotto/core';
import type { Navigate, View } from './view.js';
import { hashToView, needsLookup, resolveRoute, viewToHash, type Known, type Route } from './routes.js';

/** Ours in `history.state`: the address of the entry just before this one, when we added it. */
interface EntryState {
  readonly sotto: { readonly previous?: string };
}

const CONTACT_LINK = '#add=';
const LIST_HASH = viewToHash({ kind: 'chats' });
const MISSING = 'That chat is no longer here.';

function entryState(): EntryState['sotto'] | undefined {
  const state: unknown = history.state;
  if (typeof state !== 'object' || state === null || !('sotto' in state)) return undefined;
  const sotto = (state as { sotto: unknown }).sotto;
  return typeof sotto === 'object' && sotto !== null ? (sotto as EntryState['sotto']) : undefined;
}

/** The hash of the current address; no hash is the chat list. */
function currentHash(): string {
  return location.hash === '' || location.hash === '#' ? LIST_HASH : location.hash;
}

/** What the engine knows of chats and peers, for `resolveRoute`. */
export async function knownChats(client: SottoClient): Promise<Known> {
  const conversations = await client.listConversations();
  const contacts = await client.listContacts();
  const groups = new Map(conversations.filter((c) => c.kind === 'group').map((c) => [c.groupId, c.name] as const));
  const peers = new Set([
    ...conversations.filter((c) => c.kind === 'direct').map((c) => c.name),
    ...contacts.filter((c) => c.state === ContactState.ACCEPTED).map((c) => c.username),
  ]);
  return { groups, peers };
}

export interface Navigation {
  readonly view: View;
  readonly navigate: Navigate;
  /** A short sentence for the chat list (an address whose chat is gone), until the next screen. */
  readonly notice: string | undefined;
  /** Changes when a new contact link arrives in the address, so Contacts reads it again. */
  readonly linkArrival: number;
}

export function useNavigation(client: SottoClient): Navigation {
  const [view, setView] = useState<View>(() => (location.hash.startsWith(CONTACT_LINK) ? { kind: 'contacts' } : initialView(hashToView(location.hash))));
  const [notice, setNotice] = useState<string | undefined>();
  const [linkArrival, setLinkArrival] = useState(0);
  const shown = useRef(viewToHash(view));
  /** The address as the page opened, before any screen (Contacts, with a contact link) changed it. */
  const opened = useRef(location.hash);
  /** Counts address changes, so a slow lookup for an older one does not win. */
  const sequence = useRef(0);

  const show = useCallback((next: View, message?: string) => {
    shown.current = viewToHash(next);
    setView(next);
    setNotice(message);
  }, []);

  /** Shows what the current address names, looking a chat up first; a gone chat is the list, said so. */
  const follow = useCallback(async (route: Route) => {
    const mine = ++sequence.current;
    if (!needsLookup(route)) return show(route as View);
    let resolved: ReturnType<typeof resolveRoute>;
    try {
      resolved = resolveRoute(route, await knownChats(client));
    } catch {
      resolved = { view: { kind: 'chats' }, missing: true };
    }
    if (mine !== sequence.current) return;
    if (resolved.missing) history.replaceState({ sotto: entryState() ?? {} }, '', LIST_HASH);
    show(resolved.view, resolved.missing ? MISSING : undefined);
  }, [client, show]);

  // The address this page was opened (or reloaded) at.
  useEffect(() => {
    const hash = opened.current;
    // Contacts took the contact link from the address as it rendered (and removed it); the form keeps it.
    if (hash.startsWith(CONTACT_LINK)) return history.replaceState({ sotto: {} }, '', viewToHash({ kind: 'contacts' }));
    if (hash === '' || hash === '#') return;
    const route = hashToView(hash);
    const canonical = viewToHash(route);
    if (canonical !== hash) {
      // Unknown, malformed or hostile: the chat list, at its own address.
      history.replaceState({ sotto: {} }, '', LIST_HASH);
      return;
    }
    if (route.kind !== 'chats' && !entryState()) {
      // Opened straight at a screen: the list goes under it, so Back stays in the app.
      history.replaceState({ sotto: {} }, '', LIST_HASH);
      history.pushState({ sotto: { previous: LIST_HASH } } satisfies EntryState, '', canonical);
    }
    void follow(route);
  }, []);

  // A contact link pasted into the address bar of the open app: Contacts (mounted afresh) took it; Contacts' address replaces it.
  useEffect(() => {
    if (linkArrival > 0) history.replaceState({ sotto: entryState() ?? {} }, '', viewToHash({ kind: 'contacts' }));
  }, [linkArrival]);

  // Back, Forward, and an address typed or pasted into the address bar.
  useEffect(() => {
    const onChange = () => {
      const hash = location.hash;
      if (hash.startsWith(CONTACT_LINK)) {
        sequence.current += 1;
        setLinkArrival((n) => n + 1);
        show({ kind: 'contacts' });
        return;
      }
      const route = hashToView(hash);
      const canonical = viewToHash(route);
      if (canonical !== currentHash()) history.replaceState({ sotto: entryState() ?? {} }, '', LIST_HASH);
      if (canonical === shown.current) return;
      void follow(route);
    };
    // popstate covers Back and Forward; hashchange also covers an address typed in (both may fire).
    window.addEventListener('popstate', onChange);
    window.addEventListener('hashchange', onChange);
    return () => {
      window.removeEventListener('popstate', onChange);
      window.removeEventListener('hashchange', onChange);
    };
  }, [follow, show]);

  const navigate = useCallback<Navigate>((next) => {
    sequence.current += 1;
    const hash = viewToHash(next);
    const here = currentHash();
    if (hash !== here) {
      // Going back to the screen just before (a chat's back arrow): the browser's Back, so the
      // history does not grow a loop and the phone's Back then leaves nothing behind.
      if (entryState()?.previous === hash) history.back();
      // A group just made replaces its form: Back from the new chat does not reopen an empty form.
      else if (shown.current === viewToHash({ kind: 'new-group' }) && next.kind === 'chat') history.replaceState({ sotto: entryState() ?? {} }, '', hash);
      else history.pushState({ sotto: { previous: here } } satisfies EntryState, '', hash);
    }
    show(next);
  }, [show]);

  return { view, navigate, notice, linkArrival };
}

/** Before a chat is looked up, the list shows (a reload of a chat swaps to it at once after the local lookup). */
function initialView(route: Route): View {
  return needsLookup(route) ? { kind: 'chats' } : (route as View);
}

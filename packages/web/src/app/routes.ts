/**
 * @module app/routes
 * Each screen's address, kept in the URL's hash (`#/chat/d/bob`) so Back, Forward and a reload
 * work and the server's static file serving needs nothing new. Parsing is strict: the hash is
 * whatever someone put in a link, so anything that is not exactly one of these addresses, with a
 * valid username or a 64-hex-digit group id, is the chat list. A group's name is never taken
 * from the address (it is not in it): the screen looks it up among the engine's conversations.
 */
import { isValidUsername, LIMITS } from '@sotto/protocol';
import type { View } from './view.js';

/** A view as its address holds it: a group is named by its id alone. */
export type Route =
  | { readonly kind: 'chats' }
  | { readonly kind: 'chat'; readonly chat: { readonly kind: 'direct'; readonly peer: string } | { readonly kind: 'group'; readonly groupId: string } }
  | { readonly kind: 'group-info'; readonly groupId: string }
  | { readonly kind: 'verify'; readonly peer: string }
  | { readonly kind: 'new-group' }
  | { readonly kind: 'contacts' }
  | { readonly kind: 'calls' }
  | { readonly kind: 'settings' };

/** The longest address there is (a group's info), with room to spare: anything longer is not parsed at all. */
const MAX_HASH_CHARS = 128;
const GROUP_ID = new RegExp(`^[0-9a-f]{${LIMITS.groupIdBytes * 2}}$`);

export function isGroupId(value: string): boolean {
  return GROUP_ID.test(value);
}

/** `#/...` for a view. The chat list is `#/chats`; an empty hash is the chat list too. */
export function viewToHash(view: View | Route): string {
  switch (view.kind) {
    case 'chat': return view.chat.kind === 'direct' ? `#/chat/d/${view.chat.peer}` : `#/chat/g/${view.chat.groupId}`;
    case 'group-info': return `#/group/${view.groupId}/info`;
    case 'verify': return `#/verify/${view.peer}`;
    case 'chats': case 'new-group': case 'contacts': case 'calls': case 'settings': return `#/${view.kind}`;
  }
}

const CHATS: Route = { kind: 'chats' };

/** The route a hash names, or the chat list for anything else (unknown, malformed, too long, percent-encoded). */
export function hashToView(hash: string): Route {
  if (hash.length > MAX_HASH_CHARS || !hash.startsWith('#/')) return CHATS;
  // Usernames and group ids have no characters that need encoding: an encoded or empty part is not an address.
  const parts = hash.slice(2).split('/');
  const peer = (name: string | undefined) => (name !== undefined && isValidUsername(name) ? name : undefined);
  const group = (id: string | undefined) => (id !== undefined && isGroupId(id) ? id : undefined);
  const [first, second, third, ...rest] = parts;
  if (rest.length > 0) return CHATS;
  if (second === undefined) {
    switch (first) {
      case 'chats': case 'new-group': case 'contacts': case 'calls': case 'settings': return { kind: first };
      default: return CHATS;
    }
  }
  if (first === 'chat' && second === 'd' && peer(third)) return { kind: 'chat', chat: { kind: 'direct', peer: third! } };
  if (first === 'chat' && second === 'g' && group(third)) return { kind: 'chat', chat: { kind: 'group', groupId: third! } };
  if (first === 'group' && group(second) && third === 'info') return { kind: 'group-info', groupId: second };
  if (first === 'verify' && peer(second) && third === undefined) return { kind: 'verify', peer: second };
  return CHATS;
}

/** What the engine knows that decides whether an address's chat still exists. */
export interface Known {
  /** Group conversations, by id, with their stored names. */
  readonly groups: ReadonlyMap<string, string>;
  /** Peers with a direct conversation or a contact entry. */
  readonly peers: ReadonlySet<string>;
}

export type Resolved = { readonly view: View; readonly missing: boolean };

/** The view for a route, with a group's stored name; a chat or group that is not (or no longer) here is the chat list, marked missing. */
export function resolveRoute(route: Route, known: Known): Resolved {
  const gone: Resolved = { view: { kind: 'chats' }, missing: true };
  switch (route.kind) {
    case 'chat': {
      const chat = route.chat;
      if (chat.kind === 'direct') return known.peers.has(chat.peer) ? { view: { kind: 'chat', chat }, missing: false } : gone;
      const name = known.groups.get(chat.groupId);
      return name === undefined ? gone : { view: { kind: 'chat', chat: { kind: 'group', groupId: chat.groupId, name } }, missing: false };
    }
    case 'group-info': {
      const name = known.groups.get(route.groupId);
      return name === undefined ? gone : { view: { kind: 'group-info', groupId: route.groupId, name }, missing: false };
    }
    case 'verify': return known.peers.has(route.peer) ? { view: route, missing: false } : gone;
    default: return { view: route, missing: false };
  }
}

/** Whether a route names a chat, group or peer that must be looked up before it can be shown. */
export function needsLookup(route: Route): boolean {
  return route.kind === 'chat' || route.kind === 'group-info' || route.kind === 'verify';
}

/**
 * @module app/typing
 * Typing indicators as the chat screen uses them: the composer tells the engine on each
 * keystroke (the engine paces what goes out, and sends nothing when the member turned them off),
 * and the header reads who is typing in any of the chat's groups (a direct chat may have more
 * than one while the two sides' first groups converge).
 */
import { useEffect, useRef, useState } from 'react';
import { groupIdsOf } from './chat-summaries.js';
import { useEngine, useLoaded, useRevision } from './hooks.js';
import type { ChatRef } from './view.js';

/** Without a keystroke for this long, the member has stopped typing. */
const IDLE_MS = 5_000;

/** Returns what the composer calls with its text after each change. */
export function useTypingSender(chat: ChatRef, canWrite: boolean): (draft: string) => void {
  const { client } = useEngine();
  /** The chat's group, once there is one: a direct chat is not started just to say someone types in it. */
  const groupId = useRef<string | undefined>(undefined);
  const idle = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const typing = useRef(false);

  const groupOf = async (): Promise<string | undefined> =>
    (groupId.current ??= chat.kind === 'group' ? chat.groupId : await client.findDirect(chat.peer).catch(() => undefined));
  const stop = () => {
    clearTimeout(idle.current);
    if (!typing.current) return;
    typing.current = false;
    void groupOf().then((g) => (g ? client.typing.set(g, false) : undefined)).catch(() => undefined);
  };
  // Leaving the chat (or the page) ends the member's typing there.
  useEffect(() => {
    groupId.current = undefined;
    return stop;
  }, [client, chat]);

  return (draft: string) => {
    if (!canWrite || draft.trim() === '') return stop();
    typing.current = true;
    void groupOf().then((g) => (g ? client.typing.set(g, true) : undefined)).catch(() => undefined);
    clearTimeout(idle.current);
    idle.current = setTimeout(stop, IDLE_MS);
  };
}

/** Who is typing in the chat now (other accounts), in the order they started. */
export function useTypingIn(chat: ChatRef): readonly string[] {
  const { client } = useEngine();
  // The chat's groups, read again as the engine reports changes (a direct chat's first group may
  // be made or joined after the chat opened); a typing indicator itself never reads the store.
  const revision = useRevision();
  const groups = useLoaded(() => groupIdsOf(client, chat), [client, chat, revision]);
  const [typing, setTyping] = useState<readonly string[]>([]);
  useEffect(() => {
    const ids = groups ?? (chat.kind === 'group' ? [chat.groupId] : []);
    const read = () => setTyping([...new Set(ids.flatMap((g) => client.typing.in(g)))]);
    read();
    return client.events.didChangeTyping.event(({ groupId }) => {
      if (ids.includes(groupId)) read();
    });
  }, [client, chat, groups]);
  return typing;
}

/** "typing…" in a direct chat; who, in a group. */
export function typingLabel(usernames: readonly string[], group: boolean): string | undefined {
  if (usernames.length === 0) return undefined;
  if (!group) return 'typing…';
  if (usernames.length === 1) return `${usernames[0]} is typing…`;
  if (usernames.length === 2) return `${usernames[0]} and ${usernames[1]} are typing…`;
  return `${usernames.length} people are typing…`;
}

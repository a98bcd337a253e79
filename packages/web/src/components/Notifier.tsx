/**
 * @module components/Notifier
 * Draws nothing; while the app is open it tells the member what arrived: the unread count in the
 * tab title (always), a system notification for a message or a ringing call while the page is
 * hidden (when the member turned notifications on), and the ringtone while a call rings.
 * Notifications name the contact and nothing of what they wrote.
 */
import { useEffect, useRef } from 'react';
import type { SottoClient } from '@sotto/core';
import { useEngine, useRevision } from '../app/hooks.js';
import { mutedGroupIds } from '../app/chat-summaries.js';
import { callNotificationTitle, messageNotificationTitle, nameToShow, notificationsOn, tabTitle } from '../app/notifications.js';
import { Ringtone } from '../app/ringtone.js';

async function unreadTotal(client: SottoClient): Promise<number> {
  let total = 0;
  const muted = await mutedGroupIds(client);
  for (const conversation of await client.listConversations()) {
    if (muted.has(conversation.groupId)) continue;
    total += await client.unreadCount(conversation.groupId);
  }
  return total;
}

async function displayName(client: SottoClient, username: string): Promise<string> {
  const profile = await client.profile.of(username).catch(() => undefined);
  return nameToShow(username, profile?.displayName);
}

/** A system notification, only while the page is hidden; clicking it brings the page back. */
function notifyWhileHidden(title: string, tag: string): void {
  if (document.visibilityState !== 'hidden' || !notificationsOn()) return;
  try {
    const notification = new Notification(title, { tag, icon: '/icon-192.png' });
    notification.onclick = () => {
      window.focus();
      notification.close();
    };
  } catch {
    // Some browsers (Android Chrome) allow notifications only from the service worker; the tab title still counts.
  }
}

export function Notifier() {
  const { client } = useEngine();
  const revision = useRevision();

  useEffect(() => {
    let live = true;
    unreadTotal(client).then((count) => { if (live) document.title = tabTitle(count); }, () => undefined);
    return () => { live = false; };
  }, [client, revision]);

  useEffect(() => client.events.didReceiveMessage.event((message) => {
    if (message.outgoing || message.notice !== undefined || document.visibilityState !== 'hidden') return;
    void (async () => {
      if ((await mutedGroupIds(client)).has(message.groupId)) return;
      notifyWhileHidden(messageNotificationTitle(await displayName(client, message.sender)), `sotto-message-${message.sender}`);
    })().catch(() => undefined);
  }), [client]);

  useEffect(() => client.calls.events.didRing.event(({ peer }) => {
    void displayName(client, peer).then((name) => notifyWhileHidden(callNotificationTitle(name), 'sotto-call'));
  }), [client]);

  const ringtone = useRef<Ringtone | null>(null);
  useEffect(() => {
    const tone = (ringtone.current ??= new Ringtone());
    const follow = (kind: string) => (kind === 'incoming-ringing' ? tone.start() : tone.stop());
    follow(client.calls.current.kind);
    const off = client.calls.events.didChangeCall.event((state) => follow(state.kind));
    return () => {
      off();
      tone.stop();
    };
  }, [client]);

  return null;
}

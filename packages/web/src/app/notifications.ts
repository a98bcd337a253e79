/**
 * @module app/notifications
 * What notifications say and whether they may be shown: the member's "Notifications" switch
 * (kept in this browser only, like the permission it goes with), the words of each notification
 * and of the tab title. No notification ever carries what a message says: a locked phone screen
 * or a shared desktop shows notifications to whoever looks.
 */

const SWITCH_KEY = 'sotto.notifications';

/** The member turned notifications on here, and the browser still allows them. */
export function notificationsOn(): boolean {
  return notificationsWanted() && notificationPermission() === 'granted';
}

/** The member's switch, whatever the browser allows now. */
export function notificationsWanted(): boolean {
  return globalThis.localStorage?.getItem(SWITCH_KEY) === 'on';
}

export function setNotificationsWanted(on: boolean): void {
  if (on) localStorage.setItem(SWITCH_KEY, 'on');
  else localStorage.removeItem(SWITCH_KEY);
}

/** The browser's answer so far; 'unsupported' where there are no notifications at all. */
export function notificationPermission(): NotificationPermission | 'unsupported' {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

/** "Bob" for a contact with a display name, else their username. */
export function nameToShow(username: string, displayName: string | undefined): string {
  const name = displayName?.trim();
  return name ? name : username;
}

export function messageNotificationTitle(name: string): string {
  return `New message from ${name}`;
}

export function callNotificationTitle(name: string): string {
  return `${name} is calling`;
}

/** "(3) Sotto": the unread count in the tab title, whatever the page's visibility. */
export function tabTitle(unread: number): string {
  return unread > 0 ? `(${unread > 999 ? '999+' : unread}) Sotto` : 'Sotto';
}

/** A chat muted until a later time, or for ever (-1), notifies nothing. */
export function isMuted(mutedUntil: number | undefined, now: number): boolean {
  return mutedUntil === -1 || (mutedUntil !== undefined && mutedUntil > now);
}

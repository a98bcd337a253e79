/**
 * @module app/device-notices
 * What a member is told when an account's signed device list changes or is refused: a contact
 * linked or removed a device (said in that contact's chat, since the safety number changes with
 * it), this account gained or lost a device (a banner: a device the member did not add is the
 * one thing they must not miss), or a list was refused (a warning banner).
 */
import type { DeviceListChange, DeviceListWarning } from '@sotto/core';

export interface DeviceNotice {
  readonly id: number;
  /** The same change can be reported twice (this device's own publish, then the server's copy of it): shown once. */
  readonly key: string;
  /** The account whose devices changed. */
  readonly username: string;
  readonly text: string;
  readonly tone: 'info' | 'warning';
  /** Whose devices: a contact's (shown in the chat) or this member's own account (a banner). */
  readonly about: 'contact' | 'own';
  readonly at: number;
}

export type NewNotice = Omit<DeviceNotice, 'id' | 'at'>;

function count(n: number, one: string, many: string): string {
  return n === 1 ? one : `${n} ${many}`;
}

/** The sentences for a change of `change.username`'s list, seen by `me`; none for a first sight (nothing changed). */
export function noticesForChange(change: DeviceListChange, me: string): NewNotice[] {
  if (change.firstSight) return [];
  const own = change.username === me;
  const who = own ? 'Your account' : change.username;
  const notices: NewNotice[] = [];
  if (change.added.length > 0) {
    const what = count(change.added.length, 'a new device', 'new devices');
    notices.push({
      key: `${change.username}:${change.version}:added`,
      username: change.username,
      about: own ? 'own' : 'contact',
      tone: 'info',
      text: own ? `${who} has ${what}: ${change.added.join(', ')}. If it was not you who linked it, remove it in Settings → Devices.` : `${who} linked ${what}`,
    });
  }
  if (change.removed.length > 0) {
    const what = count(change.removed.length, 'a device', 'devices');
    notices.push({
      key: `${change.username}:${change.version}:removed`,
      username: change.username,
      about: own ? 'own' : 'contact',
      tone: 'info',
      text: own ? `${who} no longer has ${what}: ${change.removed.join(', ')}.` : `${who} removed ${what}`,
    });
  }
  return notices;
}

export function noticeForWarning(warning: DeviceListWarning, me: string): NewNotice {
  return { key: `${warning.username}:warning:${warning.reason}`, username: warning.username, about: warning.username === me ? 'own' : 'contact', tone: 'warning', text: warning.reason };
}

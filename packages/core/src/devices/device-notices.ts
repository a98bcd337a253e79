/**
 * @module devices/device-notices
 * What a member is told, in their chat with a contact, when that contact's signed device list
 * changes: "bob linked a new device", "bob removed a device". Written into the chat as stored
 * notices (not messages: never unread, never answered), so they are still there after a restart.
 * One id per chat and list version, so a version seen twice gives one notice.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../bytes.js';
import type { StoredConversation, StoredMessage } from '../ports.js';
import type { DeviceListChange } from './device-lists.js';

const utf8 = new TextEncoder();

export function deviceNoticeText(change: Pick<DeviceListChange, 'username' | 'added' | 'removed'>): string {
  const { username, added, removed } = change;
  const linked = added.length === 1 ? 'linked a new device' : added.length > 1 ? `linked ${added.length} new devices` : '';
  const gone = removed.length === 1 ? 'removed a device' : removed.length > 1 ? `removed ${removed.length} devices` : '';
  return `${username} ${[linked, gone].filter(Boolean).join(' and ')}`;
}

/**
 * The notices for `change` in each active 1:1 chat with its account (none at first sight). For a
 * contact the member verified, the notice says the safety number changed and asks to compare again.
 */
export function deviceNotices(change: DeviceListChange, conversations: readonly StoredConversation[], now: number, verified = false): StoredMessage[] {
  if (change.firstSight || (change.added.length === 0 && change.removed.length === 0)) return [];
  return conversations
    .filter((c) => c.active && c.kind === 'direct' && c.name === change.username)
    .map((c) => ({
      messageId: toHex(sha256(utf8.encode(`sotto device notice\0${c.groupId}\0${change.username}\0${change.version}`)).subarray(0, 16)),
      groupId: c.groupId,
      sender: change.username,
      senderDevice: '',
      body: verified ? `${deviceNoticeText(change)}. Your safety number with them changed: compare it again.` : deviceNoticeText(change),
      sentAt: now,
      receivedAt: now,
      outgoing: false,
      status: 'read',
      notice: 'devices',
    }));
}

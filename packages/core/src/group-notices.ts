/**
 * @module group-notices
 * The notices a group chat keeps about itself: who was added, who is no longer in it, and a new
 * name. Accounts, not devices: a member linking a laptop changes no one's membership. Each notice
 * has an id made from what it reports, so the same change seen twice gives one notice.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from './bytes.js';
import type { StoredMessage } from './ports.js';

const utf8 = new TextEncoder();

function noticeId(...parts: (string | number | bigint)[]): string {
  return toHex(sha256(utf8.encode(['sotto group notice', ...parts.map(String)].join('\0'))).subarray(0, 16));
}

function notice(groupId: string, id: string, by: string, body: string, now: number, outgoing: boolean): StoredMessage {
  return { messageId: id, groupId, sender: by, senderDevice: '', body, sentAt: now, receivedAt: now, outgoing, status: 'read', notice: 'group' };
}

/**
 * "carol was added", "dan is no longer in the group": the accounts that joined or left between
 * two memberships (usernames, one per device) at `epoch`. `me` reads "You were added" for itself.
 */
export function membershipNotices(groupId: string, before: readonly string[], after: readonly string[], epoch: bigint, me: string, now: number): StoredMessage[] {
  const had = new Set(before);
  const has = new Set(after);
  const name = (user: string) => (user === me ? 'You' : user);
  const added = [...has].filter((u) => !had.has(u)).sort();
  const gone = [...had].filter((u) => !has.has(u)).sort();
  return [
    ...added.map((u) => notice(groupId, noticeId(groupId, epoch, 'added', u), u, `${name(u)} ${u === me ? 'were' : 'was'} added`, now, false)),
    ...gone.map((u) => notice(groupId, noticeId(groupId, epoch, 'gone', u), u, `${name(u)} ${u === me ? 'are' : 'is'} no longer in the group`, now, false)),
  ];
}

/** "bob renamed the group to “walks”" (or "You renamed…"). */
export function renameNotice(groupId: string, messageId: string, by: string, me: string, name: string, now: number): StoredMessage {
  return notice(groupId, messageId, by, `${by === me ? 'You' : by} renamed the group to “${name}”`, now, by === me);
}

/**
 * "alice made bob an admin" (or "You made…", "…made you an admin"), one per account that became
 * an admin between two lists at `epoch`; "bob is now an admin" when the last admin left and the
 * member who committed it took over.
 */
export function adminNotices(groupId: string, before: readonly string[] | undefined, after: readonly string[] | undefined, by: string, epoch: bigint, me: string, now: number): StoredMessage[] {
  const had = new Set(before ?? []);
  const made = (after ?? []).filter((a) => !had.has(a)).sort();
  const name = (user: string) => (user === me ? 'You' : user);
  return made.map((u) => {
    const body = u === by ? `${name(u)} ${u === me ? 'are' : 'is'} now an admin` : `${name(by)} made ${u === me ? 'you' : u} an admin`;
    return notice(groupId, noticeId(groupId, epoch, 'admin', u), by, body, now, by === me);
  });
}

/**
 * @module group-admins
 * The admin rule of named groups, judged alike by every member for every commit it receives
 * (and by the committer before it sends one). Pure: it sees the group as it was before the
 * commit and what the commit does, and says accept or reject. The server enforces the same
 * rule on what a Commit frame declares (`server/src/storage/group-rules.ts`), so a commit the
 * members would refuse never wins an epoch there.
 *
 * A commit that changes the admins changes nothing else: ts-mls 1.6.4 encrypts a commit's update
 * path under the group context before its extensions change while receivers decrypt it under the
 * new one, so a removal and a new list in one commit cannot be read. A member leaving is therefore
 * committed first, and the list settled by a second commit (`adminsToSettle`).
 *
 * A group without admins (a 1:1 chat, the own-devices conversation, a group made before admins
 * existed) has no rule, and cannot gain admins: nobody could say who should be one.
 */
import { sameAdmins, successorAdmins } from '@sotto/protocol';

/** One change a commit makes, with whose it is. */
export type AdminChange =
  /** A device of `account` is added. */
  | { readonly kind: 'add'; readonly account: string }
  /** A device of `account` is removed; `selfRemoval`: the removed device proposed it (leaving). */
  | { readonly kind: 'remove'; readonly account: string; readonly selfRemoval: boolean }
  /** The group context extensions are replaced: `admins` is the new list, undefined when it has none. */
  | { readonly kind: 'admins'; readonly admins: readonly string[] | undefined };

export interface CommitView {
  /** The admins before the commit; undefined: the group has none (no rule). */
  readonly admins: readonly string[] | undefined;
  /** The committer's account, from its leaf credential. */
  readonly committer: string;
  /** The accounts of the group's members once the commit is applied. */
  readonly accountsAfter: readonly string[];
  /** Adds, removes and extension changes; updates and empty commits have none. */
  readonly changes: readonly AdminChange[];
}

export type AdminVerdict = { readonly accept: true } | { readonly accept: false; readonly reason: string };

const ACCEPT: AdminVerdict = { accept: true };
const reject = (reason: string): AdminVerdict => ({ accept: false, reason });

/** Whether a member accepts a commit: see docs/PROTOCOL.md "Group admins". */
export function judgeCommit(view: CommitView): AdminVerdict {
  const newList = view.changes.filter((c): c is Extract<AdminChange, { kind: 'admins' }> => c.kind === 'admins');
  if (view.admins === undefined) {
    return newList.some((c) => c.admins !== undefined) ? reject('a group without admins cannot gain admins') : ACCEPT;
  }
  const isAdmin = view.admins.includes(view.committer);
  for (const change of view.changes) {
    if (change.kind === 'add' && change.account !== view.committer && !isAdmin) return reject('a member who is not an admin added someone else');
    if (change.kind === 'remove' && change.account !== view.committer && !change.selfRemoval && !isAdmin) {
      return reject('a member who is not an admin removed someone else');
    }
  }
  const proposed = newList[0];
  if (!proposed) return ACCEPT;
  if (proposed.admins === undefined) return reject('a commit took the group\'s admins away');
  if (!proposed.admins.some((a) => view.accountsAfter.includes(a))) return reject('a commit named no member of the group as admin');
  if (!isAdmin && !sameAdmins(proposed.admins, successorAdmins(view.admins, new Set(view.accountsAfter), view.committer))) {
    return reject('a member who is not an admin changed the admins');
  }
  return ACCEPT;
}

/**
 * The list a member should commit (alone: see MlsContext.commit) once admins are no longer in the
 * group (they left), or undefined when the list needs no change.
 */
export function adminsToSettle(admins: readonly string[] | undefined, accountsInGroup: ReadonlySet<string>, committer: string): string[] | undefined {
  if (admins === undefined || admins.every((a) => accountsInGroup.has(a))) return undefined;
  return successorAdmins(admins, accountsInGroup, committer);
}

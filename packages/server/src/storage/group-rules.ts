/**
 * @module storage/group-rules
 * What a group write may do and what it changes, decided once for every backend
 * (as storage/contact-rules.ts does for contacts). A backend reads the facts
 * inside its own transaction (the group row, device rows, members, whether the
 * message id was seen before), asks here, and executes the plan: which rows to
 * write and which devices get which mail. The checks run in one fixed order, so
 * both backends answer the same error for the same request.
 */
import { ErrorCode, sameAdmins, successorAdmins } from '@sotto/protocol';
import { ServerError, StaleEpochError } from '../errors.js';
import type { NewCommit, NewGroup } from './domains/groups.js';
import type { MailItem } from './types.js';

/** A device row as a backend holds it: its key (SQLite: a number, PostgreSQL: a string) and its account. */
export interface KeyedDevice {
  readonly pk: unknown;
  readonly username: string;
}

/** Mail for some devices. */
export interface GroupDelivery<R extends KeyedDevice> {
  readonly devices: readonly R[];
  readonly item: MailItem;
}

const isNot =
  <R extends KeyedDevice>(pk: R['pk']) =>
  (row: R): boolean =>
    row.pk !== pk;

/** Each device once, first appearance kept: a device listed twice is still one member. */
export function uniqueByKey<R extends KeyedDevice>(rows: readonly R[]): R[] {
  const seen = new Set<unknown>();
  return rows.filter((row) => !seen.has(row.pk) && seen.add(row.pk));
}

function known<R>(rows: readonly (R | undefined)[]): R[] {
  return rows.map((row) => {
    if (row === undefined) throw new ServerError(ErrorCode.UNKNOWN_DEVICE);
    return row;
  });
}

/**
 * The first checks of every write to an existing group (commit, send, leave): the group exists,
 * then the sender is a known device. Returns the sender's key.
 */
export function requireGroupSender<K>(groupExists: boolean, senderPk: K | undefined): K {
  if (!groupExists) throw new ServerError(ErrorCode.UNKNOWN_GROUP);
  if (senderPk === undefined) throw new ServerError(ErrorCode.UNKNOWN_DEVICE);
  return senderPk;
}

function requireMember<R extends KeyedDevice>(members: readonly R[], senderPk: R['pk']): void {
  if (!members.some((m) => m.pk === senderPk)) throw new ServerError(ErrorCode.NOT_A_MEMBER);
}

export interface CreationPlan<R extends KeyedDevice> {
  /** Recorded on the group row, so only this device's retry gets the original answer. */
  readonly creator: R;
  /** Every member row to insert, the creator included, each once. */
  readonly members: readonly R[];
  /** The welcome, for every member but the creator. */
  readonly welcome: GroupDelivery<R>;
  /** The admins to store; undefined: a group without admins. */
  readonly admins: readonly string[] | undefined;
}

/** A new group: every device named must exist; the creator is a member but gets no welcome. */
export function planGroupCreation<R extends KeyedDevice>(group: NewGroup, creator: R | undefined, members: readonly (R | undefined)[]): CreationPlan<R> {
  if (creator === undefined) throw new ServerError(ErrorCode.UNKNOWN_DEVICE);
  const memberRows = known(members);
  // The creator is a named group's first admin, and its only one.
  const admins = group.admins !== undefined && group.admins.length > 0 ? [...group.admins] : undefined;
  if (admins && (admins.length !== 1 || admins[0] !== group.creator.username)) throw new ServerError(ErrorCode.NOT_GROUP_ADMIN);
  return {
    creator,
    members: uniqueByKey([creator, ...memberRows]),
    welcome: { devices: uniqueByKey(memberRows).filter(isNot(creator.pk)), item: group.welcome },
    admins,
  };
}

/** The stored group that a createGroup found in its place. */
export interface ExistingGroup<K> {
  readonly epoch: bigint;
  readonly creatorPk: K | null;
  readonly createdAt: number;
}

/**
 * A createGroup for an id that is taken. Its creator's retry (same creator device, epoch and
 * members as stored) gets the original answer, so a client that crashed after the server
 * accepted can retry; anything else is GROUP_EXISTS. Returns who the welcome went to.
 */
export function planCreationRetry<R extends KeyedDevice>(
  existing: ExistingGroup<R['pk']>,
  group: NewGroup,
  creator: R | undefined,
  asked: readonly (R | undefined)[],
  stored: readonly R[],
): { readonly storedAt: number; readonly welcomed: readonly R[] } {
  const clash = new ServerError(ErrorCode.GROUP_EXISTS);
  if (!creator || existing.creatorPk !== creator.pk || existing.epoch !== group.epoch) throw clash;
  if (asked.some((row) => row === undefined)) throw clash;
  const askedRows = asked as readonly R[];
  const storedPks = new Set(stored.map((row) => row.pk));
  const wanted = new Set(uniqueByKey([creator, ...askedRows]).map((row) => row.pk));
  if (storedPks.size !== wanted.size || [...wanted].some((pk) => !storedPks.has(pk))) throw clash;
  return { storedAt: existing.createdAt, welcomed: uniqueByKey(askedRows).filter(isNot(creator.pk)) };
}

/** What a commit's transaction has read once the group and its sender were found. */
export interface CommitFacts<R extends KeyedDevice> {
  readonly currentEpoch: bigint;
  readonly senderPk: R['pk'];
  /** When the commit's message id was stored before: the time it was stored then. */
  readonly storedBefore: number | undefined;
  readonly members: readonly R[];
  /** The rows of `commit.removed` and `commit.added`, in order; undefined for an unknown device. */
  readonly removed: readonly (R | undefined)[];
  readonly added: readonly (R | undefined)[];
  /** The group's admins as the server mirrors them; undefined: a group without admins. */
  readonly admins: readonly string[] | undefined;
}

export type CommitPlan<R extends KeyedDevice> =
  /** A retry of a commit already applied: nothing changes, the current epoch is the answer. */
  | { readonly duplicate: true; readonly storedAt: number; readonly epoch: bigint }
  | {
      readonly duplicate: false;
      readonly nextEpoch: bigint;
      readonly remove: readonly R[];
      readonly add: readonly R[];
      /** The admins to store, when the commit changes them. */
      readonly admins: readonly string[] | undefined;
      /** The commit first, then the welcome; the recipients are answered in this order. */
      readonly deliveries: readonly GroupDelivery<R>[];
    };

/**
 * A commit: a retry is answered as a duplicate before anything else (its epoch has moved on);
 * then the sender must be a member, the epoch current (compare-and-set: one commit per epoch),
 * and every added device known (a removed one that is gone is skipped).
 */
export function planCommit<R extends KeyedDevice>(commit: NewCommit, facts: CommitFacts<R>): CommitPlan<R> {
  if (facts.storedBefore !== undefined) return { duplicate: true, storedAt: facts.storedBefore, epoch: facts.currentEpoch };
  requireMember(facts.members, facts.senderPk);
  if (facts.currentEpoch !== commit.epoch) throw new StaleEpochError(facts.currentEpoch);
  // A removed device that no longer exists is already out of the routing: its account's signed
  // device list dropped it (publishDeviceList deletes the device and its member rows), and the
  // members' clients then commit its removal from the group, which must still go through.
  const remove = uniqueByKey(facts.removed.filter((row): row is R => row !== undefined));
  const add = known(facts.added);
  const admins = commit.admins !== undefined && commit.admins.length > 0 ? [...commit.admins].sort() : undefined;
  checkAdminRule(facts.admins, commit.sender.username, facts.members, remove, add, admins);
  const nextEpoch = commit.epoch + 1n;
  return {
    duplicate: false,
    nextEpoch,
    remove,
    add,
    admins,
    deliveries: [
      // Everyone who was a member (removed ones too, so they learn it) except the committer.
      { devices: facts.members.filter(isNot(facts.senderPk)), item: { ...commit.commit, epoch: commit.epoch } },
      ...(commit.welcome ? [{ devices: add, item: { ...commit.welcome, epoch: nextEpoch } }] : []),
    ],
  };
}

/**
 * The admin rule on what a commit declares: the same rule every member judges inside MLS
 * (core/src/group-admins.ts), so a commit they would all refuse never wins an epoch here. In a
 * group with admins, only an admin adds or removes devices of other accounts; a device no longer
 * in the group's routing (it sent LEAVE_GROUP, or its account's signed list dropped it) may be
 * removed by anyone. Only an admin changes the list, except to the one list anyone may set once
 * admins left (`successorAdmins`). A group without admins cannot gain any. NOT_GROUP_ADMIN.
 */
export function checkAdminRule<R extends KeyedDevice>(
  admins: readonly string[] | undefined,
  sender: string,
  members: readonly R[],
  remove: readonly R[],
  add: readonly R[],
  newAdmins: readonly string[] | undefined,
): void {
  const refuse = () => new ServerError(ErrorCode.NOT_GROUP_ADMIN);
  if (admins === undefined) {
    if (newAdmins !== undefined) throw refuse();
    return;
  }
  const isAdmin = admins.includes(sender);
  const memberPks = new Set(members.map((m) => m.pk));
  if (!isAdmin) {
    if (add.some((row) => row.username !== sender)) throw refuse();
    if (remove.some((row) => row.username !== sender && memberPks.has(row.pk))) throw refuse();
  }
  if (newAdmins === undefined) return;
  const removed = new Set(remove.map((row) => row.pk));
  const accountsAfter = new Set([...members.filter((m) => !removed.has(m.pk)), ...add].map((row) => row.username));
  if (!newAdmins.some((a) => accountsAfter.has(a))) throw new ServerError(ErrorCode.INVALID_ARGUMENT, 'A group\'s admins must include a member.');
  if (!isAdmin && !sameAdmins(newAdmins, successorAdmins(admins, accountsAfter, sender))) throw refuse();
}

/**
 * A message to the group: the sender must be a member; it goes to every other member. The backend
 * then claims the message id with the recipient count, and stores nothing for a retry.
 */
export function planGroupSend<R extends KeyedDevice>(members: readonly R[], senderPk: R['pk']): readonly R[] {
  requireMember(members, senderPk);
  return members.filter(isNot(senderPk));
}

/** A member leaving: it must be a member; its row goes and the others are told. */
export function planLeave<R extends KeyedDevice>(members: readonly R[], senderPk: R['pk']): readonly R[] {
  requireMember(members, senderPk);
  return members.filter(isNot(senderPk));
}

/** The admins column as both backends store it (a JSON array, sorted; NULL: none). */
export function writeAdmins(admins: readonly string[] | undefined): string | null {
  return admins && admins.length > 0 ? JSON.stringify([...admins].sort()) : null;
}

/** The admins column read back; undefined for a group without admins. */
export function readAdmins(column: string | null): string[] | undefined {
  if (column === null) return undefined;
  const parsed: unknown = JSON.parse(column);
  if (!Array.isArray(parsed) || !parsed.every((a): a is string => typeof a === 'string')) throw new ServerError(ErrorCode.INTERNAL, 'A stored admin list is corrupt.');
  return parsed;
}

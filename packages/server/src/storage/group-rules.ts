/**
 * @module storage/group-rules
 * What a group write may do and what it changes, decided once for every backend
 * (as storage/contact-rules.ts does for contacts). A backend reads the facts
 * inside its own transaction (the group row, device rows, members, whether the
 * message id was seen before), asks here, and executes the plan: which rows to
 * write and which devices get which mail. The checks run in one fixed order, so
 * both backends answer the same error for the same request.
 */
import { ErrorCode } from '@sotto/protocol';
import { ServerError, StaleEpochError } from '../errors.js';
import type { NewCommit, NewGroup } from './domains/groups.js';
import type { MailItem } from './types.js';

/** A device row as a backend holds it: only its key matters here (SQLite: a number, PostgreSQL: a string). */
export interface KeyedDevice {
  readonly pk: unknown;
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
}

/** A new group: every device named must exist; the creator is a member but gets no welcome. */
export function planGroupCreation<R extends KeyedDevice>(group: NewGroup, creator: R | undefined, members: readonly (R | undefined)[]): CreationPlan<R> {
  if (creator === undefined) throw new ServerError(ErrorCode.UNKNOWN_DEVICE);
  const memberRows = known(members);
  return {
    creator,
    members: uniqueByKey([creator, ...memberRows]),
    welcome: { devices: uniqueByKey(memberRows).filter(isNot(creator.pk)), item: group.welcome },
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
}

export type CommitPlan<R extends KeyedDevice> =
  /** A retry of a commit already applied: nothing changes, the current epoch is the answer. */
  | { readonly duplicate: true; readonly storedAt: number; readonly epoch: bigint }
  | {
      readonly duplicate: false;
      readonly nextEpoch: bigint;
      readonly remove: readonly R[];
      readonly add: readonly R[];
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
  const nextEpoch = commit.epoch + 1n;
  return {
    duplicate: false,
    nextEpoch,
    remove,
    add,
    deliveries: [
      // Everyone who was a member (removed ones too, so they learn it) except the committer.
      { devices: facts.members.filter(isNot(facts.senderPk)), item: { ...commit.commit, epoch: commit.epoch } },
      ...(commit.welcome ? [{ devices: add, item: { ...commit.welcome, epoch: nextEpoch } }] : []),
    ],
  };
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

/**
 * @module group-admins
 * A named group's admins as they travel: inside MLS as a private-use group context extension
 * (so every member checks each commit against the same list) and, mirrored, in the CreateGroup
 * and Commit frames (so the server can enforce the same rule). One codec and one shape check
 * for both sides; the rule itself is `core/src/group-admins.ts` (clients) and
 * `server/src/storage/group-rules.ts` (server).
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { ErrorCode, GroupAdminsSchema } from './gen/sotto/v1/wire_pb.js';
import { ProtocolError } from './errors.js';
import { isValidUsername, LIMITS } from './limits.js';

/** The MLS extension type of GroupAdmins: private use (RFC 9420 §17.3, 0xF000-0xFFFF). */
export const GROUP_ADMINS_EXTENSION = 0xf0ad;

/** An encoded GroupAdmins is at most this long: every name at its longest with its tag and length. */
export const GROUP_ADMINS_MAX_BYTES = LIMITS.groupAdminsMax * (LIMITS.usernameMaxLength + 2);

function refuse(message: string): never {
  throw new ProtocolError(ErrorCode.INVALID_ARGUMENT, message);
}

/**
 * The list in its one canonical shape (sorted, each account once), or INVALID_ARGUMENT when it
 * is empty, too long, or names something that is not a username. A group never lacks an admin.
 */
export function checkGroupAdmins(accounts: readonly string[]): string[] {
  if (accounts.length === 0) refuse('A group has at least one admin.');
  if (accounts.length > LIMITS.groupAdminsMax) refuse(`A group has at most ${LIMITS.groupAdminsMax} admins.`);
  for (const account of accounts) if (!isValidUsername(account)) refuse('An admin must be a valid username.');
  const sorted = [...new Set(accounts)].sort();
  if (sorted.length !== accounts.length) refuse('An admin is named twice.');
  return sorted;
}

/** The extension's bytes for `accounts` (checked and sorted first). */
export function encodeGroupAdmins(accounts: readonly string[]): Uint8Array {
  return toBinary(GroupAdminsSchema, create(GroupAdminsSchema, { accounts: checkGroupAdmins(accounts) }));
}

/** The accounts in an extension's bytes, its size checked before decoding; INVALID_ARGUMENT or FRAME_MALFORMED otherwise. */
export function decodeGroupAdmins(bytes: Uint8Array): string[] {
  if (bytes.byteLength > GROUP_ADMINS_MAX_BYTES) throw new ProtocolError(ErrorCode.FRAME_TOO_LARGE, 'The group admins extension is too large.');
  let accounts: string[];
  try {
    accounts = fromBinary(GroupAdminsSchema, bytes, { readUnknownFields: false }).accounts;
  } catch (cause) {
    throw new ProtocolError(ErrorCode.FRAME_MALFORMED, 'The group admins extension does not decode.', { cause });
  }
  const checked = checkGroupAdmins(accounts);
  if (checked.some((a, i) => a !== accounts[i])) refuse('The group admins are not in their canonical order.');
  return checked;
}

/**
 * The one list a member who is not an admin may set (checked alike by every client and by the
 * server): the admins still in the group, or, when none is left (the last admin left), the
 * committer alone. Deterministic, so every member agrees and a group is never left without one.
 */
export function successorAdmins(admins: readonly string[], accountsInGroup: ReadonlySet<string>, committer: string): string[] {
  const staying = admins.filter((a) => accountsInGroup.has(a));
  return staying.length > 0 ? [...staying].sort() : [committer];
}

/** Whether two admin lists name the same accounts. */
export function sameAdmins(a: readonly string[], b: readonly string[]): boolean {
  const x = [...a].sort();
  const y = [...b].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** @module storage/group-rules.test The group planner alone: the order of its checks and the plans it makes. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DeliveryKind, ErrorCode } from '@sotto/protocol';
import { ServerError, StaleEpochError } from '../errors.js';
import { planCommit, planCreationRetry, planGroupCreation, planGroupSend, planLeave, requireGroupSender, type CommitFacts } from './group-rules.js';
import type { NewCommit, NewGroup } from './domains/groups.js';
import type { DeviceAddress, MailItem } from './types.js';

interface Row {
  readonly pk: number;
  readonly username: string;
}
const [a, b, c, d] = [1, 2, 3, 4].map((pk): Row => ({ pk, username: 'abcd'[pk - 1]! })) as [Row, Row, Row, Row];
const address = (name: string): DeviceAddress => ({ username: name, deviceId: 'd' });
const item = (kind: DeliveryKind): MailItem => ({ kind, sender: address('a'), groupId: new Uint8Array([7]), messageId: new Uint8Array([kind]), payload: new Uint8Array(), epoch: 0n });
const code = (expected: ErrorCode) => (error: unknown) => error instanceof ServerError && error.code === expected;

const commit: NewCommit = {
  groupId: new Uint8Array([7]),
  epoch: 3n,
  sender: address('a'),
  added: [address('d')],
  removed: [address('c')],
  commit: item(DeliveryKind.MLS_COMMIT),
  welcome: item(DeliveryKind.MLS_WELCOME),
  now: 10,
};
const facts = (over: Partial<CommitFacts<Row>> = {}): CommitFacts<Row> => ({
  currentEpoch: 3n,
  senderPk: a.pk,
  storedBefore: undefined,
  members: [a, b, c],
  removed: [c],
  added: [d],
  admins: undefined,
  ...over,
});

describe('group rules', () => {
  test('an unknown group is refused before an unknown sender', () => {
    assert.throws(() => requireGroupSender(false, undefined), code(ErrorCode.UNKNOWN_GROUP));
    assert.throws(() => requireGroupSender(true, undefined), code(ErrorCode.UNKNOWN_DEVICE));
    assert.equal(requireGroupSender(true, 5), 5);
  });

  test('a commit moves the epoch, changes routing, tells the old members and welcomes the new', () => {
    const plan = planCommit(commit, facts());
    assert.ok(!plan.duplicate);
    assert.equal(plan.nextEpoch, 4n);
    assert.deepEqual(plan.remove, [c]);
    assert.deepEqual(plan.add, [d]);
    assert.deepEqual(plan.deliveries.map((x) => [x.devices, x.item.kind, x.item.epoch]), [
      [[b, c], DeliveryKind.MLS_COMMIT, 3n],
      [[d], DeliveryKind.MLS_WELCOME, 4n],
    ]);
  });

  test('a retried commit is a duplicate before any other check, answered with the current epoch', () => {
    assert.deepEqual(planCommit(commit, facts({ storedBefore: 5, currentEpoch: 9n, members: [] })), { duplicate: true, storedAt: 5, epoch: 9n });
  });

  test('a commit checks membership, then the epoch, then the devices it names', () => {
    assert.throws(() => planCommit(commit, facts({ members: [b], currentEpoch: 2n })), code(ErrorCode.NOT_A_MEMBER));
    assert.throws(() => planCommit(commit, facts({ currentEpoch: 2n, removed: [undefined] })), (e: unknown) => e instanceof StaleEpochError);
    // A removed device that was deleted (its account's device list dropped it) is already gone: skipped.
    const skipped = planCommit(commit, facts({ removed: [undefined] }));
    assert.equal(skipped.duplicate, false);
    assert.deepEqual(!skipped.duplicate && skipped.remove, []);
    assert.throws(() => planCommit(commit, facts({ added: [undefined] })), code(ErrorCode.UNKNOWN_DEVICE));
  });

  test('admins: only an admin adds or removes other accounts; a device already gone may be removed by anyone', () => {
    const admin = { admins: ['a'] };
    assert.ok(!planCommit(commit, facts(admin)).duplicate);
    const byB: NewCommit = { ...commit, sender: address('b') };
    const asB = (over: Partial<CommitFacts<Row>>) => facts({ ...admin, senderPk: b.pk, ...over });
    assert.throws(() => planCommit(byB, asB({})), code(ErrorCode.NOT_GROUP_ADMIN));
    assert.throws(() => planCommit({ ...byB, added: [], welcome: undefined }, asB({ added: [] })), code(ErrorCode.NOT_GROUP_ADMIN), 'removing c');
    assert.throws(() => planCommit({ ...byB, removed: [] }, asB({ removed: [] })), code(ErrorCode.NOT_GROUP_ADMIN), 'adding d');
    // c left (LEAVE_GROUP took it out of the routing): anyone commits its removal.
    const left = planCommit({ ...byB, added: [], welcome: undefined }, asB({ members: [a, b], added: [] }));
    assert.ok(!left.duplicate && left.remove.length === 1);
    // b's own devices: fine. No admins: no rule.
    const b2 = { pk: 5, username: 'b' };
    assert.ok(!planCommit({ ...byB, removed: [] }, asB({ removed: [], added: [b2] })).duplicate);
    assert.ok(!planCommit(byB, facts({ senderPk: b.pk })).duplicate);
  });

  test('admins: only an admin changes the list, to members; once the admins left, the committer alone; nothing stored otherwise', () => {
    const only = { ...commit, added: [], removed: [], welcome: undefined };
    const none = { removed: [], added: [] };
    const set = planCommit({ ...only, admins: ['c', 'a'] }, facts({ ...none, admins: ['a'] }));
    assert.deepEqual(!set.duplicate && set.admins, ['a', 'c']);
    const plain = planCommit(only, facts({ ...none, admins: ['a'] }));
    assert.equal(plain.duplicate ? 'duplicate' : plain.admins, undefined, 'a commit that names no admins leaves them');
    assert.throws(() => planCommit({ ...only, admins: ['zed'] }, facts({ ...none, admins: ['a'] })), code(ErrorCode.INVALID_ARGUMENT));
    const byB = { ...only, sender: address('b') };
    assert.throws(() => planCommit({ ...byB, admins: ['b'] }, facts({ ...none, senderPk: b.pk, admins: ['a'] })), code(ErrorCode.NOT_GROUP_ADMIN));
    // a (the only admin) left: b names itself, and only itself.
    const gone = { ...none, senderPk: b.pk, admins: ['a'], members: [b, c] };
    assert.deepEqual((planCommit({ ...byB, admins: ['b'] }, facts(gone)) as { admins?: unknown }).admins, ['b']);
    assert.throws(() => planCommit({ ...byB, admins: ['c'] }, facts(gone)), code(ErrorCode.NOT_GROUP_ADMIN));
    // A group without admins gains none.
    assert.throws(() => planCommit({ ...only, admins: ['a'] }, facts({ ...none })), code(ErrorCode.NOT_GROUP_ADMIN));
  });

  test('sends and leaves go to every other member, and only a member may make them', () => {
    assert.deepEqual(planGroupSend([a, b, c], b.pk), [a, c]);
    assert.deepEqual(planLeave([a, b, c], c.pk), [a, b]);
    assert.throws(() => planGroupSend([a, b], d.pk), code(ErrorCode.NOT_A_MEMBER));
    assert.throws(() => planLeave([a, b], d.pk), code(ErrorCode.NOT_A_MEMBER));
  });

  const group: NewGroup = { groupId: new Uint8Array([7]), epoch: 1n, creator: address('a'), members: [address('b'), address('c')], welcome: item(DeliveryKind.MLS_WELCOME), now: 10 };

  test('a new group: every device named must exist; each member once; no welcome for the creator', () => {
    const plan = planGroupCreation(group, a, [b, c, b, a]);
    assert.equal(plan.creator, a);
    assert.deepEqual(plan.members, [a, b, c]);
    assert.deepEqual(plan.welcome.devices, [b, c]);
    assert.throws(() => planGroupCreation(group, undefined, [b]), code(ErrorCode.UNKNOWN_DEVICE));
    assert.throws(() => planGroupCreation(group, a, [b, undefined]), code(ErrorCode.UNKNOWN_DEVICE));
  });

  test('a new group\'s admins: none, or its creator alone', () => {
    assert.equal(planGroupCreation(group, a, [b]).admins, undefined);
    assert.deepEqual(planGroupCreation({ ...group, admins: ['a'] }, a, [b]).admins, ['a']);
    assert.throws(() => planGroupCreation({ ...group, admins: ['b'] }, a, [b]), code(ErrorCode.NOT_GROUP_ADMIN));
    assert.throws(() => planGroupCreation({ ...group, admins: ['a', 'b'] }, a, [b]), code(ErrorCode.NOT_GROUP_ADMIN));
  });

  test("a creation retry matches the stored group exactly, or it is GROUP_EXISTS", () => {
    const existing = { epoch: 1n, creatorPk: a.pk, createdAt: 99 };
    assert.deepEqual(planCreationRetry(existing, group, a, [c, b], [a, b, c]), { storedAt: 99, welcomed: [c, b] });
    assert.throws(() => planCreationRetry(existing, group, b, [a, c], [a, b, c]), code(ErrorCode.GROUP_EXISTS));
    assert.throws(() => planCreationRetry({ ...existing, epoch: 2n }, group, a, [b, c], [a, b, c]), code(ErrorCode.GROUP_EXISTS));
    assert.throws(() => planCreationRetry(existing, group, a, [b], [a, b, c]), code(ErrorCode.GROUP_EXISTS));
    assert.throws(() => planCreationRetry(existing, group, a, [b, undefined], [a, b, c]), code(ErrorCode.GROUP_EXISTS));
  });
});

/**
 * @module services/group-calls-cluster.test
 * Group calls arranged by two nodes at once: two GroupCallsServices, each with its own
 * PostgreSQL store and its own controller of one real Janus, as two `sotto serve` nodes of a
 * cluster have. The group's first joins on both nodes at once make one room; a device removed by
 * a commit on one node loses at once the admission the other node gave it; the last one out on
 * either node ends the room; both nodes sweeping at once take a crashed device out once; and a
 * device removed while its withdrawal was lost (the node died) is put out by the next sweep.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DeliveryKind } from '@sotto/protocol';
import { createLogger } from '../logger.js';
import { JanusSfu } from '../sfu/janus-sfu.js';
import { JanusParticipant, JanusProcess, requireJanus } from '../sfu/janus-test-env.js';
import { SfuError, type SfuControl } from '../sfu/sfu-control.js';
import { ServerError } from '../errors.js';
import { ErrorCode } from '@sotto/protocol';
import { StorageUnavailableError } from '../storage/store.js';
import { PostgresStore } from '../storage/postgres/postgres-store.js';
import { describeWithPostgres, withTestSchema, type TestSchema } from '../storage/postgres/test-database.js';
import type { DeviceAddress, MailItem } from '../storage/types.js';
import { GroupCallsService, type GroupCallTicket } from './group-calls.js';

const skip = requireJanus();

interface Node {
  readonly store: PostgresStore;
  readonly control: JanusSfu;
  readonly calls: GroupCallsService;
  /** Revocations this node's controller fails before passing them on (an SFU that times out). */
  failRevokes: number;
}

/** `control` with some of its methods replaced; `override` answers undefined to keep the real one. */
function wrapped(control: SfuControl, override: (key: keyof SfuControl) => SfuControl[keyof SfuControl] | undefined): SfuControl {
  return new Proxy(control, {
    get(target, key) {
      const replaced = override(key as keyof SfuControl);
      if (replaced) return replaced;
      const value = Reflect.get(target, key) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The controller as the service sees it, failing the next `node.failRevokes` revocations. */
function flaky(node: { failRevokes: number }, control: SfuControl): SfuControl {
  return wrapped(control, (key) => {
    if (key !== 'revoke' || node.failRevokes === 0) return undefined;
    return () => {
      node.failRevokes--;
      return Promise.reject(new SfuError('unavailable', 'The SFU did not answer within 5000 ms (a test made it so).'));
    };
  });
}

/** What Janus says when a participant presents the ticket: joined (and stays until `close`), or why not. */
async function enter(ticket: GroupCallTicket): Promise<{ outcome: string; close(): void }> {
  const participant = await JanusParticipant.connect(ticket.sfuUrl, ticket.token);
  const attached = await participant.attach();
  if (!attached.ok) {
    participant.close();
    return { outcome: `refused: ${attached.code} ${attached.reason}`, close: () => undefined };
  }
  const joined = await participant.join(Number(ticket.roomId), Number(ticket.feedId), ticket.joinToken);
  return { outcome: joined.ok ? String(joined.data['videoroom']) : `refused: ${joined.code} ${joined.reason}`, close: () => participant.close() };
}

async function joinAtJanus(ticket: GroupCallTicket): Promise<string> {
  const stay = await enter(ticket);
  stay.close();
  return stay.outcome;
}

const mail = (sender: DeviceAddress, groupId: Uint8Array, kind: DeliveryKind): MailItem => ({
  kind, sender, groupId, messageId: randomBytes(16), payload: randomBytes(40), epoch: 0n,
});

await describeWithPostgres('group calls from two nodes on one database and one Janus', () => {
  let janus: JanusProcess;
  let schema: TestSchema;
  const nodes: Node[] = [];
  const [ada, bob, cat] = ['ada', 'bob', 'cat'].map((name) => ({ username: `${name}${Date.now().toString(36)}`, deviceId: 'd1' }));
  const groupId = randomBytes(32);
  /** Groups for the failure tests, whose members are never removed. */
  const other = randomBytes(32);
  const third = randomBytes(32);
  const later = () => Date.now() + 10 * 60_000;
  const record = async (id: Uint8Array) => (await nodes[0]!.store.listGroupCalls()).find((e) => Buffer.from(e.groupId).equals(id))?.record;
  const gone = async (roomId: number) => assert.rejects(nodes[0]!.control.present(roomId), (error: unknown) => error instanceof SfuError && error.problem === 'unknown-room');

  before(async () => {
    if (skip.skip) return;
    janus = await JanusProcess.start({ rtpPortMin: 43_600 });
    schema = await withTestSchema();
    for (let i = 0; i < 2; i++) {
      const store = await PostgresStore.connect(schema.url, { maxConnections: 4 });
      const log = createLogger(`node${i}`, { level: 'silent' });
      const control = new JanusSfu({ url: janus.url, secret: janus.secret, logger: log });
      const node = { store, control, failRevokes: 0 } as Omit<Node, 'calls'> & { calls?: GroupCallsService };
      node.calls = new GroupCallsService({ store, log, sfus: [{ control: flaky(node, control), memberUrl: janus.url }] });
      nodes.push(node as Node);
    }
    const store = nodes[0]!.store;
    for (const device of [ada!, bob!, cat!]) await store.createAccount({ ...device, identityKey: randomBytes(32), requireInvite: false, now: Date.now() });
    for (const id of [groupId, other, third]) {
      await store.createGroup({ groupId: id, epoch: 1n, creator: ada!, members: [bob!, cat!], welcome: mail(ada!, id, DeliveryKind.MLS_WELCOME), now: Date.now() });
    }
  });
  after(async () => {
    for (const node of nodes) {
      await node.control.close();
      await node.store.close();
    }
    await schema?.drop();
    await janus?.dispose();
  });

  test("the group's first joins on both nodes at once make one room, and each node's ticket opens it", { skip: skip.skip }, async () => {
    const [adaTicket, bobTicket] = await Promise.all([nodes[0]!.calls.join(ada!, { groupId }), nodes[1]!.calls.join(bob!, { groupId })]);
    assert.equal(adaTicket.roomId, bobTicket.roomId, 'one room per group across nodes');
    assert.equal(await joinAtJanus(adaTicket), 'joined');
    assert.equal(await joinAtJanus(bobTicket), 'joined');
    await nodes[1]!.calls.leave(ada!, { groupId });
    await nodes[0]!.calls.leave(bob!, { groupId });
  });

  test('a device removed by a commit on one node loses at once the admission the other node gave it, and is put out of the room', { skip: skip.skip }, async () => {
    const adaTicket = await nodes[0]!.calls.join(ada!, { groupId });
    const bobTicket = await nodes[1]!.calls.join(bob!, { groupId });
    const bobInside = await enter(bobTicket);
    try {
      assert.equal(bobInside.outcome, 'joined');
      assert.deepEqual([...(await nodes[0]!.control.present(Number(bobTicket.roomId)))], [Number(bobTicket.feedId)]);
      // Node 0 applies the commit that removes Bob, and withdraws what node 1 gave him.
      await nodes[0]!.store.applyCommit({ groupId, epoch: 1n, sender: ada!, added: [], removed: [bob!], commit: mail(ada!, groupId, DeliveryKind.MLS_COMMIT), now: Date.now() });
      await nodes[0]!.calls.withdraw(groupId, [bob!]);
      assert.deepEqual([...(await nodes[1]!.control.present(Number(bobTicket.roomId)))], [], 'his feed was put out of the room');
      assert.match(await joinAtJanus(bobTicket), /^refused/, 'his admission no longer opens the room');
      assert.equal(await joinAtJanus(adaTicket), 'joined', 'the others stay in');
    } finally {
      bobInside.close();
    }
    // The last one out, on the other node than the one she joined on, ends the room.
    await nodes[1]!.calls.leave(ada!, { groupId });
    await assert.rejects(nodes[0]!.control.present(Number(adaTicket.roomId)), (error: unknown) => error instanceof SfuError && error.problem === 'unknown-room');
    assert.deepEqual(await nodes[1]!.store.listGroupCalls(), [], 'no record is left once the call ended');
  });

  test('both nodes sweeping at once take a device that went away out once, and leave one that is there', { skip: skip.skip }, async () => {
    const adaTicket = await nodes[1]!.calls.join(ada!, { groupId });
    await nodes[0]!.calls.join(cat!, { groupId }); // Cat got a ticket and crashed: never at the SFU.
    const adaInside = await enter(adaTicket);
    try {
      assert.equal(adaInside.outcome, 'joined');
      const later = Date.now() + 10 * 60_000;
      const gone = await Promise.all(nodes.map((node) => node.calls.sweep(later)));
      assert.equal(gone[0]! + gone[1]!, 1, `the nodes took out ${gone.join(' + ')} devices`);
      assert.deepEqual([...(await nodes[0]!.control.present(Number(adaTicket.roomId)))], [Number(adaTicket.feedId)], 'ada is still in');
      // The next join on either node goes to the same room: the call is still on.
      const again = await nodes[0]!.calls.join(cat!, { groupId });
      assert.equal(again.roomId, adaTicket.roomId);
      await nodes[0]!.calls.leave(cat!, { groupId });
    } finally {
      adaInside.close();
    }
    await nodes[0]!.calls.leave(ada!, { groupId });
    assert.deepEqual(await nodes[0]!.store.listGroupCalls(), []);
  });

  test('a withdrawal lost with its node: the next sweep, on any node, puts out a device the group no longer routes to', { skip: skip.skip }, async () => {
    const adaTicket = await nodes[0]!.calls.join(ada!, { groupId });
    const catTicket = await nodes[1]!.calls.join(cat!, { groupId });
    const [adaInside, catInside] = [await enter(adaTicket), await enter(catTicket)];
    try {
      // Node 0 applies the commit that removes Cat and dies before withdrawing anything.
      await nodes[0]!.store.applyCommit({ groupId, epoch: 2n, sender: ada!, added: [], removed: [cat!], commit: mail(ada!, groupId, DeliveryKind.MLS_COMMIT), now: Date.now() });
      assert.equal(await nodes[1]!.calls.sweep(), 1, 'within her admission, but no longer a member: out');
      assert.deepEqual([...(await nodes[1]!.control.present(Number(adaTicket.roomId)))], [Number(adaTicket.feedId)]);
      assert.match(await joinAtJanus(catTicket), /^refused/);
    } finally {
      adaInside.close();
      catInside.close();
    }
    await nodes[1]!.calls.leave(ada!, { groupId });
  });

  test("a revocation the SFU did not take is retried by another node's sweep, and puts out the one revoked only", { skip: skip.skip }, async () => {
    const tickets = [await nodes[0]!.calls.join(ada!, { groupId: other }), await nodes[1]!.calls.join(cat!, { groupId: other }), await nodes[1]!.calls.join(bob!, { groupId: other })];
    const inside = await Promise.all(tickets.map(enter));
    try {
      const roomId = Number(tickets[0]!.roomId);
      nodes[1]!.failRevokes = 1;
      await nodes[1]!.calls.leave(bob!, { groupId: other });
      assert.equal((await nodes[0]!.control.present(roomId)).size, 3, 'the SFU did not take it: bob is still in');
      assert.match((await record(other))!, /"what":"revoke"/);
      assert.equal(await nodes[0]!.calls.sweep(), 0);
      assert.deepEqual([...(await nodes[0]!.control.present(roomId))].sort(), [tickets[0]!.feedId, tickets[1]!.feedId].map(Number).sort(), 'bob is out, ada and cat stay');
      assert.doesNotMatch((await record(other))!, /"what"/, 'the clean-up is done');
    } finally {
      for (const one of inside) one.close();
    }
    for (const [node, who] of [[nodes[0]!, ada!], [nodes[1]!, cat!]] as const) await node.calls.leave(who, { groupId: other });
    assert.equal(await record(other), undefined);
  });

  test('a join the store does not keep is undone at the SFU: the room it opened ends', { skip: skip.skip }, async () => {
    const opened: number[] = [];
    const real = nodes[0]!.control;
    const control = wrapped(real, (key) => (key !== 'createRoom' ? undefined : async (options: Parameters<SfuControl['createRoom']>[0]) => {
      const made = await real.createRoom(options);
      opened.push(made.roomId);
      return made;
    }));
    const store = nodes[0]!.store;
    const failing = Object.create(store) as PostgresStore;
    failing.changeGroupCall = (id, change) => store.changeGroupCall(id, async (stored) => {
      await change(stored);
      throw new StorageUnavailableError(new Error('the database went away (a test made it so)'));
    });
    const calls = new GroupCallsService({ store: failing, log: createLogger('failing', { level: 'silent' }), sfus: [{ control, memberUrl: janus.url }] });
    await assert.rejects(calls.join(ada!, { groupId: third }), StorageUnavailableError);
    assert.equal(opened.length, 1);
    await gone(opened[0]!);
    assert.equal(await record(third), undefined);
  });

  test("a room on an SFU this node does not list: NO_SFU while its admissions may be in use, then given up for a room on a listed SFU", { skip: skip.skip }, async () => {
    const first = await nodes[0]!.calls.join(ada!, { groupId: third });
    const renamed = new GroupCallsService({ store: nodes[0]!.store, log: createLogger('renamed', { level: 'silent' }), sfus: [{ control: nodes[0]!.control, memberUrl: 'ws://renamed.example:8188' }] });
    await assert.rejects(renamed.join(cat!, { groupId: third }), (error: unknown) => error instanceof ServerError && error.code === ErrorCode.NO_SFU && /every node must list the same SFUs/.test(error.message));
    await renamed.sweep(later());
    const moved = await renamed.join(cat!, { groupId: third });
    assert.equal(moved.sfuUrl, 'ws://renamed.example:8188');
    assert.notEqual(moved.roomId, first.roomId);
    await renamed.leave(cat!, { groupId: third });
    await nodes[0]!.control.destroyRoom(Number(first.roomId));
    assert.equal(await record(third), undefined);
  });

  test('a full room refuses one more device before the SFU is asked', { skip: skip.skip }, async () => {
    const { roomId } = await nodes[0]!.control.createRoom({ maxParticipants: 32 });
    const admissions = [{ feedId: 1, joinToken: 't', expiresAt: Date.now() + 60_000 }];
    const participants = Array.from({ length: 32 }, (_, i) => ({ device: `someone${i}\nd1`, reference: `ref${i}`, admissions }));
    await nodes[0]!.store.changeGroupCall(third, async () => ({ record: JSON.stringify({ v: 1, room: { sfu: janus.url, roomId, participants }, cleanups: [] }), result: null }));
    await assert.rejects(nodes[1]!.calls.join(ada!, { groupId: third }), (error: unknown) => error instanceof ServerError && error.code === ErrorCode.INVALID_ARGUMENT && /full: at most 32 people/.test(error.message));
    await nodes[0]!.store.changeGroupCall(third, async () => ({ record: undefined, result: null }));
    await nodes[0]!.control.destroyRoom(roomId);
  });

  test("a newer server's record is left alone; a broken one is started afresh and its room ended", { skip: skip.skip }, async () => {
    const newer = JSON.stringify({ v: 2, rooms: [] });
    await nodes[0]!.store.changeGroupCall(third, async () => ({ record: newer, result: null }));
    await assert.rejects(nodes[1]!.calls.join(ada!, { groupId: third }), /arranged by a newer server \(record version 2\); update this node/);
    assert.equal(await record(third), newer, 'not overwritten');
    const { roomId } = await nodes[0]!.control.createRoom({ maxParticipants: 32 });
    await nodes[0]!.store.changeGroupCall(third, async () => ({ record: JSON.stringify({ v: 1, room: { sfu: janus.url, roomId, participants: 'garbled' }, cleanups: [] }), result: null }));
    const fresh = await nodes[1]!.calls.join(ada!, { groupId: third });
    assert.notEqual(Number(fresh.roomId), roomId);
    await nodes[0]!.calls.sweep();
    await gone(roomId);
    await nodes[0]!.calls.leave(ada!, { groupId: third });
    assert.equal(await record(third), undefined);
  });
});

